"""Signing keys that live on a PKCS#11 token (an HSM, a smart card, SoftHSM2).

The private key never leaves the token: :class:`Pkcs11Key` hands the token the message (or, when
the token lacks a combined hash-and-sign mechanism, a digest computed on the host) and gets back
the signature value.

Choice of binding
=================

Two maintained Python bindings exist; both install here from manylinux wheels, no compiler:

``python-pkcs11`` (chosen)
    MIT licence; ships type stubs (``py.typed``), so ``mypy --strict`` can check our calls; a
    Pythonic object model; one exception class per ``CKR_*`` code (``PinIncorrect``,
    ``PinLocked``, ``NoSuchToken``, ``MechanismInvalid``, …), which maps cleanly onto
    edocstd's typed errors; PSS parameters and every mechanism we need
    (``CKM_SHAxxx_RSA_PKCS``, ``CKM_SHAxxx_RSA_PKCS_PSS``, ``CKM_RSA_PKCS``,
    ``CKM_RSA_PKCS_PSS``, ``CKM_ECDSA``, ``CKM_ECDSA_SHAxxx``). It **releases the GIL** during
    every call into the module, so a slow HSM does not freeze the other threads of a service.
    Only dependency: ``asn1crypto``, which edocstd already uses.

``PyKCS11``
    GPL-2.0-or-later: linking a GPL module into an Apache-2.0 library that agencies embed in
    their own systems would put GPL terms on those systems; that alone rules it out. It is also
    a thin SWIG layer (integer return codes, attribute lists by hand), and its extension keeps
    the GIL held during module calls (it never calls ``PyEval_SaveThread``), so one slow
    signature blocks every Python thread of the process.

Two defects of ``python-pkcs11`` 0.10 are worked around here:

* It calls ``C_Initialize(NULL)``. PKCS#11 (v2.40 §5.4) reads a NULL argument as "the
  application will not call the module from several threads at once", and SoftHSM2 then
  switches its internal locks off. Signing from several threads on several sessions then
  corrupts SoftHSM's memory: measured here, four threads on four sessions crashed the process
  (``GeneralError``, then a segmentation fault) within 200 signatures. When edocstd loads a
  module itself, it therefore re-initialises it at once, before any session exists, with
  ``CKF_OS_LOCKING_OK`` (via :mod:`ctypes` on the same loaded library). If that fails, or the
  module was already loaded by other code in the process, or the platform's structure packing
  differs (Windows), every call into that module is serialised by one process-wide lock.
* A session whose ``C_Login`` fails is not closed by the binding; a wrong PIN therefore costs a
  few hundred bytes inside the module until the process exits. Harmless in practice, noted so
  nobody hunts for it.

Sessions and threads
====================

One login per token per process (PKCS#11 login state belongs to the application, not to a
session): the first key opened on a token logs in, and its login session is shared by later keys
on that token, which must present the same PIN. Each key also keeps a small pool of sessions
(default 4), so that threads signing at once run in parallel on the token; python-pkcs11 gives
each session its own operation lock, so one session is never used by two threads at a time.
A single session would serialise every signature by construction. Measured with four threads
signing RSA-2048 on SoftHSM2 on two idle cores: one session behind a lock, 0.78 ms per
signature; four sessions, 0.22 ms (module running without its own locks, which is not safe, see
above; with OS locking on, the machine was saturated and both layouts measured alike). With a
serialised module the pool shrinks to one session, since it could not help.

A module is loaded once per process and per resolved path, and never unloaded: unloading would
call ``C_Finalize`` and kill the sessions of every other key on that module. Sessions and
logins do not survive ``fork()``: a key opened before a fork refuses to sign in the child, and
opening it again in the child initialises the module there (as PKCS#11 requires). Pre-forking
servers should open keys in each worker process.
"""

from __future__ import annotations

import ctypes
import enum
import hashlib
import hmac
import os
import queue
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from asn1crypto.core import OctetString
from asn1crypto.keys import ECDomainParameters
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edocstd.errors import (
    CertificateError,
    InputError,
    KeyAccessError,
    KeyNotFoundError,
    KeyPermissionError,
    MechanismNotSupportedError,
    PinIncorrectError,
    PinLockedError,
    SigningError,
    TokenNotFoundError,
)
from edocstd.sign._algorithms import DigestAlgorithm, KeyType, SignatureAlgorithm
from edocstd.sign._pkcs11_uri import Pkcs11Params, parse_pkcs11_uri

try:
    import pkcs11
    from pkcs11 import MGF, Attribute, Mechanism, ObjectClass
    from pkcs11 import KeyType as P11KeyType
    from pkcs11 import exceptions as p11e
except ImportError:  # pragma: no cover - exercised only without the optional extra
    pkcs11 = None  # type: ignore[assignment]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

__all__ = ["Pkcs11Key", "Pkcs11Params", "open_pkcs11_key", "parse_pkcs11_uri"]

_DEFAULT_SESSIONS = 4


def _err(cls: type[KeyAccessError], en: str, th: str) -> KeyAccessError:
    # Officers read these messages, so both languages travel in the one message.
    return cls(f"{en} / {th}")


# ---------------------------------------------------------------------------------------------
# Loading modules


class _Threading(enum.Enum):
    OS_LOCKING = "os-locking"  # the module locks internally; sessions may run in parallel
    SERIALIZED = "serialized"  # edocstd holds one lock around every call into the module


@dataclass(eq=False)
class _Module:
    path: str
    lib: Any  # pkcs11.lib; its stub type lives in a private module
    mode: _Threading
    pid: int
    call_lock: threading.Lock
    logins: dict[int, _Login]
    # Guards ``logins`` (open, share and release of token logins) in both threading modes.
    login_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def calling(self) -> Iterator[None]:
        """Hold the module lock around a call when the module cannot lock itself."""
        if self.pid != os.getpid():
            raise _err(
                KeyAccessError,
                "the PKCS#11 module was loaded before this process forked; "
                "open the key again in this process",
                "โมดูล PKCS#11 ถูกโหลดก่อนที่โปรเซสนี้จะแยกตัว (fork) ให้เปิดกุญแจใหม่ในโปรเซสนี้",
            )
        if self.mode is _Threading.OS_LOCKING:
            yield
        else:
            with self.call_lock:
                yield


_MODULES: dict[str, _Module] = {}
_MODULES_LOCK = threading.Lock()


class _CkVersion(ctypes.Structure):
    _fields_ = (("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte))


class _CkFunctionListHead(ctypes.Structure):
    # Only the first two entries of CK_FUNCTION_LIST are needed.
    _fields_ = (
        ("version", _CkVersion),
        ("C_Initialize", ctypes.c_void_p),
        ("C_Finalize", ctypes.c_void_p),
    )


class _CkInitializeArgs(ctypes.Structure):
    _fields_ = (
        ("CreateMutex", ctypes.c_void_p),
        ("DestroyMutex", ctypes.c_void_p),
        ("LockMutex", ctypes.c_void_p),
        ("UnlockMutex", ctypes.c_void_p),
        ("flags", ctypes.c_ulong),
        ("pReserved", ctypes.c_void_p),
    )


_CKF_OS_LOCKING_OK = 0x00000002
_CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x00000191
_CK_RV = ctypes.c_ulong


def _reinitialize_with_os_locking(path: str, *, after_fork: bool = False) -> bool:
    """Restart a module that has no sessions yet, allowing it to use OS locks.

    ``after_fork``: the module was initialised by the parent process; PKCS#11 requires the
    child to initialise it again. Returns False (module left initialised without locking)
    when OS locking is not possible.
    """
    if os.name == "nt":
        # Windows PKCS#11 structures are packed to 1 byte; ctypes' default layout differs.
        return False
    try:
        dll = ctypes.CDLL(path)  # the already-loaded library: dlopen returns the same handle
        get_list = dll.C_GetFunctionList
    except (OSError, AttributeError):
        return False
    get_list.restype = _CK_RV
    get_list.argtypes = (ctypes.POINTER(ctypes.POINTER(_CkFunctionListHead)),)
    head = ctypes.POINTER(_CkFunctionListHead)()
    if get_list(ctypes.byref(head)) != 0 or not head:
        return False
    proto = ctypes.CFUNCTYPE(_CK_RV, ctypes.c_void_p)
    c_initialize = proto(head.contents.C_Initialize)
    c_finalize = proto(head.contents.C_Finalize)
    args = _CkInitializeArgs(None, None, None, None, _CKF_OS_LOCKING_OK, None)
    if after_fork:
        rv = c_initialize(ctypes.byref(args))
        if rv == 0:
            return True
        if rv != _CKR_CRYPTOKI_ALREADY_INITIALIZED:
            c_initialize(None)
            return False
    if c_finalize(None) != 0:
        return False
    if c_initialize(ctypes.byref(args)) == 0:
        return True
    # The module refused OS locking: put it back the way the binding expects it.
    c_initialize(None)
    return False


def _require_binding() -> None:
    if pkcs11 is None:
        raise _err(
            KeyAccessError,
            "PKCS#11 support needs the optional dependency python-pkcs11 (install edocstd[hsm])",
            "การใช้ PKCS#11 ต้องติดตั้ง python-pkcs11 เพิ่มเติม (ติดตั้ง edocstd[hsm])",
        )


def _load_module(path: str) -> _Module:
    """The process-wide handle for the module at ``path`` (loaded on first use)."""
    _require_binding()
    real = os.path.realpath(path)
    with _MODULES_LOCK:
        module = _MODULES.get(real)
        if module is not None and module.pid == os.getpid():
            return module
        if module is not None:
            # Loaded by edocstd in a parent process: initialise it again in this child.
            mode = _Threading.SERIALIZED
            if _reinitialize_with_os_locking(real, after_fork=True):
                mode = _Threading.OS_LOCKING
            module = _Module(real, module.lib, mode, os.getpid(), threading.Lock(), {})
            _MODULES[real] = module
            return module
        if not os.path.isfile(real):
            raise InputError(f"PKCS#11 module not found: {path} / ไม่พบโมดูล PKCS#11: {path}")
        # python-pkcs11 caches libraries by the path string it was given. A module that other
        # code already loaded (under any spelling of its path) may have sessions, so it is
        # reused as it is and never restarted. Unknown cache: assume it was.
        cache = getattr(pkcs11, "_loaded", None)
        known = None
        if isinstance(cache, dict):
            known = next((key for key in cache if os.path.realpath(key) == real), None)
        loaded_elsewhere = known is not None or not isinstance(cache, dict)
        try:
            lib = pkcs11.lib(known or real)
        except p11e.PKCS11Error as exc:
            raise _err(
                KeyAccessError,
                f"cannot load PKCS#11 module {path}: {exc}",
                f"โหลดโมดูล PKCS#11 {path} ไม่ได้: {exc}",
            ) from exc
        mode = _Threading.SERIALIZED
        if not loaded_elsewhere and _reinitialize_with_os_locking(real):
            mode = _Threading.OS_LOCKING
        module = _Module(real, lib, mode, os.getpid(), threading.Lock(), {})
        _MODULES[real] = module
        return module


# ---------------------------------------------------------------------------------------------
# Error mapping


def _map_error(exc: Exception, doing: str) -> KeyAccessError:
    """Turn a binding exception into edocstd's typed error."""
    name = type(exc).__name__
    if isinstance(exc, p11e.PinIncorrect | p11e.PinInvalid | p11e.PinLenRange):
        return _err(
            PinIncorrectError,
            f"the token rejected the PIN ({doing})",
            f"โทเค็นปฏิเสธรหัส PIN ({doing})",
        )
    if isinstance(exc, p11e.PinLocked):
        return _err(
            PinLockedError,
            "the token's PIN is locked after too many wrong attempts; "
            "the token administrator must unlock it",
            "รหัส PIN ของโทเค็นถูกล็อกเพราะใส่ผิดหลายครั้ง ผู้ดูแลโทเค็นต้องปลดล็อก",
        )
    if isinstance(exc, p11e.PinExpired):
        return _err(
            KeyAccessError,
            "the token's PIN has expired; change it before signing",
            "รหัส PIN ของโทเค็นหมดอายุ ต้องเปลี่ยนก่อนลงลายมือชื่อ",
        )
    if isinstance(
        exc,
        p11e.NoSuchToken
        | p11e.TokenNotPresent
        | p11e.TokenNotRecognised
        | p11e.DeviceRemoved
        | p11e.SlotIDInvalid,
    ):
        return _err(
            TokenNotFoundError,
            f"the token is not present ({doing})",
            f"ไม่พบโทเค็น ({doing})",
        )
    if isinstance(exc, p11e.NoSuchKey):
        return _err(KeyNotFoundError, f"key not found ({doing})", f"ไม่พบกุญแจ ({doing})")
    if isinstance(
        exc,
        p11e.MechanismInvalid
        | p11e.MechanismParamInvalid
        | p11e.KeyTypeInconsistent
        | p11e.FunctionNotSupported,
    ):
        return _err(
            MechanismNotSupportedError,
            f"the token cannot perform this signature algorithm ({doing}: {name})",
            f"โทเค็นไม่รองรับอัลกอริทึมลายมือชื่อนี้ ({doing}: {name})",
        )
    if isinstance(exc, p11e.PKCS11Error) and "0x68" in str(exc):
        # CKR_KEY_FUNCTION_NOT_PERMITTED has no class of its own in the binding.
        return _err(
            KeyPermissionError,
            "the key is not allowed to sign (CKA_SIGN is false)",
            "กุญแจนี้ไม่ได้รับอนุญาตให้ลงลายมือชื่อ (CKA_SIGN เป็น false)",
        )
    if isinstance(exc, p11e.UserNotLoggedIn):
        return _err(
            KeyAccessError,
            "the token session is no longer logged in (was the token removed or reset?)",
            "เซสชันของโทเค็นไม่ได้เข้าสู่ระบบแล้ว (โทเค็นถูกถอดหรือรีเซ็ตหรือไม่)",
        )
    return _err(
        KeyAccessError,
        f"PKCS#11 error while {doing}: {name} {exc}".rstrip(),
        f"เกิดข้อผิดพลาด PKCS#11 ระหว่าง {doing}: {name} {exc}".rstrip(),
    )


# ---------------------------------------------------------------------------------------------
# Token login, shared by every key on the token


@dataclass(eq=False)
class _Login:
    session: Any
    pin_digest: bytes
    salt: bytes
    users: int


def _pin_digest(pin: str, salt: bytes) -> bytes:
    # Only compared in-process to tell whether a second key was opened with the same PIN; a
    # keyed hash avoids keeping another copy of the PIN itself around.
    return hmac.new(salt, pin.encode("utf-8"), hashlib.sha256).digest()


def _find_token(module: _Module, params: Pkcs11Params) -> Any:
    try:
        slots = module.lib.get_slots(token_present=True)
    except p11e.PKCS11Error as exc:
        raise _map_error(exc, "listing slots") from exc
    matches = []
    for slot in slots:
        try:
            token = slot.get_token()
        except (p11e.TokenNotPresent, p11e.TokenNotRecognised):
            continue
        if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
            continue
        serial = token.serial.decode("ascii", "replace").strip()
        if params.token_label is not None and token.label != params.token_label:
            continue
        if params.token_serial is not None and serial != params.token_serial:
            continue
        if (
            params.token_manufacturer is not None
            and token.manufacturer_id != params.token_manufacturer
        ):
            continue
        if params.token_model is not None and token.model != params.token_model:
            continue
        if params.slot_id is not None and slot.slot_id != params.slot_id:
            continue
        matches.append(token)
    if not matches:
        raise _err(
            TokenNotFoundError,
            f"no PKCS#11 token matches {params!r}",
            f"ไม่พบโทเค็น PKCS#11 ที่ตรงกับ {params!r}",
        )
    if len(matches) > 1:
        labels = ", ".join(repr(t.label) for t in matches)
        raise _err(
            KeyAccessError,
            f"several PKCS#11 tokens match ({labels}); name one by label or serial",
            f"มีโทเค็น PKCS#11 ตรงกันหลายตัว ({labels}) ให้ระบุด้วยชื่อหรือหมายเลขซีเรียล",
        )
    return matches[0]


def _login(module: _Module, token: Any, pin: str) -> _Login:
    """Log in to ``token`` once per process; later callers must present the same PIN."""
    slot_id: int = token.slot.slot_id
    with module.login_lock:
        existing = module.logins.get(slot_id)
        if existing is not None:
            if not hmac.compare_digest(existing.pin_digest, _pin_digest(pin, existing.salt)):
                raise _err(
                    PinIncorrectError,
                    "the token rejected the PIN (it differs from the PIN of the open login)",
                    "โทเค็นปฏิเสธรหัส PIN (ไม่ตรงกับ PIN ที่ใช้เข้าสู่ระบบอยู่)",
                )
            existing.users += 1
            return existing
        if token.flags & pkcs11.TokenFlag.USER_PIN_LOCKED:
            # Checked first so that a locked token is not sent another attempt.
            raise _map_error(p11e.PinLocked(), "logging in")
        with module.calling():
            try:
                session = token.open(user_pin=pin)
            except p11e.UserAlreadyLoggedIn:
                # Other code in this process logged in to this token; PKCS#11 gives us no way
                # to check the PIN without logging that code out, so the existing login is used.
                try:
                    session = token.open()
                except p11e.PKCS11Error as exc:
                    raise _map_error(exc, "opening a session") from exc
            except p11e.PKCS11Error as exc:
                raise _map_error(exc, "logging in") from exc
        salt = secrets.token_bytes(16)
        login = _Login(session, _pin_digest(pin, salt), salt, 1)
        module.logins[slot_id] = login
        return login


def _logout(module: _Module, slot_id: int, login: _Login) -> None:
    with module.login_lock:
        login.users -= 1
        if login.users > 0:
            return
        module.logins.pop(slot_id, None)
        with module.calling(), suppress(p11e.PKCS11Error):  # the token may be gone
            login.session.close()  # logs the application out of the token


# ---------------------------------------------------------------------------------------------
# Mechanisms

_CURVE_BYTES = {"secp256r1": 32, "secp384r1": 48, "secp521r1": 66}
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
}

# RFC 8017 §9.2 note 1: DER DigestInfo prefixes, for tokens that only offer raw CKM_RSA_PKCS.
_DIGEST_INFO = {
    DigestAlgorithm.SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    DigestAlgorithm.SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    DigestAlgorithm.SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one XMLDSig algorithm is carried out on this token."""

    mechanism: Any
    param: Any
    prehash: DigestAlgorithm | None  # hash on the host first
    prefix: bytes  # DigestInfo for raw CKM_RSA_PKCS


def _plan(algorithm: SignatureAlgorithm, key_type: KeyType, mechanisms: frozenset[Any]) -> _Plan:
    if not algorithm.producible or algorithm.digest is None:
        raise _err(
            MechanismNotSupportedError,
            f"{algorithm.short_name} is not a signing algorithm edocstd uses with PKCS#11 tokens",
            f"{algorithm.short_name} ไม่ใช่อัลกอริทึมที่ edocstd ใช้ลงลายมือชื่อกับโทเค็น PKCS#11",
        )
    family = KeyType.RSA if algorithm.key_type is KeyType.RSA_PSS else algorithm.key_type
    if family is not key_type:
        raise _err(
            MechanismNotSupportedError,
            f"{algorithm.short_name} needs a {family.value} key; the token key is {key_type.value}",
            f"{algorithm.short_name} ต้องใช้กุญแจแบบ {family.value} "
            f"แต่กุญแจบนโทเค็นเป็นแบบ {key_type.value}",
        )
    digest = algorithm.digest
    name = digest.name  # SHA256, SHA384, SHA512
    combined: Any
    raw: Any
    param: Any = None
    prefix = b""
    if algorithm.key_type is KeyType.RSA:
        combined = getattr(Mechanism, f"{name}_RSA_PKCS")
        raw = Mechanism.RSA_PKCS
        prefix = _DIGEST_INFO[digest]
    elif algorithm.key_type is KeyType.RSA_PSS:
        combined = getattr(Mechanism, f"{name}_RSA_PKCS_PSS")
        raw = Mechanism.RSA_PKCS_PSS
        # XMLDSig RSA-PSS (RFC 9231 §2.3.10): MGF1 with the same hash, salt = hash length.
        param = (getattr(Mechanism, name), getattr(MGF, name), digest.hash().digest_size)
    else:
        combined = getattr(Mechanism, f"ECDSA_{name}")
        raw = Mechanism.ECDSA
    if combined in mechanisms:
        return _Plan(combined, param, None, b"")
    if raw in mechanisms:
        return _Plan(raw, param, digest, prefix)
    raise _err(
        MechanismNotSupportedError,
        f"the token offers neither {combined.name} nor {raw.name} for {algorithm.short_name}",
        f"โทเค็นไม่มีทั้ง {combined.name} และ {raw.name} สำหรับ {algorithm.short_name}",
    )


# ---------------------------------------------------------------------------------------------
# The key


class Pkcs11Key:
    """A private key on a PKCS#11 token, usable as a :class:`~edocstd.sign.SigningKey`.

    Build one with :func:`open_pkcs11_key`. It is safe to share between threads; close it
    (or use it as a context manager) when done, which closes its sessions and, with the last
    key on the token, logs out.
    """

    certificate: x509.Certificate | None
    """The signer's certificate: passed in, or read from the token (``None`` if neither)."""
    chain: tuple[x509.Certificate, ...]
    """CA certificates leading from :attr:`certificate` towards its root (root excluded)."""
    key_type: KeyType
    """``KeyType.RSA`` or ``KeyType.ECDSA``."""
    label: str | None
    """The key's ``CKA_LABEL``."""
    key_id: bytes
    """The key's ``CKA_ID``."""
    token_label: str
    """The label of the token that holds the key."""

    _module: _Module
    _slot_id: int
    _login: _Login
    _sessions: list[tuple[Any, Any]]
    _idle: queue.SimpleQueue[tuple[Any, Any]]
    _mechanisms: frozenset[Any]
    _plans: dict[SignatureAlgorithm, _Plan]
    _curve_bytes: int
    _public: PublicKey | None
    _close_lock: threading.Lock
    _closed: bool

    def __init__(self) -> None:
        raise TypeError("use open_pkcs11_key() to open a PKCS#11 key")

    @classmethod
    def _create(
        cls,
        module: _Module,
        token: Any,
        login: _Login,
        pool: list[tuple[Any, Any]],
        info: _KeyInfo,
        certificate: x509.Certificate | None,
        chain: tuple[x509.Certificate, ...],
        mechanisms: frozenset[Any],
        public: PublicKey | None,
    ) -> Pkcs11Key:
        self = object.__new__(cls)
        self._module = module
        self._slot_id = token.slot.slot_id
        self._login = login
        self._sessions = list(pool)
        self._idle = queue.SimpleQueue()
        for entry in pool:
            self._idle.put(entry)
        self._mechanisms = mechanisms
        self._plans = {}
        self._curve_bytes = info.curve_bytes
        self._public = public
        self._close_lock = threading.Lock()
        self._closed = False
        self.certificate = certificate
        self.chain = chain
        self.key_type = info.key_type
        self.label = info.label
        self.key_id = info.key_id
        self.token_label = token.label
        return self

    def public_key(self) -> PublicKey:
        """The key's public half, as the token (or, failing that, the certificate) gives it."""
        if self._public is None:
            raise _err(
                KeyAccessError,
                "the token does not expose the key's public half and no certificate was found",
                "โทเค็นไม่เปิดเผยกุญแจสาธารณะ และไม่พบใบรับรอง",
            )
        return self._public

    # -- SigningKey ----------------------------------------------------------------------------

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        """Sign ``data`` (the message, not a digest) on the token; see ``SigningKey.sign``.

        ECDSA values come back as raw ``r || s``. Raises :class:`~edocstd.KeyAccessError`
        subclasses: :class:`~edocstd.MechanismNotSupportedError` when neither the combined
        mechanism nor its raw variant is offered, :class:`~edocstd.KeyPermissionError` when
        the token refuses the key for signing.
        """
        if self._closed:
            raise _err(KeyAccessError, "the PKCS#11 key is closed", "กุญแจ PKCS#11 ถูกปิดแล้ว")
        plan = self._plans.get(algorithm)
        if plan is None:
            plan = _plan(algorithm, self.key_type, self._mechanisms)
            self._plans[algorithm] = plan
        message = data
        if plan.prehash is not None:
            message = plan.prefix + hashlib.new(plan.prehash.hash_name, data).digest()
        entry = self._idle.get()
        try:
            with self._module.calling():
                if self._closed:
                    raise _err(KeyAccessError, "the PKCS#11 key is closed", "กุญแจ PKCS#11 ถูกปิดแล้ว")
                signature: bytes = entry[1].sign(
                    message, mechanism=plan.mechanism, mechanism_param=plan.param
                )
        except p11e.PKCS11Error as exc:
            raise _map_error(exc, "signing") from exc
        finally:
            self._idle.put(entry)
        if self.key_type is KeyType.ECDSA:
            return self._ecdsa_raw(signature)
        return signature

    def _ecdsa_raw(self, signature: bytes) -> bytes:
        size = self._curve_bytes
        if len(signature) == 2 * size:
            return signature
        # PKCS#11 specifies r || s, but some tokens return DER; accept that too.
        try:
            r, s = decode_dss_signature(signature)
        except ValueError:
            raise SigningError(
                f"the token returned an ECDSA signature of unexpected length {len(signature)}"
            ) from None
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._closed

    def close(self) -> None:
        """Close the key's sessions; the last key on a token also logs out. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        # Wait for signatures in flight: take every session back from the pool.
        for _ in self._sessions:
            self._idle.get()
        with self._module.calling():
            for session, _key in self._sessions:
                if session is not self._login.session:
                    with suppress(p11e.PKCS11Error):  # the token may be gone
                        session.close()
        for entry in self._sessions:
            self._idle.put(entry)  # later sign() calls fail cleanly instead of blocking
        _logout(self._module, self._slot_id, self._login)

    def __enter__(self) -> Pkcs11Key:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<Pkcs11Key {self.key_type.value} label={self.label!r} id={self.key_id.hex()} "
            f"token={self.token_label!r} {state}>"
        )


# ---------------------------------------------------------------------------------------------
# Opening a key


@dataclass(frozen=True, slots=True)
class _KeyInfo:
    key_type: KeyType
    label: str | None
    key_id: bytes
    curve_bytes: int
    modulus: int | None
    public_exponent: int | None
    curve: str | None


def _attr(obj: Any, attribute: Any, default: Any = None) -> Any:
    try:
        return obj[attribute]
    except (p11e.AttributeTypeInvalid, p11e.AttributeSensitive):
        return default


def _key_info(key: Any) -> _KeyInfo:
    kind = _attr(key, Attribute.KEY_TYPE)
    label = _attr(key, Attribute.LABEL) or None
    key_id = bytes(_attr(key, Attribute.ID, b"") or b"")
    if not _attr(key, Attribute.SIGN, False):
        raise _err(
            KeyPermissionError,
            f"the key {label or key_id.hex()!r} is not allowed to sign (CKA_SIGN is false)",
            f"กุญแจ {label or key_id.hex()!r} ไม่ได้รับอนุญาตให้ลงลายมือชื่อ (CKA_SIGN เป็น false)",
        )
    if _attr(key, Attribute.ALWAYS_AUTHENTICATE, False):
        raise _err(
            KeyAccessError,
            "the key needs the PIN again for every signature (CKA_ALWAYS_AUTHENTICATE); "
            "edocstd does not support such keys",
            "กุญแจนี้ต้องใส่ PIN ทุกครั้งที่ลงลายมือชื่อ (CKA_ALWAYS_AUTHENTICATE) ซึ่ง edocstd ไม่รองรับ",
        )
    if kind == P11KeyType.RSA:
        modulus = int.from_bytes(_attr(key, Attribute.MODULUS, b"") or b"", "big") or None
        exponent = int.from_bytes(_attr(key, Attribute.PUBLIC_EXPONENT, b"") or b"", "big")
        return _KeyInfo(KeyType.RSA, label, key_id, 0, modulus, exponent or None, None)
    if kind == P11KeyType.EC:
        params = _attr(key, Attribute.EC_PARAMS)
        curve = None
        if params:
            try:
                domain = ECDomainParameters.load(bytes(params))
                domain.native  # noqa: B018 - forces parsing, so bad DER fails here
                curve = domain.chosen.native if domain.name == "named" else None
            except ValueError:
                curve = None
        if curve not in _CURVE_BYTES:
            raise _err(
                MechanismNotSupportedError,
                f"the EC key is on an unsupported curve ({curve}); use P-256, P-384 or P-521",
                f"กุญแจ EC อยู่บนเส้นโค้งที่ไม่รองรับ ({curve}) ให้ใช้ P-256, P-384 หรือ P-521",
            )
        return _KeyInfo(KeyType.ECDSA, label, key_id, _CURVE_BYTES[curve], None, None, curve)
    raise _err(
        MechanismNotSupportedError,
        f"the key type {kind!r} cannot sign XML signatures here (RSA and EC keys can)",
        f"กุญแจชนิด {kind!r} ใช้ลงลายมือชื่อ XML ไม่ได้ (ใช้ได้เฉพาะ RSA และ EC)",
    )


def _find_key(session: Any, params: Pkcs11Params) -> Any:
    template: dict[Any, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
    if params.key_label is not None:
        template[Attribute.LABEL] = params.key_label
    if params.key_id is not None:
        template[Attribute.ID] = params.key_id
    keys = list(session.get_objects(template))
    wanted = f"label={params.key_label!r} id={params.key_id.hex() if params.key_id else None}"
    if not keys:
        raise _err(
            KeyNotFoundError,
            f"no private key on the token matches {wanted}",
            f"ไม่พบกุญแจส่วนตัวบนโทเค็นที่ตรงกับ {wanted}",
        )
    if len(keys) > 1:
        raise _err(
            KeyNotFoundError,
            f"{len(keys)} private keys on the token match {wanted}; name one by id or label",
            f"มีกุญแจส่วนตัว {len(keys)} ดอกบนโทเค็นที่ตรงกับ {wanted} ให้ระบุด้วย id หรือ label",
        )
    return keys[0]


def _token_certificates(session: Any) -> list[tuple[bytes, str | None, x509.Certificate]]:
    found = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        value = _attr(obj, Attribute.VALUE)
        if not value:
            continue
        try:
            cert = x509.load_der_x509_certificate(bytes(value))
        except ValueError:
            continue  # not an X.509 certificate (or a broken one): not ours to use
        found.append(
            (bytes(_attr(obj, Attribute.ID, b"") or b""), _attr(obj, Attribute.LABEL), cert)
        )
    return found


def _token_public_key(info: _KeyInfo, session: Any) -> PublicKey | None:
    """The key's public half as the token holds it (``None`` if the token does not say)."""
    if info.key_type is KeyType.RSA:
        if info.modulus is None or info.public_exponent is None:
            return None
        return rsa.RSAPublicNumbers(info.public_exponent, info.modulus).public_key()
    if not info.key_id or info.curve is None:
        return None
    pubs = list(
        session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: info.key_id})
    )
    if len(pubs) != 1:
        return None
    point = _attr(pubs[0], Attribute.EC_POINT)
    if not point:
        return None
    try:
        raw = OctetString.load(bytes(point)).native
    except ValueError:
        raw = bytes(point)  # some tokens store the bare point
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[info.curve](), raw)
    except (ValueError, TypeError):
        return None


def _same_key(a: PublicKey, b: object) -> bool:
    fmt = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return isinstance(b, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) and (
        a.public_bytes(*fmt) == b.public_bytes(*fmt)
    )


def _chain_for(
    leaf: x509.Certificate, pool: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    chain: list[x509.Certificate] = []
    current = leaf
    while current.issuer != current.subject and len(chain) < 8:
        parent = None
        for candidate in pool:
            if candidate.subject != current.issuer or candidate in chain or candidate == leaf:
                continue
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            parent = candidate
            break
        if parent is None or parent.issuer == parent.subject:
            break  # trust anchors are the relying party's business, not part of the chain
        chain.append(parent)
        current = parent
    return tuple(chain)


def open_pkcs11_key(
    uri_or_params: str | Pkcs11Params,
    pin: str,
    *,
    module_path: str | os.PathLike[str] | None = None,
    certificate: x509.Certificate | None = None,
    chain: Sequence[x509.Certificate] | None = None,
    sessions: int = _DEFAULT_SESSIONS,
) -> Pkcs11Key:
    """Open the private key named by an RFC 7512 URI (or :class:`Pkcs11Params`) and log in.

    The module comes from the URI's ``module-path`` (or ``params.module``), else from
    ``module_path``. ``pin`` is the user PIN; it is never read from the URI. The certificate is
    ``certificate`` when given (it must carry the token key's public key), else the token's
    certificate with the key's ``CKA_ID``, else the one with its label. ``chain`` defaults to
    the CA certificates on the token that issued it. ``sessions`` bounds how many signatures run
    on the token at once.

    Loading a PKCS#11 module runs its code in this process: take URIs and module paths only from
    trusted configuration, never from documents or requests.

    Raises :class:`~edocstd.InputError` for a bad URI or missing module,
    :class:`~edocstd.TokenNotFoundError`, :class:`~edocstd.PinIncorrectError`,
    :class:`~edocstd.PinLockedError`, :class:`~edocstd.KeyNotFoundError`,
    :class:`~edocstd.KeyPermissionError`, :class:`~edocstd.MechanismNotSupportedError` (key of a
    type or curve edocstd cannot use), :class:`~edocstd.CertificateError` (certificate does not
    match the key) or :class:`~edocstd.KeyAccessError` for other token failures.
    """
    params = parse_pkcs11_uri(uri_or_params) if isinstance(uri_or_params, str) else uri_or_params
    if not isinstance(params, Pkcs11Params):
        raise InputError(
            "expected a pkcs11: URI or Pkcs11Params / ต้องเป็น pkcs11: URI หรือ Pkcs11Params"
        )
    if not isinstance(pin, str):
        raise InputError("the PIN must be a string / PIN ต้องเป็นสตริง")
    if sessions < 1:
        raise InputError("sessions must be at least 1 / จำนวนเซสชันต้องมีอย่างน้อย 1")
    path = params.module or (os.fspath(module_path) if module_path is not None else None)
    if not path:
        raise InputError(
            "no PKCS#11 module given: put module-path in the URI or pass the module path / "
            "ไม่ได้ระบุโมดูล PKCS#11 ให้ใส่ module-path ใน URI หรือส่งพาธของโมดูล"
        )
    module = _load_module(path)
    with module.calling():
        token = _find_token(module, params)
    login = _login(module, token, pin)
    pool: list[tuple[Any, Any]] = []
    try:
        with module.calling():
            try:
                key = _find_key(login.session, params)
                info = _key_info(key)
                mechanisms = frozenset(token.slot.get_mechanisms())
                token_certs = _token_certificates(login.session)
            except p11e.PKCS11Error as exc:
                raise _map_error(exc, "reading the key") from exc
            public = _token_public_key(info, login.session)
            leaf = certificate
            if leaf is not None:
                if public is not None and not _same_key(public, leaf.public_key()):
                    raise CertificateError(
                        "the certificate does not belong to the key on the token / "
                        "ใบรับรองไม่ตรงกับกุญแจบนโทเค็น"
                    )
            else:
                by_id = [c for i, _l, c in token_certs if info.key_id and i == info.key_id]
                by_label = [c for _i, lab, c in token_certs if info.label and lab == info.label]
                for cert in by_id + by_label:
                    if public is None or _same_key(public, cert.public_key()):
                        leaf = cert
                        break
            if public is None and leaf is not None:
                # The token does not expose the public half; the certificate's must do.
                candidate = leaf.public_key()
                if isinstance(candidate, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
                    public = candidate
            if chain is not None:
                found_chain = tuple(chain)
            elif leaf is not None:
                found_chain = _chain_for(leaf, [c for _i, _l, c in token_certs])
            else:
                found_chain = ()
            # One session per concurrent signer; a serialised module gains nothing from more.
            size = sessions if module.mode is _Threading.OS_LOCKING else 1
            pool.append((login.session, key))
            try:
                for _ in range(size - 1):
                    session = token.open()
                    pool.append((session, _find_key(session, params)))
            except p11e.PKCS11Error as exc:
                raise _map_error(exc, "opening a session") from exc
    except BaseException:
        with module.calling():
            for session, _key in pool[1:]:
                with suppress(p11e.PKCS11Error):  # the token may be gone
                    session.close()
        _logout(module, token.slot.slot_id, login)
        raise
    return Pkcs11Key._create(
        module, token, login, pool, info, leaf, found_chain, mechanisms, public
    )


def _restart_module(path: str) -> None:
    """Finalise and re-initialise a loaded module so that it rereads its configuration.

    For test helpers (SoftHSM2 reads ``SOFTHSM2_CONF`` and discovers tokens only at
    initialisation). Refused while any key opened through the module is still open.
    """
    real = os.path.realpath(path)
    with _MODULES_LOCK:
        module = _MODULES.get(real)
        if module is None or module.pid != os.getpid():
            return
        with module.login_lock, module.calling():
            if module.logins:
                raise _err(
                    KeyAccessError,
                    "cannot restart the PKCS#11 module while keys opened through it are open",
                    "ไม่สามารถเริ่มโมดูล PKCS#11 ใหม่ได้ขณะที่ยังมีกุญแจที่เปิดผ่านโมดูลนี้อยู่",
                )
            if module.mode is _Threading.OS_LOCKING and _reinitialize_with_os_locking(real):
                return
            module.lib.reinitialize()
            module.mode = _Threading.SERIALIZED
