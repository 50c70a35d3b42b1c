"""RFC 7512 ``pkcs11:`` URIs and the explicit parameters they stand for.

A URI names a token (by label, serial, manufacturer, model or slot id), a key on it (by label
and/or ``CKA_ID``) and, optionally, the PKCS#11 module to load. Parsing is strict on purpose:
an attribute edocstd cannot honour is refused rather than dropped, because dropping a
constraint would widen the match and could select a different key than the one the operator
named.

Secrets never travel in URIs. ``pin-value`` is refused: a URI ends up in shell history, process
listings, logs and configuration files. ``pin-source`` is refused too: it names a file or a
command from which the PIN would be read, and a library that opens files or runs commands named
inside a URI turns a configuration string into an injection point. The caller passes the PIN
separately (the CLI reads it from an environment variable).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from edocstd.errors import InputError

__all__ = ["Pkcs11Params", "parse_pkcs11_uri"]


@dataclass(frozen=True, slots=True)
class Pkcs11Params:
    """Where a signing key lives: the module to load, the token, and the key on it.

    ``module`` is the path of the PKCS#11 shared library; ``None`` means it is supplied
    separately (``open_pkcs11_key(..., module_path=...)`` or ``--pkcs11-module``). Every token
    field that is set must match; at least one of ``key_label`` and ``key_id`` should be set
    when the token holds more than one private key. ``key_id`` is the raw ``CKA_ID`` bytes.
    """

    module: str | None
    token_label: str | None = None
    token_serial: str | None = None
    key_label: str | None = None
    key_id: bytes | None = None
    token_manufacturer: str | None = None
    token_model: str | None = None
    slot_id: int | None = None

    def __post_init__(self) -> None:
        if self.module is not None and not isinstance(self.module, str):
            # Accept path-like objects for convenience, but keep the field a plain string.
            object.__setattr__(self, "module", os.fspath(self.module))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self.__slots__
            if getattr(self, name) is not None
        )
        return f"Pkcs11Params({fields})"


# Path attributes edocstd matches on, mapped to the Pkcs11Params field they fill.
_PATH_FIELDS = {
    "token": "token_label",
    "serial": "token_serial",
    "manufacturer": "token_manufacturer",
    "model": "token_model",
    "object": "key_label",
    "id": "key_id",
    "slot-id": "slot_id",
}
# Valid RFC 7512 path attributes that edocstd does not match on; refused, not ignored.
_PATH_UNSUPPORTED = {
    "library-manufacturer",
    "library-description",
    "library-version",
    "slot-manufacturer",
    "slot-description",
}
# Object types that can lead to a signing key: the key itself, or its certificate (URIs copied
# from certificate listings name the certificate; the private key shares its label and id).
_OBJECT_TYPES = {"private", "cert"}

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _error(en: str, th: str) -> InputError:
    # Officers read these, so both languages travel in the one message.
    return InputError(f"{en} / {th}")


def _decode(name: str, raw: str) -> bytes:
    if _BAD_PERCENT.search(raw):
        raise _error(
            f"pkcs11 URI: attribute {name!r} has a malformed percent-encoding",
            f"pkcs11 URI: ค่าแอตทริบิวต์ {name!r} เข้ารหัสแบบเปอร์เซ็นต์ไม่ถูกต้อง",
        )
    return unquote_to_bytes(raw)


def _text(name: str, raw: str) -> str:
    try:
        return _decode(name, raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _error(
            f"pkcs11 URI: attribute {name!r} is not valid UTF-8",
            f"pkcs11 URI: ค่าแอตทริบิวต์ {name!r} ไม่ใช่ UTF-8 ที่ถูกต้อง",
        ) from None


def _split(part: str, sep: str, where: str) -> list[tuple[str, str]]:
    if not part:
        return []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in part.split(sep):
        name, eq, value = item.partition("=")
        name = name.strip().lower()
        if not eq or not name:
            raise _error(
                f"pkcs11 URI: {where} attribute {item!r} is not of the form name=value",
                f"pkcs11 URI: แอตทริบิวต์ {item!r} ไม่อยู่ในรูป name=value",
            )
        if name in seen:
            raise _error(
                f"pkcs11 URI: attribute {name!r} appears more than once",
                f"pkcs11 URI: แอตทริบิวต์ {name!r} ปรากฏมากกว่าหนึ่งครั้ง",
            )
        seen.add(name)
        pairs.append((name, value))
    return pairs


def parse_pkcs11_uri(uri: str) -> Pkcs11Params:
    """Parse an RFC 7512 ``pkcs11:`` URI into :class:`Pkcs11Params`.

    Path attributes ``token``, ``serial``, ``manufacturer``, ``model``, ``slot-id``,
    ``object``, ``id`` (percent-encoded bytes) and ``type`` (``private`` or ``cert``) are
    understood; the query attribute ``module-path`` (an absolute path) names the module.
    ``pin-value`` and ``pin-source`` are refused (PINs are passed separately), as are
    ``module-name``, the ``library-*``/``slot-manufacturer``/``slot-description`` path
    attributes and vendor ``x-`` attributes, which edocstd cannot honour.

    Raises :class:`~edocstd.InputError` for anything malformed or refused.
    """
    if not isinstance(uri, str):
        raise _error("pkcs11 URI must be a string", "pkcs11 URI ต้องเป็นสตริง")
    uri = uri.strip()
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() != "pkcs11":
        raise _error(
            "not a pkcs11 URI (it must start with 'pkcs11:')",
            "ไม่ใช่ pkcs11 URI (ต้องขึ้นต้นด้วย 'pkcs11:')",
        )
    if "#" in rest:
        raise _error(
            "pkcs11 URI must not have a fragment ('#')",
            "pkcs11 URI ต้องไม่มีส่วน fragment ('#')",
        )
    path, _, query = rest.partition("?")

    texts: dict[str, str] = {}
    key_id: bytes | None = None
    slot_id: int | None = None
    for name, raw in _split(path, ";", "path"):
        if name in _PATH_FIELDS:
            field = _PATH_FIELDS[name]
            if name == "id":
                key_id = _decode(name, raw)
            elif name == "slot-id":
                text = _text(name, raw)
                if not text.isascii() or not text.isdigit():
                    raise _error(
                        f"pkcs11 URI: slot-id {text!r} is not a decimal number",
                        f"pkcs11 URI: slot-id {text!r} ไม่ใช่เลขฐานสิบ",
                    )
                slot_id = int(text)
            else:
                texts[field] = _text(name, raw)
        elif name == "type":
            kind = _text(name, raw)
            if kind not in _OBJECT_TYPES:
                raise _error(
                    f"pkcs11 URI: type={kind!r} cannot name a signing key "
                    "(use type=private or type=cert)",
                    f"pkcs11 URI: type={kind!r} ไม่ได้ชี้ไปยังกุญแจสำหรับลงลายมือชื่อ "
                    "(ใช้ type=private หรือ type=cert)",
                )
        elif name in _PATH_UNSUPPORTED or name.startswith("x-"):
            raise _error(
                f"pkcs11 URI: attribute {name!r} is not supported; "
                "name the token by token, serial, manufacturer, model or slot-id",
                f"pkcs11 URI: ไม่รองรับแอตทริบิวต์ {name!r} "
                "ให้ระบุโทเค็นด้วย token, serial, manufacturer, model หรือ slot-id",
            )
        else:
            raise _error(
                f"pkcs11 URI: unknown path attribute {name!r}",
                f"pkcs11 URI: ไม่รู้จักแอตทริบิวต์ {name!r}",
            )

    module: str | None = None
    for name, raw in _split(query, "&", "query"):
        if name == "pin-value":
            raise _error(
                "pkcs11 URI: pin-value is refused; PINs are never taken from URIs or the "
                "command line. Pass the PIN separately (for example from an environment "
                "variable).",
                "pkcs11 URI: ไม่รับ pin-value เพราะจะไม่รับ PIN จาก URI หรือบรรทัดคำสั่ง "
                "ให้ส่ง PIN แยกต่างหาก (เช่น จากตัวแปรสภาพแวดล้อม)",
            )
        if name == "pin-source":
            raise _error(
                "pkcs11 URI: pin-source is refused; edocstd does not read files or run "
                "commands named in a URI. Pass the PIN separately.",
                "pkcs11 URI: ไม่รับ pin-source เพราะ edocstd จะไม่อ่านไฟล์หรือเรียกคำสั่งที่ระบุใน "
                "URI ให้ส่ง PIN แยกต่างหาก",
            )
        if name == "module-path":
            module = _text(name, raw)
            if not os.path.isabs(module):
                raise _error(
                    f"pkcs11 URI: module-path {module!r} must be an absolute path",
                    f"pkcs11 URI: module-path {module!r} ต้องเป็นพาธแบบสมบูรณ์",
                )
        elif name == "module-name":
            raise _error(
                "pkcs11 URI: module-name is not supported; give module-path or pass the "
                "module path separately",
                "pkcs11 URI: ไม่รองรับ module-name ให้ระบุ module-path หรือส่งพาธของโมดูลแยกต่างหาก",
            )
        else:
            raise _error(
                f"pkcs11 URI: unsupported query attribute {name!r}",
                f"pkcs11 URI: ไม่รองรับแอตทริบิวต์ {name!r}",
            )

    return Pkcs11Params(
        module,
        token_label=texts.get("token_label"),
        token_serial=texts.get("token_serial"),
        key_label=texts.get("key_label"),
        key_id=key_id,
        token_manufacturer=texts.get("token_manufacturer"),
        token_model=texts.get("token_model"),
        slot_id=slot_id,
    )
