"""Turning the caller's ``source`` into bytes, without surprises.

``source`` is any of: ``bytes`` (or ``bytearray``/``memoryview``), ``str`` holding XML text,
an ``os.PathLike`` naming a file, or a binary file object. A ``str`` is always XML text, never a
file name: guessing would make the meaning of an argument depend on the file system.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import IO, Union

from edocstd.errors import InputError

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

CHUNK = 1 << 20

_ENCODING_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[A-Za-z0-9._-]+\2")


class SourceTooLarge(Exception):
    """Internal: the input is larger than the allowed size."""


def describe(source: object) -> str:
    """A short name for a source, for messages and reports."""
    if isinstance(source, os.PathLike):
        return str(os.fspath(source))
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    return "<input>"


def iter_chunks(source: Source, limit: int) -> Iterator[bytes]:
    """Yield the bytes of ``source`` in chunks, raising :class:`SourceTooLarge` past ``limit``.

    Files are streamed, never read whole, so a huge file is refused after ``limit + 1`` bytes.
    Raises :class:`~edocstd.InputError` when the source cannot be opened or is of a wrong type.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = source if isinstance(source, bytes) else bytes(source)
        if len(data) > limit:
            raise SourceTooLarge
        yield data
        return
    if isinstance(source, str):
        data = source.encode("utf-8")
        # The text is now UTF-8, whatever its declaration said; say so to the parser.
        data = _ENCODING_DECL.sub(rb"\1\2UTF-8\2", data, count=1)
        if len(data) > limit:
            raise SourceTooLarge
        yield data
        return
    if isinstance(source, os.PathLike):
        try:
            fh = open(source, "rb")  # noqa: SIM115 - closed in finally below
        except OSError as exc:
            raise InputError(f"cannot open {os.fspath(source)}: {exc.strerror or exc}") from exc
        try:
            yield from _read_stream(fh, limit)
        finally:
            fh.close()
        return
    if hasattr(source, "read"):
        yield from _read_stream(source, limit)
        return
    raise InputError(
        f"unsupported source type {type(source).__name__}: "
        "pass bytes, XML text as str, a path (os.PathLike) or a binary file object"
    )


def _read_stream(fh: IO[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    while True:
        try:
            chunk = fh.read(CHUNK)
        except OSError as exc:
            raise InputError(f"cannot read {describe(fh)}: {exc}") from exc
        if not chunk:
            return
        if not isinstance(chunk, bytes | bytearray):
            raise InputError("file object must be opened in binary mode")
        total += len(chunk)
        if total > limit:
            raise SourceTooLarge
        yield bytes(chunk)


def read_bytes(source: Source, limit: int) -> bytes:
    """All the bytes of ``source`` (at most ``limit``)."""
    parts = list(iter_chunks(source, limit))
    return parts[0] if len(parts) == 1 else b"".join(parts)
