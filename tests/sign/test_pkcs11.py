"""Signing through a real SoftHSM2 token (issue: HSM signing).

Every test opens its keys on a token made for this module in a temporary directory; the keys
are the test PKI's, imported as non-extractable token keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from edocstd.errors import (
    CertificateError,
    InputError,
    KeyAccessError,
    KeyNotFoundError,
    KeyPermissionError,
    MechanismNotSupportedError,
    PinIncorrectError,
    PinLockedError,
    TokenNotFoundError,
)
from edocstd.sign._algorithms import DigestAlgorithm, KeyType, SignatureAlgorithm
from edocstd.sign._pkcs11 import Pkcs11Key, Pkcs11Params, _map_error, open_pkcs11_key
from edocstd.testing.pki import TestPKI, new_key
from edocstd.testing.softhsm import SoftHSM, SoftHSMError, SoftHSMToken, find_softhsm_module

pkcs11 = pytest.importorskip("pkcs11")
from pkcs11 import Mechanism  # noqa: E402
from pkcs11 import exceptions as p11e  # noqa: E402

try:
    find_softhsm_module()
except SoftHSMError as exc:  # pragma: no cover - CI installs softhsm2
    pytest.skip(str(exc), allow_module_level=True)

MESSAGE = "<ds:SignedInfo>ลายมือชื่อ</ds:SignedInfo>".encode()

RSA_ID = b"\x01"
EC_ID = b"\x02"
NOSIGN_ID = b"\x03"
BARE_ID = b"\x04"
BYLABEL_ID = b"\x05"


@dataclass
class Tokens:
    hsm: SoftHSM
    main: SoftHSMToken
    other: SoftHSMToken
    pki: TestPKI
    bylabel_cert_key: rsa.RSAPrivateKey


@pytest.fixture(scope="module")
def tokens(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Tokens:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm"))
    main = hsm.init_token("edoc test")
    other = hsm.init_token("other")
    hsm.import_key(
        main,
        pki.signer.key,  # type: ignore[arg-type]
        label="signer",
        key_id=RSA_ID,
        certificate=pki.signer.cert,
        extra_certificates=[pki.intermediate.cert, pki.root.cert],
    )
    hsm.import_key(
        main,
        pki.signer_ec.key,  # type: ignore[arg-type]
        label="signer-ec",
        key_id=EC_ID,
        certificate=pki.signer_ec.cert,
    )
    hsm.import_key(main, new_key("rsa2048"), label="no-sign", key_id=NOSIGN_ID, can_sign=False)  # type: ignore[arg-type]
    hsm.import_key(main, new_key("rsa2048"), label="bare", key_id=BARE_ID)  # type: ignore[arg-type]
    # A key whose certificate is stored under the same label but a different CKA_ID.
    bylabel = pki.issue("By Label Signer")
    hsm.import_key(main, bylabel.key, label="by-label", key_id=BYLABEL_ID)  # type: ignore[arg-type]
    hsm.import_certificate(main, bylabel.cert, label="by-label", key_id=b"\x99")
    hsm.import_key(other, new_key("p256"), label="signer", key_id=RSA_ID)  # type: ignore[arg-type]
    return Tokens(hsm, main, other, pki, bylabel.key)  # type: ignore[arg-type]


@pytest.fixture
def hsm(tokens: Tokens) -> Iterator[Tokens]:
    """The module's tokens, made current for this process; checks every key got closed."""
    tokens.hsm.activate()
    yield tokens
    from edocstd.sign._pkcs11 import _MODULES

    module = _MODULES.get(str(Path(tokens.hsm.module).resolve()))
    assert module is None or not module.logins, "a test left a PKCS#11 login open"


@pytest.fixture
def rsa_key(hsm: Tokens) -> Iterator[Pkcs11Key]:
    with open_pkcs11_key(hsm.main.uri(key_label="signer"), hsm.main.pin) as key:
        yield key


@pytest.fixture
def ec_key(hsm: Tokens) -> Iterator[Pkcs11Key]:
    with open_pkcs11_key(hsm.main.uri(key_id=EC_ID), hsm.main.pin) as key:
        yield key


def _verify_rsa(public: rsa.RSAPublicKey, sig: bytes, alg: SignatureAlgorithm) -> None:
    assert alg.digest is not None
    h = alg.digest.hash()
    if alg.key_type is KeyType.RSA_PSS:
        public.verify(sig, MESSAGE, padding.PSS(padding.MGF1(h), h.digest_size), h)
    else:
        public.verify(sig, MESSAGE, padding.PKCS1v15(), h)


def _verify_ec(public: ec.EllipticCurvePublicKey, sig: bytes, alg: SignatureAlgorithm) -> None:
    assert alg.digest is not None
    half = len(sig) // 2
    der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
    public.verify(der, MESSAGE, ec.ECDSA(alg.digest.hash()))


# -- signatures verify against the certificate ----------------------------------------------


@pytest.mark.parametrize(
    "alg",
    [
        SignatureAlgorithm.RSA_SHA256,
        SignatureAlgorithm.RSA_SHA384,
        SignatureAlgorithm.RSA_SHA512,
        SignatureAlgorithm.RSA_PSS_SHA256,
        SignatureAlgorithm.RSA_PSS_SHA384,
        SignatureAlgorithm.RSA_PSS_SHA512,
    ],
)
def test_rsa_token_signature_verifies_with_the_certificate_key(
    rsa_key: Pkcs11Key, alg: SignatureAlgorithm
) -> None:
    sig = rsa_key.sign(MESSAGE, alg)
    assert rsa_key.certificate is not None
    public = rsa_key.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert len(sig) == 256
    _verify_rsa(public, sig, alg)
    with pytest.raises(InvalidSignature):
        _verify_rsa(public, bytes([sig[0] ^ 1]) + sig[1:], alg)


@pytest.mark.parametrize(
    "alg",
    [
        SignatureAlgorithm.ECDSA_SHA256,
        SignatureAlgorithm.ECDSA_SHA384,
        SignatureAlgorithm.ECDSA_SHA512,
    ],
)
def test_p256_token_signature_is_raw_r_s_and_verifies(
    ec_key: Pkcs11Key, alg: SignatureAlgorithm
) -> None:
    sig = ec_key.sign(MESSAGE, alg)
    assert len(sig) == 64  # XMLDSig form: r || s, 32 bytes each, not DER
    assert ec_key.certificate is not None
    public = ec_key.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    _verify_ec(public, sig, alg)


def test_ecdsa_hashes_on_the_host_when_the_token_lacks_combined_mechanisms(
    ec_key: Pkcs11Key,
) -> None:
    # SoftHSM 2.6 offers CKM_ECDSA but no CKM_ECDSA_SHA256.
    ec_key.sign(MESSAGE, SignatureAlgorithm.ECDSA_SHA256)
    plan = ec_key._plans[SignatureAlgorithm.ECDSA_SHA256]
    assert plan.mechanism == Mechanism.ECDSA
    assert plan.prehash is DigestAlgorithm.SHA256


def test_rsa_uses_the_combined_mechanism_when_the_token_offers_it(rsa_key: Pkcs11Key) -> None:
    rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_PSS_SHA256)
    plan = rsa_key._plans[SignatureAlgorithm.RSA_PSS_SHA256]
    assert plan.mechanism == Mechanism.SHA256_RSA_PKCS_PSS
    assert plan.param == (Mechanism.SHA256, pkcs11.MGF.SHA256, 32)
    assert plan.prehash is None


@pytest.mark.parametrize(
    "alg",
    [
        SignatureAlgorithm.RSA_SHA256,
        SignatureAlgorithm.RSA_SHA384,
        SignatureAlgorithm.RSA_SHA512,
        SignatureAlgorithm.RSA_PSS_SHA256,
        SignatureAlgorithm.RSA_PSS_SHA512,
    ],
)
def test_rsa_falls_back_to_raw_mechanisms_with_host_hashing(
    rsa_key: Pkcs11Key, alg: SignatureAlgorithm
) -> None:
    # Pretend the token only has the raw mechanisms: the DigestInfo / PSS-on-digest path runs
    # on the real token and must give signatures that verify the same way.
    rsa_key._mechanisms = frozenset({Mechanism.RSA_PKCS, Mechanism.RSA_PKCS_PSS})
    sig = rsa_key.sign(MESSAGE, alg)
    assert rsa_key._plans[alg].prehash is alg.digest
    public = rsa_key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    _verify_rsa(public, sig, alg)


def test_missing_mechanisms_give_mechanism_not_supported(rsa_key: Pkcs11Key) -> None:
    rsa_key._mechanisms = frozenset({Mechanism.SHA256_RSA_PKCS})
    with pytest.raises(MechanismNotSupportedError, match="RSA_PKCS_PSS"):
        rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_PSS_SHA256)


@pytest.mark.parametrize(
    "alg",
    [SignatureAlgorithm.ECDSA_SHA256, SignatureAlgorithm.ED25519, SignatureAlgorithm.RSA_SHA1],
)
def test_algorithms_the_rsa_key_cannot_do_are_refused(
    rsa_key: Pkcs11Key, alg: SignatureAlgorithm
) -> None:
    with pytest.raises(MechanismNotSupportedError):
        rsa_key.sign(MESSAGE, alg)


def test_ec_key_refuses_rsa(ec_key: Pkcs11Key) -> None:
    with pytest.raises(MechanismNotSupportedError, match="rsa"):
        ec_key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)


# -- certificates ------------------------------------------------------------------------


def test_certificate_and_chain_come_from_the_token(rsa_key: Pkcs11Key, hsm: Tokens) -> None:
    assert rsa_key.certificate == hsm.pki.signer.cert
    # The intermediate is the chain; the self-signed root on the token is left out.
    assert rsa_key.chain == (hsm.pki.intermediate.cert,)
    assert rsa_key.key_type is KeyType.RSA
    assert rsa_key.key_id == RSA_ID
    assert rsa_key.label == "signer"
    assert rsa_key.token_label == "edoc test"


def test_certificate_is_found_by_label_when_ids_differ(hsm: Tokens) -> None:
    with open_pkcs11_key(hsm.main.uri(key_label="by-label"), hsm.main.pin) as key:
        assert key.certificate is not None
        assert key.certificate.public_key().public_numbers() == (  # type: ignore[union-attr]
            hsm.bylabel_cert_key.public_key().public_numbers()
        )


def test_key_without_certificate_on_token_has_none(hsm: Tokens) -> None:
    with open_pkcs11_key(hsm.main.uri(key_id=BARE_ID), hsm.main.pin) as key:
        assert key.certificate is None
        assert key.chain == ()
        assert isinstance(key.public_key(), rsa.RSAPublicKey)


def test_passed_in_certificate_and_chain_are_used(hsm: Tokens) -> None:
    pki = hsm.pki
    with open_pkcs11_key(
        hsm.main.uri(key_id=RSA_ID),
        hsm.main.pin,
        certificate=pki.signer.cert,
        chain=[pki.intermediate.cert, pki.root.cert],
    ) as key:
        assert key.certificate == pki.signer.cert
        assert key.chain == (pki.intermediate.cert, pki.root.cert)


def test_passed_in_certificate_of_another_key_is_refused(hsm: Tokens) -> None:
    with pytest.raises(CertificateError):
        open_pkcs11_key(
            hsm.main.uri(key_id=RSA_ID), hsm.main.pin, certificate=hsm.pki.revoked_signer.cert
        )


def test_ec_public_key_comes_from_the_token(ec_key: Pkcs11Key, hsm: Tokens) -> None:
    public = ec_key.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_numbers() == hsm.pki.signer_ec.key.public_key().public_numbers()  # type: ignore[union-attr]


# -- typed errors ------------------------------------------------------------------------


def test_wrong_pin_gives_pin_incorrect(hsm: Tokens) -> None:
    with pytest.raises(PinIncorrectError):
        open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), hsm.main.pin + "0")


def test_wrong_pin_is_refused_even_while_the_token_is_logged_in(rsa_key: Pkcs11Key) -> None:
    token = rsa_key.token_label
    with pytest.raises(PinIncorrectError):
        open_pkcs11_key(
            Pkcs11Params(find_softhsm_module(), token_label=token, key_id=EC_ID), "wrong-pin"
        )


def test_second_key_on_a_logged_in_token_shares_the_login(rsa_key: Pkcs11Key, hsm: Tokens) -> None:
    with open_pkcs11_key(hsm.main.uri(key_id=EC_ID), hsm.main.pin) as second:
        assert second._login is rsa_key._login
        assert second._module is rsa_key._module  # the module is loaded once per process
        second.sign(MESSAGE, SignatureAlgorithm.ECDSA_SHA256)
    # Closing the second key must not log the first one out.
    rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)


def test_missing_token_gives_token_not_found(hsm: Tokens) -> None:
    with pytest.raises(TokenNotFoundError):
        open_pkcs11_key(
            f"pkcs11:token=no-such-token;object=signer?module-path={hsm.main.module}",
            hsm.main.pin,
        )


def test_token_serial_selects_the_token(hsm: Tokens) -> None:
    params = Pkcs11Params(hsm.main.module, token_serial=hsm.other.serial, key_label="signer")
    with open_pkcs11_key(params, hsm.other.pin) as key:
        assert key.token_label == "other"
        assert key.key_type is KeyType.ECDSA


def test_several_matching_tokens_are_refused(hsm: Tokens) -> None:
    with pytest.raises(KeyAccessError, match="several"):
        open_pkcs11_key(Pkcs11Params(hsm.main.module, key_label="signer"), hsm.main.pin)


def test_missing_key_gives_key_not_found(hsm: Tokens) -> None:
    with pytest.raises(KeyNotFoundError):
        open_pkcs11_key(hsm.main.uri(key_label="nobody"), hsm.main.pin)
    with pytest.raises(KeyNotFoundError):
        open_pkcs11_key(hsm.main.uri(key_label="signer", key_id=EC_ID), hsm.main.pin)


def test_ambiguous_key_is_refused(hsm: Tokens) -> None:
    with pytest.raises(KeyNotFoundError, match="match"):
        open_pkcs11_key(hsm.main.uri(), hsm.main.pin)


def test_key_without_sign_permission_gives_key_permission_error(hsm: Tokens) -> None:
    with pytest.raises(KeyPermissionError):
        open_pkcs11_key(hsm.main.uri(key_id=NOSIGN_ID), hsm.main.pin)


def test_missing_module_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="module"):
        open_pkcs11_key("pkcs11:token=x", "1234")
    with pytest.raises(InputError, match="not found"):
        open_pkcs11_key("pkcs11:token=x", "1234", module_path=tmp_path / "nope.so")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (p11e.PinIncorrect(), PinIncorrectError),
        (p11e.PinLocked(), PinLockedError),
        (p11e.NoSuchToken(), TokenNotFoundError),
        (p11e.TokenNotPresent(), TokenNotFoundError),
        (p11e.DeviceRemoved(), TokenNotFoundError),
        (p11e.NoSuchKey(), KeyNotFoundError),
        (p11e.MechanismInvalid(), MechanismNotSupportedError),
        (p11e.KeyTypeInconsistent(), MechanismNotSupportedError),
        (p11e.PKCS11Error("Unmapped error code 0x68"), KeyPermissionError),
        (p11e.GeneralError(), KeyAccessError),
    ],
)
def test_binding_errors_map_to_typed_errors(exc: Exception, expected: type) -> None:
    # SoftHSM2 never locks a PIN, so the locked case is checked at the mapping.
    mapped = _map_error(exc, "testing")
    assert type(mapped) is expected
    assert " / " in str(mapped)  # English and Thai


# -- sessions and threads ----------------------------------------------------------------


def test_one_thousand_signatures_from_eight_threads_all_verify(rsa_key: Pkcs11Key) -> None:
    public = rsa_key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    results: list[tuple[bytes, bytes]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            for i in range(125):
                msg = MESSAGE + b"%d-%d" % (worker, i)
                sig = rsa_key.sign(msg, SignatureAlgorithm.RSA_SHA256)
                with lock:
                    results.append((msg, sig))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 1000
    for msg, sig in results:
        public.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())


def test_keys_opened_and_closed_concurrently_share_one_login(hsm: Tokens) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def work(key_id: bytes, alg: SignatureAlgorithm) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with open_pkcs11_key(hsm.main.uri(key_id=key_id), hsm.main.pin) as key:
                    key.sign(MESSAGE, alg)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(RSA_ID, SignatureAlgorithm.RSA_SHA256))
        for _ in range(3)
    ] + [
        threading.Thread(target=work, args=(EC_ID, SignatureAlgorithm.ECDSA_SHA256))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # The hsm fixture checks that no login is left open.


def test_closed_key_refuses_to_sign_and_close_is_idempotent(hsm: Tokens) -> None:
    key = open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), hsm.main.pin)
    key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)
    key.close()
    key.close()
    assert key.closed
    with pytest.raises(KeyAccessError, match="closed"):
        key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)


def test_closing_the_last_key_logs_out(hsm: Tokens) -> None:
    with open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), hsm.main.pin) as key:
        module = key._module
        assert module.logins
    assert not module.logins
    # A fresh login with a wrong PIN is checked by the token again.
    with pytest.raises(PinIncorrectError):
        open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), "0000")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_key_refuses_to_sign_in_a_forked_child(rsa_key: Pkcs11Key) -> None:
    pid = os.fork()
    if pid == 0:  # the child: must not touch the parent's token state
        code = 1
        try:
            rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)
        except KeyAccessError as exc:
            code = 0 if "fork" in str(exc) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)  # the parent still signs


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_can_open_the_key_again(rsa_key: Pkcs11Key, hsm: Tokens) -> None:
    public = rsa_key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), hsm.main.pin) as key:
                sig = key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)
                public.verify(sig, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
                code = 0 if key._module.mode.value == "os-locking" else 3
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    rsa_key.sign(MESSAGE, SignatureAlgorithm.RSA_SHA256)


_SERIALIZED_CHILD = """
import sys, threading
import pkcs11
from edocstd.sign._algorithms import SignatureAlgorithm
from edocstd.sign._pkcs11 import open_pkcs11_key
uri, pin = sys.argv[1], sys.stdin.read()
other = pkcs11.lib(uri.split("module-path=")[1])  # other code loaded the module first
with open_pkcs11_key(uri, pin) as key:
    def work():
        for _ in range(50):
            key.sign(b"m", SignatureAlgorithm.RSA_SHA256)
    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(key._module.mode.value, len(key._sessions))
"""


def test_a_module_loaded_by_other_code_is_used_serialised(hsm: Tokens) -> None:
    # The module cannot be restarted with OS locking then, so every call is serialised; run in
    # a child process because a module's state is per process.
    done = subprocess.run(
        [sys.executable, "-c", _SERIALIZED_CHILD, hsm.main.uri(key_id=RSA_ID)],
        input=hsm.main.pin,
        env=hsm.hsm.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["serialized", "1"]


def test_edocstd_loads_modules_with_os_locking(rsa_key: Pkcs11Key) -> None:
    assert rsa_key._module.mode.value == "os-locking"
    assert len(rsa_key._sessions) == 4


def test_pkcs11_key_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError):
        Pkcs11Key()


def test_a_new_softhsm_can_be_activated_after_keys_are_closed(hsm: Tokens, tmp_path: Path) -> None:
    fresh = SoftHSM.create(tmp_path)
    token = fresh.init_token("fresh")
    fresh.import_key(token, new_key("p256"), label="k", key_id=b"\x07")  # type: ignore[arg-type]
    fresh.activate()
    try:
        with open_pkcs11_key(token.uri(key_label="k"), token.pin) as key:
            assert len(key.sign(MESSAGE, SignatureAlgorithm.ECDSA_SHA256)) == 64
        with pytest.raises(TokenNotFoundError):
            open_pkcs11_key(hsm.main.uri(key_id=RSA_ID), hsm.main.pin)
    finally:
        hsm.hsm.activate()


def test_activating_while_a_key_is_open_is_refused(rsa_key: Pkcs11Key, tmp_path: Path) -> None:
    with pytest.raises(KeyAccessError, match="open"):
        SoftHSM.create(tmp_path).activate()
