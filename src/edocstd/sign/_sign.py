"""Signing: an enveloped XAdES B-B (or plain XMLDSig) signature over a whole XML document.

Signing runs in three steps, and direct signing is exactly those steps run back to back:

1. :func:`prepare` reads the document (through the hardened reader), validates it when it is an
   EDOC document, digests it, builds the whole ``ds:Signature`` into the tree and returns the
   canonical ``ds:SignedInfo`` bytes to sign;
2. a :class:`~edocstd.sign._keys.SigningKey` (or a remote service, for external signing) signs
   those bytes;
3. :func:`complete` checks the signature value against the certificate, writes it in and
   serialises the document once.

Element Ids are derived from what is signed (document digest, signing time, certificate and the
Ids of signatures already present), not drawn at random: given the same signing time, external
signing produces the same bytes as direct signing, and two signatures in one document never
share an Id.

Memory: the document is parsed once, its canonical form is streamed into the hash and never held
whole, and the output is serialised once (straight into the file for :func:`sign_file`). Texts
of attached files are taken out of the tree after validation and streamed by
:mod:`edocstd.sign._bigtext`, so libxml2 never makes escaped copies of them.

Parallel signatures are governed by :class:`Cosign` (see :mod:`edocstd.sign._xmldsig` for why
the choice has to be made when the *first* signature is made).

Levels above B-B (B-T, B-LT, B-LTA) are reached by one mechanism whether a signature is new or
old: the augmenter of :mod:`edocstd.ltv` that :func:`edocstd.ltv.extend` applies to a parsed
document is applied here to the freshly built signature, in the same tree, before the single
serialisation. The output is never re-read, and a time-stamping or revocation service that
fails stops signing before anything is written.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import enum
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from cryptography import x509
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS_SIGNATURE, EC_ROOT
from edocstd._source import Source
from edocstd.errors import InputError, KeyAccessError, NetworkError, PolicyError, SigningError
from edocstd.schema._parser import read
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
from edocstd.sign._bigtext import (
    BIG_TEXT,
    NO_HOLES,
    Holes,
    digest_document,
    punch,
    restore,
    write_tree,
)
from edocstd.sign._c14n import UnsupportedC14NError, c14n
from edocstd.sign._signer import (
    Signer,
    certificate_der,
    certificate_public_key,
    check_algorithm,
    verify_signature_value,
)
from edocstd.sign._template import Layout, new_signature
from edocstd.sign._xades import Commitment, format_signing_time
from edocstd.sign._xmldsig import (
    Cosign,
    SignatureParts,
    allows_cosigning,
    set_signature_value,
    top_level_signatures,
)

if TYPE_CHECKING:
    from edocstd.ltv import HttpClient, TimeStampClient

__all__ = [
    "Augmenter",
    "Commitment",
    "Cosign",
    "PreparedSignature",
    "SchemaCheck",
    "SignOptions",
    "augment",
    "augment_file",
    "complete",
    "extend_file",
    "external_signer",
    "prepare",
    "sign",
    "sign_file",
]

# Characters XML 1.0 cannot carry, plus the C1 controls and DEL that EDOC-R013 bans in text.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_PRODUCIBLE_C14N = (C14N.EXC, C14N.C14N, C14N.C14N11)
_PRODUCIBLE_DIGESTS = (DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512)


class SchemaCheck(enum.Enum):
    """Whether an EDOC document is validated before it is signed.

    Documents of other kinds (any root other than ``ec:ElectronicCertificate``) are never
    schema-checked: edocstd has no schema for them.
    """

    REQUIRE = "require"
    """Validate EDOC documents (schema and business rules) and refuse to sign an invalid one."""
    SKIP = "skip"
    """Sign without validating (the CLI's ``--no-schema``)."""


@dataclass(frozen=True, slots=True)
class SignOptions:
    """Everything that shapes a signature, checked once.

    ``signing_time`` of ``None`` means "now" (UTC), taken when the signature is prepared.
    """

    level: Level = Level.B_B
    algorithm: SignatureAlgorithm | None = None
    c14n: C14N = C14N.EXC
    digest: DigestAlgorithm = DigestAlgorithm.SHA256
    signing_time: dt.datetime | None = None
    roles: tuple[str, ...] = ()
    commitment: Commitment | None = None
    cosign: Cosign = Cosign.AUTO
    schema: SchemaCheck = SchemaCheck.REQUIRE

    def __post_init__(self) -> None:
        if not isinstance(self.level, Level):
            raise PolicyError(f"level must be a Level, not {self.level!r}")
        if self.algorithm is not None and not isinstance(self.algorithm, SignatureAlgorithm):
            raise PolicyError(f"algorithm must be a SignatureAlgorithm, not {self.algorithm!r}")
        if self.c14n not in _PRODUCIBLE_C14N:
            raise PolicyError(
                f"edocstd signs with exclusive C14N 1.0, inclusive C14N 1.0 or C14N 1.1 "
                f"(without comments), not {self.c14n!r}"
            )
        if self.digest not in _PRODUCIBLE_DIGESTS:
            raise PolicyError(
                f"edocstd signs with SHA-256, SHA-384 or SHA-512, not {self.digest!r}"
            )
        if self.signing_time is not None and (
            not isinstance(self.signing_time, dt.datetime) or self.signing_time.utcoffset() is None
        ):
            raise PolicyError(
                "signing_time must be a datetime with a UTC offset (timezone-aware) / "
                "เวลาที่ลงลายมือชื่อต้องระบุส่วนต่างจาก UTC"
            )
        if isinstance(self.roles, str):
            raise PolicyError("roles must be a sequence of strings, not one string")
        for role in self.roles:
            if not isinstance(role, str) or not role.strip():
                raise PolicyError("every signer role must be a non-empty string")
            if _NOT_XML_TEXT.search(role):
                raise PolicyError(
                    f"the signer role {role!r} cannot be written in XML: it holds control "
                    "or non-character code points"
                )
        if self.commitment is not None and not isinstance(self.commitment, Commitment):
            raise PolicyError(f"commitment must be a Commitment, not {self.commitment!r}")
        if self.level is Level.XMLDSIG and (self.roles or self.commitment is not None):
            raise PolicyError("signer roles and commitment types need XAdES (level B-B or above)")
        if not isinstance(self.cosign, Cosign):
            raise PolicyError(f"cosign must be a Cosign, not {self.cosign!r}")
        if not isinstance(self.schema, SchemaCheck):
            raise PolicyError(f"schema must be a SchemaCheck, not {self.schema!r}")


@dataclass(eq=False)
class PreparedSignature:
    """A signature built up to its value: the state between :func:`prepare` and :func:`complete`.

    ``data_to_sign`` is the canonical ``ds:SignedInfo``: the exact message a key must sign with
    ``algorithm``. Services that take a pre-computed hash get it from :meth:`digest_to_sign`.
    The object holds the parsed document, so keep it only as long as the signing takes.
    For levels above B-B it also holds what :func:`complete` needs to add the unsigned
    properties (time-stamping authority, transport, extra certificates).

    .. attribute:: data_to_sign
       :type: bytes

       The canonical ``ds:SignedInfo``: the exact message to sign.

    .. attribute:: algorithm
       :type: ~edocstd.SignatureAlgorithm

       The signature method the value must be made with.

    .. attribute:: certificate
       :type: ~cryptography.x509.Certificate

       The signer's certificate, as the signature names it.

    .. attribute:: signing_time
       :type: ~datetime.datetime

       The signing time (written as ``xades:SigningTime`` from B-B up).

    .. attribute:: signature_id
       :type: str

       The ``Id`` of the ``ds:Signature`` element being made.
    """

    data_to_sign: bytes
    algorithm: SignatureAlgorithm
    certificate: x509.Certificate
    signing_time: dt.datetime
    signature_id: str
    _tree: etree._ElementTree = field(repr=False)
    _parts: SignatureParts = field(repr=False)
    _holes: Holes = field(repr=False)
    _long_term: _LongTerm | None = field(default=None, repr=False)

    def digest_to_sign(self) -> bytes:
        """The hash of :attr:`data_to_sign` with the signature method's hash function.

        Raises :class:`~edocstd.PolicyError` for Ed25519, which signs the message itself.
        """
        digest = self.algorithm.digest
        if digest is None:
            raise PolicyError(f"{self.algorithm.short_name} signs the whole message, not a hash")
        return hashlib.new(digest.hash_name, self.data_to_sign).digest()


class _ExternalKey:
    """The key of a signer made for external signing: it never signs by itself."""

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        raise KeyAccessError(
            "this signer has no key of its own: use prepare() and complete() to sign externally"
        )


def external_signer(
    certificate: x509.Certificate | bytes | os.PathLike[str],
    chain: Sequence[x509.Certificate] | bytes | os.PathLike[str] = (),
) -> Signer:
    """A :class:`Signer` with a certificate but no key, for :func:`prepare` / :func:`complete`.

    Use :meth:`Signer.with_algorithm` to pick a signature method other than the key's default.
    """
    return Signer.from_key(_ExternalKey(), certificate, chain)


def _resolve_algorithm(signer: Signer, options: SignOptions) -> SignatureAlgorithm:
    algorithm = options.algorithm or signer.algorithm
    check_algorithm(algorithm, signer.public_key)
    return algorithm


Augmenter = Callable[[etree._ElementTree, etree._Element], None]
"""Extends one signature in place: called with the document tree and one of its
``ds:Signature`` elements. It appends unsigned properties only (through
:func:`edocstd.sign._xades.unsigned_signature_properties`), never touching what is signed."""


_LONG_TERM_LEVELS = (Level.B_T, Level.B_LT, Level.B_LTA)


@dataclass(frozen=True, slots=True)
class _LongTerm:
    """How a fresh B-B signature is raised to ``level``: the :mod:`edocstd.ltv` augmenter."""

    level: Level
    run: Augmenter


def _long_term(
    level: Level,
    tsa: str | TimeStampClient | None,
    http: HttpClient | None,
    extra_certs: Sequence[x509.Certificate],
) -> _LongTerm | None:
    """The augmentation for ``level`` (``None`` at B-B and XMLDSig), checked before any work.

    A TSA given for a level that carries no time-stamp is refused rather than ignored: the
    caller evidently expected a time-stamped signature.
    """
    if level not in _LONG_TERM_LEVELS:
        if tsa is not None:
            raise PolicyError(
                f"a time-stamping authority (tsa) was given, but a {level.value} signature "
                "carries no time-stamp: ask for level B-T, B-LT or B-LTA / ระบุหน่วยงาน"
                f"ประทับรับรองเวลา (TSA) แต่ลายมือชื่อระดับ {level.value} ไม่มีตราประทับเวลา "
                "ให้เลือกระดับ B-T, B-LT หรือ B-LTA"
            )
        return None
    if tsa is None:
        raise PolicyError(
            f"a {level.value} signature needs a time-stamping authority (tsa) / "
            f"ลายมือชื่อระดับ {level.value} ต้องระบุหน่วยงานประทับรับรองเวลา (TSA)"
        )
    from edocstd.ltv import TimeStampClient, augmenter

    if isinstance(tsa, str):
        client = TimeStampClient(tsa, http=http)
    elif isinstance(tsa, TimeStampClient):
        client = tsa
    else:
        raise PolicyError(f"tsa must be a URL or a TimeStampClient, not {type(tsa).__name__}")
    return _LongTerm(level, augmenter(level, tsa=client, http=http, extra_certs=extra_certs))


def _raise_level(prepared: PreparedSignature) -> None:
    """Apply the long-term augmentation (if any) to the signature, in the document's tree."""
    long_term = prepared._long_term
    if long_term is None:
        return
    refill = bool(prepared._holes) and long_term.level is Level.B_LTA
    if refill:
        # The archive time-stamp hashes the whole document through libxml2, which must see the
        # large texts; they are taken out again afterwards for the streamed serialisation.
        restore(prepared._holes)
        prepared._holes = NO_HOLES
    try:
        long_term.run(prepared._tree, prepared._parts.signature)
        if refill:
            prepared._holes = punch(prepared._tree)
    except NetworkError as exc:
        raise NetworkError(
            f"signing at {long_term.level.value} failed: {exc}; nothing was written / "
            f"ลงลายมือชื่อระดับ {long_term.level.value} ไม่สำเร็จ เนื่องจากติดต่อหน่วยงานประทับรับรอง"
            "เวลาหรือผู้ให้บริการตรวจสอบสถานะใบรับรองไม่ได้ ไม่มีการเขียนผลลัพธ์"
        ) from exc
    # Once raised, a second complete() must not stamp the same signature again.
    prepared._long_term = None


def _validate_edoc(tree: etree._ElementTree, raw: bytes | None) -> None:
    from edocstd.errors import DocumentError
    from edocstd.schema._parser import DEFAULT_LIMITS
    from edocstd.schema._validate import validate_tree

    # The tree the signature is made over is the one validated (no second parse). The input
    # bytes, when the reader took them in one piece, go along: the rules check the text of
    # the whole input at once instead of node by node, which is most of their cost.
    report = validate_tree(tree, DEFAULT_LIMITS, raw=raw)
    if not report.valid:
        raise DocumentError(report)


def _derive_ids(
    document_digest: bytes,
    signing_time: str,
    certificate_der: bytes,
    root: etree._Element,
) -> tuple[str, str, str, str]:
    # The Ids hash the document digest, so no document can hold them in advance short of a
    # SHA-256 fixed point: there is no need to scan the document for clashes. The Ids of the
    # signatures already present (which the digest may leave out) are hashed in too, so a
    # second signature by the same signer at the same second still gets Ids of its own.
    seed = hashlib.sha256()
    seed.update(document_digest)
    seed.update(signing_time.encode("ascii"))
    seed.update(certificate_der)
    for sig in root.iterchildren(DS_SIGNATURE):
        seed.update(b"\0" + (sig.get("Id") or "").encode("utf-8"))
    base = seed.hexdigest()[:32]
    return (f"id-{base}", f"value-id-{base}", f"r-id-{base}-1", f"xades-id-{base}")


def _read(source: Source) -> tuple[etree._ElementTree, bytes | None]:
    """The parsed document, and its bytes when the reader took them in one piece (small
    inputs; ``None`` for streamed ones)."""
    return read(source)


def _prepare_tree(
    tree: etree._ElementTree,
    raw: bytes | None,
    signer: Signer,
    options: SignOptions,
    long_term: _LongTerm | None = None,
) -> PreparedSignature:
    root = tree.getroot()
    if root.tag == DS_SIGNATURE:
        raise InputError(
            "the document is itself a ds:Signature; there is nothing to envelop / "
            "เอกสารนี้เป็น ds:Signature อยู่แล้ว ไม่มีเนื้อหาให้ลงลายมือชื่อ"
        )
    algorithm = _resolve_algorithm(signer, options)
    if options.schema is SchemaCheck.REQUIRE and root.tag == EC_ROOT:
        _validate_edoc(tree, raw)
    # An input the reader took in one piece is too small to hold a text worth streaming.
    may_hold_big_text = raw is None or len(raw) > BIG_TEXT
    del raw  # not needed any more; a streamed document never had it

    existing = list(root.iterchildren(DS_SIGNATURE))
    if existing:
        breaking = [s for s in existing if not allows_cosigning(s)]
        if breaking:
            ids = ", ".join(s.get("Id") or "(no Id)" for s in breaking)
            raise SigningError(
                f"the document already carries a signature ({ids}) that does not allow "
                "co-signing: its whole-document reference lacks the XPath Filter 2.0 subtract "
                "of all signatures, so adding another signature would invalidate it / "
                f"เอกสารมีลายมือชื่อ ({ids}) ที่ไม่เปิดให้ลงนามร่วม การเพิ่มลายมือชื่ออีกรายการ"
                "จะทำให้ลายมือชื่อเดิมใช้ไม่ได้"
            )
        if options.cosign is Cosign.FORBID:
            raise PolicyError(
                "Cosign.FORBID asks for a single signature, but the document is already signed; "
                "a parallel signature must allow co-signing (EDOC-1.0 §4.1) / "
                "เอกสารมีลายมือชื่ออยู่แล้ว ลายมือชื่อที่เพิ่มต้องเปิดให้ลงนามร่วม (Cosign.ALLOW)"
            )
        subtract = True
    else:
        subtract = options.cosign is Cosign.ALLOW
    exclude = top_level_signatures(root) if subtract else []

    # Large texts (attached files) leave the tree for good: nothing reads them again but the
    # digest and the final serialisation, which both stream them (see _bigtext).
    holes = punch(tree) if may_hold_big_text else NO_HOLES
    try:
        document_digest = digest_document(
            tree, options.c14n, options.digest, exclude=exclude, holes=holes
        )
    except UnsupportedC14NError as exc:
        raise PolicyError(f"{exc}; sign with exclusive canonicalization (c14n=EXC)") from exc

    when = options.signing_time or dt.datetime.now(dt.UTC)
    when = when.replace(microsecond=0)
    sig_id, value_id, ref_id, props_id = _derive_ids(
        document_digest, format_signing_time(when), certificate_der(signer.certificate), root
    )
    layout = Layout(
        algorithm=algorithm,
        c14n=options.c14n,
        digest=options.digest,
        subtract_signatures=subtract,
        certificates=(signer.certificate, *signer.chain),
        xades=options.level is not Level.XMLDSIG,
        roles=options.roles,
        commitment=options.commitment,
    )
    try:
        parts = new_signature(
            layout,
            signature_id=sig_id,
            signature_value_id=value_id,
            document_reference_id=ref_id,
            signed_properties_id=props_id,
            document_digest=document_digest,
            signing_time=when,
        )
    except ValueError as exc:  # lxml refuses text that XML cannot carry (e.g. control chars)
        raise PolicyError(f"a signature property cannot be written in XML: {exc}") from exc

    # The signature goes in as the last child of the root. Text after the previous last child
    # stays where it is (it is that child's tail), so the enveloped transform gives back exactly
    # the document that was digested above.
    root.append(parts.signature)
    try:
        if parts.properties_digest_value is not None and parts.signed_properties is not None:
            props_digest = hashlib.new(
                options.digest.hash_name, c14n(parts.signed_properties, options.c14n)
            ).digest()
            parts.properties_digest_value.text = base64.b64encode(props_digest).decode("ascii")
        data = c14n(parts.signed_info, options.c14n)
    except UnsupportedC14NError as exc:
        root.remove(parts.signature)
        raise PolicyError(f"{exc}; sign with exclusive canonicalization (c14n=EXC)") from exc
    return PreparedSignature(
        data_to_sign=data,
        algorithm=algorithm,
        certificate=signer.certificate,
        signing_time=when,
        signature_id=sig_id,
        _tree=tree,
        _parts=parts,
        _holes=holes,
        _long_term=long_term,
    )


def _options(
    level: Level,
    algorithm: SignatureAlgorithm | None,
    c14n: C14N,
    digest: DigestAlgorithm,
    signing_time: dt.datetime | None,
    roles: Sequence[str],
    commitment: Commitment | None,
    cosign: Cosign,
    schema: SchemaCheck,
) -> SignOptions:
    if isinstance(roles, str):
        raise PolicyError("roles must be a sequence of strings, not one string")
    return SignOptions(
        level=level,
        algorithm=algorithm,
        c14n=c14n,
        digest=digest,
        signing_time=signing_time,
        roles=tuple(roles),
        commitment=commitment,
        cosign=cosign,
        schema=schema,
    )


def prepare(
    source: Source,
    signer: Signer,
    *,
    level: Level = Level.B_B,
    algorithm: SignatureAlgorithm | None = None,
    c14n: C14N = C14N.EXC,
    digest: DigestAlgorithm = DigestAlgorithm.SHA256,
    signing_time: dt.datetime | None = None,
    roles: Sequence[str] = (),
    commitment: Commitment | None = None,
    cosign: Cosign = Cosign.AUTO,
    schema: SchemaCheck = SchemaCheck.REQUIRE,
    tsa: str | TimeStampClient | None = None,
    http: HttpClient | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> PreparedSignature:
    """Step 1 of external signing: build the signature and return what must be signed.

    Takes the same arguments as :func:`sign`; ``signer`` only needs its certificate and chain
    (its key is not used). Sign ``result.data_to_sign`` (or ``result.digest_to_sign()``)
    with ``result.algorithm`` elsewhere, then call :func:`complete`. For levels above B-B,
    :func:`complete` time-stamps (and gathers validation data) once the value is in.
    """
    options = _options(
        level, algorithm, c14n, digest, signing_time, roles, commitment, cosign, schema
    )
    long_term = _long_term(options.level, tsa, http, extra_certs)
    return _prepare_tree(*_read(source), signer, options, long_term)


def _insert_value(prepared: PreparedSignature, signature_value: bytes) -> None:
    if not isinstance(signature_value, bytes | bytearray):
        raise SigningError("the signature value must be bytes")
    public = certificate_public_key(prepared.certificate)
    if not verify_signature_value(
        public,
        prepared.algorithm,
        prepared.data_to_sign,
        bytes(signature_value),
    ):
        raise SigningError(
            "the signature value does not verify with the signing certificate: the key does not "
            "belong to the certificate, the wrong algorithm was used, or the signing device "
            "returned a bad value (for ECDSA, the value must be raw r||s, not DER) / "
            "ค่าลายมือชื่อตรวจสอบกับใบรับรองไม่ผ่าน กุญแจอาจไม่ตรงกับใบรับรอง "
            "หรืออุปกรณ์ลงลายมือชื่อส่งค่าที่ไม่ถูกต้อง ไม่มีการเขียนผลลัพธ์"
        )
    set_signature_value(prepared._parts, bytes(signature_value))


def complete(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    """Step 3 of external signing: insert ``signature_value`` and return the signed document.

    The value is checked against the certificate first; a value that does not verify raises
    :class:`~edocstd.SigningError`. The result is byte-identical to what :func:`sign` returns
    for the same document, signer, options and signing time (at B-B and XMLDSig: a
    time-stamp token differs from one request to the next).
    """
    _insert_value(prepared, signature_value)
    _raise_level(prepared)
    return _serialise(prepared)


def _sign_prepared(prepared: PreparedSignature, signer: Signer) -> None:
    try:
        value = signer.key.sign(prepared.data_to_sign, prepared.algorithm)
    except SigningError:
        raise
    except Exception as exc:
        # A key implementation may fail in its own way; never let that look like success.
        raise SigningError(f"the signing key failed: {exc} / กุญแจลงลายมือชื่อทำงานผิดพลาด") from exc
    _insert_value(prepared, value)


def sign(
    source: Source,
    signer: Signer,
    *,
    level: Level = Level.B_B,
    algorithm: SignatureAlgorithm | None = None,
    c14n: C14N = C14N.EXC,
    digest: DigestAlgorithm = DigestAlgorithm.SHA256,
    signing_time: dt.datetime | None = None,
    roles: Sequence[str] = (),
    commitment: Commitment | None = None,
    cosign: Cosign = Cosign.AUTO,
    schema: SchemaCheck = SchemaCheck.REQUIRE,
    tsa: str | TimeStampClient | None = None,
    http: HttpClient | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> bytes:
    """Sign ``source`` with an enveloped XAdES signature over the whole document (EDOC-1.0 §4).

    ``source`` is bytes, XML text (``str``), a path (``os.PathLike``) or a binary file object,
    holding any well-formed XML document. An EDOC document is validated first and refused with
    :class:`~edocstd.DocumentError` when invalid, unless ``schema=SchemaCheck.SKIP``.

    * ``level``: ``Level.B_B`` (XAdES baseline B, the default), ``Level.XMLDSIG`` (no XAdES
      properties), or ``Level.B_T`` / ``Level.B_LT`` / ``Level.B_LTA``, which add to the B-B
      signature exactly what :func:`edocstd.ltv.extend` would (a signature time-stamp; the
      certificates and revocation data of every chain; an archive time-stamp).
    * ``algorithm``: the signature method; by default the signer's (which follows its key).
    * ``c14n``: ``C14N.EXC`` (default), ``C14N.C14N`` or ``C14N.C14N11``.
    * ``digest``: ``DigestAlgorithm.SHA256`` (default), ``SHA384`` or ``SHA512``.
    * ``signing_time``: a timezone-aware datetime (default: now, UTC), kept to the second.
    * ``roles``: claimed signer roles (e.g. ``("นายทะเบียน",)``).
    * ``commitment``: an ETSI commitment type.
    * ``cosign``: whether the signature leaves room for parallel signatures (see
      :class:`Cosign`); adding a signature to a document whose signatures do not allow it
      raises :class:`~edocstd.SigningError`.
    * ``tsa``: for B-T and above (and only then), the time-stamping authority's URL or a
      :class:`~edocstd.ltv.TimeStampClient`.
    * ``http``: the transport for the TSA (when given as a URL), OCSP and CRLs
      (default: :class:`~edocstd.ltv.UrllibClient`).
    * ``extra_certs``: for B-LT and B-LTA, certificates the signature does not carry, at least
      the trust anchor of the signer's and the TSA's chains.

    A service that cannot be reached raises :class:`~edocstd.NetworkError`; an unusable answer
    raises :class:`~edocstd.ltv.TimeStampError` or :class:`~edocstd.ltv.RevocationError`
    (both :class:`~edocstd.ServiceError`). Returns the signed document as UTF-8 bytes with an
    XML declaration.
    """
    options = _options(
        level, algorithm, c14n, digest, signing_time, roles, commitment, cosign, schema
    )
    long_term = _long_term(options.level, tsa, http, extra_certs)
    prepared = _prepare_tree(*_read(source), signer, options, long_term)
    _sign_prepared(prepared, signer)
    _raise_level(prepared)
    return _serialise(prepared)


def sign_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    signer: Signer,
    *,
    level: Level = Level.B_B,
    algorithm: SignatureAlgorithm | None = None,
    c14n: C14N = C14N.EXC,
    digest: DigestAlgorithm = DigestAlgorithm.SHA256,
    signing_time: dt.datetime | None = None,
    roles: Sequence[str] = (),
    commitment: Commitment | None = None,
    cosign: Cosign = Cosign.AUTO,
    schema: SchemaCheck = SchemaCheck.REQUIRE,
    tsa: str | TimeStampClient | None = None,
    http: HttpClient | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> None:
    """Sign the file ``in_path`` into ``out_path`` (which may be the same file).

    The output is written to a temporary file in the target directory and renamed over
    ``out_path`` only once complete, so a failure never leaves a partial or truncated output:
    when the time-stamping authority or a revocation service is down, :func:`sign_file` raises
    :class:`~edocstd.NetworkError` and ``out_path`` is not created (or left as it was).
    Options are those of :func:`sign`.
    """
    options = _options(
        level, algorithm, c14n, digest, signing_time, roles, commitment, cosign, schema
    )
    long_term = _long_term(options.level, tsa, http, extra_certs)
    prepared = _prepare_tree(*_read(_as_path(in_path)), signer, options, long_term)
    _sign_prepared(prepared, signer)
    _raise_level(prepared)
    _write_atomically(prepared, _as_path(out_path))


class _FsPath(os.PathLike[str]):
    __slots__ = ("_p",)

    def __init__(self, p: str) -> None:
        self._p = p

    def __fspath__(self) -> str:
        return self._p


def _as_path(p: str | os.PathLike[str]) -> os.PathLike[str]:
    # A str source means XML text elsewhere in the library; here it is a file name.
    if isinstance(p, os.PathLike):
        return p
    if isinstance(p, str):
        return _FsPath(p)
    raise InputError(f"a file path is needed, not {type(p).__name__}")


def _write_atomically(prepared: PreparedSignature, out_path: os.PathLike[str]) -> None:
    _replace_file(out_path, lambda fh: _write_tree(prepared, fh))


def _replace_file(out_path: os.PathLike[str], write: Callable[[IO[bytes]], None]) -> None:
    target = os.path.abspath(os.fspath(out_path))
    directory = os.path.dirname(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    except OSError as exc:
        raise InputError(
            f"cannot write {target}: {exc.strerror or exc} / เขียนไฟล์ {target} ไม่ได้"
        ) from exc
    try:
        fd, tmp = tempfile.mkstemp(prefix=".edocstd-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(
            f"cannot write into {directory}: {exc.strerror or exc} / "
            f"เขียนไฟล์ลงในโฟลเดอร์ {directory} ไม่ได้"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SigningError(
                f"cannot write {target}: {exc.strerror or exc} / เขียนไฟล์ {target} ไม่ได้ "
                "(ไม่มีการเขียนผลลัพธ์บางส่วน)"
            ) from exc
        raise


def _write_tree(prepared: PreparedSignature, fh: IO[bytes]) -> None:
    # Written straight to the file: no in-memory copy of a large document.
    write_tree(prepared._tree, fh, prepared._holes)


def _serialise(prepared: PreparedSignature) -> bytes:
    if prepared._holes is NO_HOLES:
        # A small document (never punched): one call, no file-like object to feed.
        return etree.tostring(prepared._tree, xml_declaration=True, encoding="UTF-8")
    buffer = io.BytesIO()
    _write_tree(prepared, buffer)
    # getvalue() hands over the buffer without copying it once writing is over.
    return buffer.getvalue()


# --------------------------------------------------------------------------- augmentation


def _signatures_to_augment(
    tree: etree._ElementTree, signature_ids: Sequence[str] | None
) -> list[etree._Element]:
    signatures = list(tree.getroot().iterchildren(DS_SIGNATURE))
    if signature_ids is not None:
        wanted = set(signature_ids)
        signatures = [s for s in signatures if s.get("Id") in wanted]
        missing = wanted - {s.get("Id") for s in signatures}
        if missing:
            names = ", ".join(sorted(missing))
            raise InputError(
                f"no signature with Id {names} in the document / ไม่พบลายมือชื่อที่มี Id {names}"
            )
    if not signatures:
        raise InputError("the document carries no signature to extend / เอกสารไม่มีลายมือชื่อให้ขยายระดับ")
    return signatures


def augment(
    source: Source, augmenter: Augmenter, *, signature_ids: Sequence[str] | None = None
) -> bytes:
    """Apply ``augmenter`` to the document's signatures (all, or those with ``signature_ids``).

    This is the frame the B-T, B-LT and B-LTA extensions plug into: reading through the
    hardened reader, choosing the signatures, serialising once. A failing augmenter leaves no
    output. Returns the augmented document as UTF-8 bytes.
    """
    tree = read(source)[0]
    for signature in _signatures_to_augment(tree, signature_ids):
        augmenter(tree, signature)
    buffer = io.BytesIO()
    write_tree(tree, buffer)
    return buffer.getvalue()


def augment_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    augmenter: Augmenter,
    *,
    signature_ids: Sequence[str] | None = None,
) -> None:
    """:func:`augment` from file to file, replacing ``out_path`` atomically."""
    tree = read(_as_path(in_path))[0]
    for signature in _signatures_to_augment(tree, signature_ids):
        augmenter(tree, signature)
    _replace_file(_as_path(out_path), lambda fh: write_tree(tree, fh))


def extend_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    level: Level,
    tsa: str | TimeStampClient | None,
    http: HttpClient | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
    signature_ids: Sequence[str] | None = None,
) -> None:
    """Raise the signatures of ``in_path`` to ``level`` and write ``out_path`` atomically.

    File-to-file form of :func:`edocstd.ltv.extend` (which holds the B-T, B-LT and B-LTA logic),
    for the command line. ``tsa`` is the time-stamping authority's URL or a client;
    ``extra_certs`` should hold at least the trust anchor of each chain (for B-LT and B-LTA).
    Nothing is written when any step fails.
    """
    if level not in _LONG_TERM_LEVELS:
        raise PolicyError(
            f"extend raises signatures to B-T, B-LT or B-LTA, not {level.value} / "
            f"ขยายระดับลายมือชื่อได้เป็น B-T, B-LT หรือ B-LTA เท่านั้น ไม่ใช่ {level.value}"
        )
    long_term = _long_term(level, tsa, http, extra_certs)
    assert long_term is not None  # a long-term level always has an augmentation
    augment_file(in_path, out_path, long_term.run, signature_ids=signature_ids)
