"""The verifier's online revocation mode, fetching from the real loopback services."""

from __future__ import annotations

from pathlib import Path

from edocstd.errors import NetworkError
from edocstd.ltv._online import OnlineRevocation
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import Issued
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()


def _signed(env: TestServices, who: Issued) -> bytes:
    signer = Signer.from_pem(who.key_pem, who.cert_pem, chain_pem=env.pki.chain_pem())
    return sign(DOC, signer, schema=SchemaCheck.SKIP)


def _verify(env: TestServices, doc: bytes, source: OnlineRevocation) -> tuple[str, str]:
    verifier = Verifier(
        trust=TrustStore.from_pem(env.pki.trust_pem()),
        policy=Policy(revocation="online", require_schema=False),
        revocation_source=source,
    )
    report = verifier.assess(doc)
    return str(report.indication), str(report.sub_indication)


def test_online_mode_fetches_and_passes(env: TestServices) -> None:
    before = env.ocsp.requests + env.crl.requests
    source = OnlineRevocation(issuers=[env.pki.root.cert])
    assert _verify(env, _signed(env, env.pki.signer), source)[0] == "TOTAL-PASSED"
    assert env.ocsp.requests + env.crl.requests > before
    assert source.failures == []


def test_online_mode_finds_the_revoked_signer(env: TestServices) -> None:
    source = OnlineRevocation(issuers=[env.pki.root.cert])
    indication, sub = _verify(env, _signed(env, env.pki.revoked_signer), source)
    assert indication != "TOTAL-PASSED"
    assert "REVOKED" in sub


def test_services_down_gives_try_later_never_a_pass() -> None:
    with TestServices.start() as services:
        doc = _signed(services, services.pki.signer)
        services.ocsp.stop()
        services.crl.stop()
        source = OnlineRevocation(issuers=[services.pki.root.cert], timeout=5)
        indication, sub = _verify(services, doc, source)
    assert (indication, sub) == ("INDETERMINATE", "TRY_LATER")
    assert source.failures
    assert all(isinstance(e, NetworkError) for e in source.failures)
