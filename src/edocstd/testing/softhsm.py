"""Throw-away SoftHSM2 tokens for tests: edocstd's own and integrators'.

SoftHSM2 is a software PKCS#11 module (Debian package ``softhsm2``). This helper gives every
test run its own token directory, so tests never touch the machine's tokens (``tmp_path`` is
a directory of the test's own, ``pki`` a :class:`~edocstd.testing.pki.TestPKI`)::

    from edocstd import Signer
    from edocstd.testing.softhsm import SoftHSM

    hsm = SoftHSM.create(tmp_path)                  # writes softhsm2.conf + tokens/ there
    token = hsm.init_token("edoc-test")             # fresh token, random PINs
    hsm.import_key(token, pki.signer.key, label="signer", key_id=b"\\x01",
                   certificate=pki.signer.cert, extra_certificates=[pki.intermediate.cert])
    hsm.activate()                                  # point this process at it
    signer = Signer.from_pkcs11(token.uri(key_label="signer"), token.pin)

SoftHSM2 reads ``SOFTHSM2_CONF`` (the configuration file that names the token directory) when
the module is initialised, and it only sees the tokens that exist at that moment. So:

* :meth:`SoftHSM.init_token` and :meth:`SoftHSM.import_key` run in child processes
  (``softhsm2-util`` and a small Python child), and never load the module in the calling
  process;
* :meth:`SoftHSM.activate` sets ``SOFTHSM2_CONF`` for the calling process. If edocstd has
  already loaded the module in this process (an earlier test's SoftHSM), it is restarted so that
  it reads the new configuration, which needs every key opened through it to be closed first.
  Call :meth:`SoftHSM.activate` after creating the tokens of a test, and before opening keys.

A pytest fixture is a thin wrapper: create, init, import, activate, yield, close keys.

The module is found by :func:`find_softhsm_module`: the ``SOFTHSM2_MODULE`` environment
variable if set, else the usual install locations (Debian/Ubuntu multiarch and plain
``/usr/lib/softhsm``, ``/usr/local/lib/softhsm``, Homebrew), else the file list of the Debian
package (``dpkg -L softhsm2``).

Never use these tokens for anything real: the PINs are random but handed to whoever asks.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["SoftHSM", "SoftHSMError", "SoftHSMToken", "find_softhsm_module"]

_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


class SoftHSMError(RuntimeError):
    """SoftHSM2 is missing, or setting up a test token failed."""


def find_softhsm_module() -> str:
    """The path of ``libsofthsm2.so``; raises :class:`SoftHSMError` if SoftHSM2 is absent."""
    configured = os.environ.get("SOFTHSM2_MODULE")
    if configured:
        if os.path.isfile(configured):
            return configured
        raise SoftHSMError(f"SOFTHSM2_MODULE names a missing file: {configured}")
    for candidate in _CANDIDATES:
        if os.path.isfile(candidate):
            return candidate
    dpkg = shutil.which("dpkg")
    if dpkg:
        listing = subprocess.run(
            [dpkg, "-L", "softhsm2"], capture_output=True, text=True, check=False
        )
        for line in listing.stdout.splitlines():
            if line.endswith("/libsofthsm2.so") and os.path.isfile(line):
                return line
    raise SoftHSMError(
        "SoftHSM2 is not installed (Debian/Ubuntu: apt-get install softhsm2), "
        "or set SOFTHSM2_MODULE to the path of libsofthsm2.so"
    )


@dataclass(frozen=True)
class SoftHSMToken:
    """An initialised token: its label, serial, PINs and the module that serves it."""

    label: str
    serial: str
    pin: str
    so_pin: str
    module: str

    def uri(
        self,
        *,
        key_label: str | None = None,
        key_id: bytes | None = None,
        with_module: bool = True,
    ) -> str:
        """An RFC 7512 URI naming this token (and a key on it), with ``module-path``."""
        parts = [f"token={quote(self.label, safe='')}"]
        if key_label is not None:
            parts.append(f"object={quote(key_label, safe='')}")
        if key_id is not None:
            parts.append("id=" + "".join(f"%{b:02X}" for b in key_id))
        uri = "pkcs11:" + ";".join(parts)
        if with_module:
            uri += "?module-path=" + quote(self.module, safe="/")
        return uri


class SoftHSM:
    """A SoftHSM2 configuration and token directory of its own, under ``directory``."""

    def __init__(self, directory: Path, module: str) -> None:
        """Use :meth:`create`."""
        self.directory = directory
        self.module = module
        self.conf_path = directory / "softhsm2.conf"
        self.token_dir = directory / "tokens"

    @classmethod
    def create(cls, directory: str | os.PathLike[str], *, module: str | None = None) -> SoftHSM:
        """Write a configuration and an empty token directory under ``directory``."""
        util = shutil.which("softhsm2-util")
        if util is None:
            raise SoftHSMError("softhsm2-util not found (Debian/Ubuntu: apt-get install softhsm2)")
        base = Path(directory).resolve()
        hsm = cls(base, module or find_softhsm_module())
        hsm.token_dir.mkdir(parents=True, exist_ok=True)
        hsm.conf_path.write_text(
            f"directories.tokendir = {hsm.token_dir}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            encoding="utf-8",
        )
        return hsm

    @property
    def env(self) -> dict[str, str]:
        """The environment for a child process that should see these tokens."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf_path)}

    def init_token(
        self, label: str, *, pin: str | None = None, so_pin: str | None = None
    ) -> SoftHSMToken:
        """Initialise a fresh token in the first free slot (random PINs unless given)."""
        pin = pin or secrets.token_hex(4)
        so_pin = so_pin or secrets.token_hex(8)
        self._run_util(
            ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin]
        )
        shown = self._run_util(["--show-slots"])
        serial = _serial_for(shown, label)
        return SoftHSMToken(label, serial, pin, so_pin, self.module)

    def import_key(
        self,
        token: SoftHSMToken,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        *,
        label: str,
        key_id: bytes,
        certificate: x509.Certificate | None = None,
        extra_certificates: Sequence[x509.Certificate] = (),
        can_sign: bool = True,
    ) -> None:
        """Put ``key`` (as a non-extractable, sensitive token key) and its public half on the
        token under ``label``/``key_id``, with ``certificate`` under the same label and id and
        ``extra_certificates`` (CA certificates) under their subject's common name.
        ``can_sign=False`` stores the key with ``CKA_SIGN`` false, for negative tests."""
        objects: list[dict[str, object]] = [
            {
                "kind": "key",
                "der": key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).hex(),
                "label": label,
                "id": key_id.hex(),
                "sign": can_sign,
            }
        ]
        if certificate is not None:
            objects.append(_cert_entry(certificate, label, key_id))
        for index, extra in enumerate(extra_certificates):
            names = extra.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            extra_label = str(names[0].value) if names else f"ca-{index}"
            objects.append(_cert_entry(extra, extra_label, b"ca-%d" % index))
        self._run_child(token, objects)

    def import_certificate(
        self, token: SoftHSMToken, certificate: x509.Certificate, *, label: str, key_id: bytes
    ) -> None:
        """Put a certificate alone on the token."""
        self._run_child(token, [_cert_entry(certificate, label, key_id)])

    def activate(self) -> None:
        """Make this process use these tokens (sets ``SOFTHSM2_CONF``).

        Restarts the module if edocstd loaded it earlier in this process; every key opened
        through it must be closed by then.
        """
        from edocstd.sign._pkcs11 import _restart_module

        previous = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = str(self.conf_path)
        try:
            _restart_module(self.module)
        except BaseException:
            if previous is None:
                del os.environ["SOFTHSM2_CONF"]
            else:
                os.environ["SOFTHSM2_CONF"] = previous
            raise

    # -- children --------------------------------------------------------------------------

    def _run_util(self, args: list[str]) -> str:
        util = shutil.which("softhsm2-util") or "softhsm2-util"
        done = subprocess.run(
            [util, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SoftHSMError(f"softhsm2-util {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def _run_child(self, token: SoftHSMToken, objects: list[dict[str, object]]) -> None:
        # The module is loaded in a child so that the calling process stays free to choose its
        # SOFTHSM2_CONF later. The PIN goes through stdin, never argv.
        request = {"module": self.module, "token": token.label, "pin": token.pin}
        request["objects"] = objects  # type: ignore[assignment]
        done = subprocess.run(
            [sys.executable, "-m", "edocstd.testing.softhsm"],
            input=json.dumps(request),
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SoftHSMError(f"importing onto SoftHSM2 failed: {done.stderr.strip()}")


def _cert_entry(cert: x509.Certificate, label: str, key_id: bytes) -> dict[str, object]:
    return {
        "kind": "cert",
        "der": cert.public_bytes(serialization.Encoding.DER).hex(),
        "label": label,
        "id": key_id.hex(),
    }


def _serial_for(show_slots: str, label: str) -> str:
    """The serial of the token labelled ``label`` in ``softhsm2-util --show-slots`` output.

    Each slot block lists the token's serial number before its label.
    """
    serial = None
    for line in show_slots.splitlines():
        name, _, value = line.strip().partition(":")
        if name == "Slot" or line.startswith("Slot "):
            serial = None
        elif name == "Serial number":
            serial = value.strip()
        elif name == "Label" and value.strip() == label and serial:
            return serial
    raise SoftHSMError(f"token {label!r} not found after initialisation")


# -- the child process -------------------------------------------------------------------------


def _child(request: dict[str, object]) -> None:  # pragma: no cover - runs in a subprocess
    import pkcs11
    from asn1crypto.keys import ECDomainParameters
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    lib = pkcs11.lib(str(request["module"]))
    token = lib.get_token(token_label=str(request["token"]))
    with token.open(rw=True, user_pin=str(request["pin"])) as session:
        for obj in request["objects"]:  # type: ignore[attr-defined]
            der = bytes.fromhex(obj["der"])
            common = {
                Attribute.TOKEN: True,
                Attribute.LABEL: obj["label"],
                Attribute.ID: bytes.fromhex(obj["id"]),
            }
            if obj["kind"] == "cert":
                cert = x509.load_der_x509_certificate(der)
                session.create_object(
                    {
                        **common,
                        Attribute.CLASS: ObjectClass.CERTIFICATE,
                        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                        Attribute.PRIVATE: False,
                        Attribute.SUBJECT: cert.subject.public_bytes(),
                        Attribute.ISSUER: cert.issuer.public_bytes(),
                        Attribute.VALUE: der,
                    }
                )
                continue
            key = serialization.load_der_private_key(der, password=None)
            private = {
                **common,
                Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: bool(obj["sign"]),
            }
            public = {**common, Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.VERIFY: True}
            if isinstance(key, rsa.RSAPrivateKey):
                n = key.private_numbers()
                size = (key.key_size + 7) // 8

                def big(value: int, width: int = 0) -> bytes:
                    return value.to_bytes(width or (value.bit_length() + 7) // 8 or 1, "big")

                rsa_public = {
                    Attribute.KEY_TYPE: KeyType.RSA,
                    Attribute.MODULUS: big(n.public_numbers.n, size),
                    Attribute.PUBLIC_EXPONENT: big(n.public_numbers.e),
                }
                private.update(rsa_public)
                private.update(
                    {
                        Attribute.PRIVATE_EXPONENT: big(n.d, size),
                        Attribute.PRIME_1: big(n.p),
                        Attribute.PRIME_2: big(n.q),
                        Attribute.EXPONENT_1: big(n.dmp1),
                        Attribute.EXPONENT_2: big(n.dmq1),
                        Attribute.COEFFICIENT: big(n.iqmp),
                    }
                )
                public.update(rsa_public)
            elif isinstance(key, ec.EllipticCurvePrivateKey):
                params = ECDomainParameters(name="named", value=key.curve.name).dump()
                width = (key.curve.key_size + 7) // 8
                point = key.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
                from asn1crypto.core import OctetString

                private.update(
                    {
                        Attribute.KEY_TYPE: KeyType.EC,
                        Attribute.EC_PARAMS: params,
                        Attribute.VALUE: key.private_numbers().private_value.to_bytes(width, "big"),
                    }
                )
                public.update(
                    {
                        Attribute.KEY_TYPE: KeyType.EC,
                        Attribute.EC_PARAMS: params,
                        Attribute.EC_POINT: OctetString(point).dump(),
                    }
                )
            else:
                raise SystemExit(f"unsupported key type {type(key).__name__}")
            session.create_object(private)
            session.create_object(public)


if __name__ == "__main__":  # pragma: no cover - the child process
    _child(json.loads(sys.stdin.read()))
