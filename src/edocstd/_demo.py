"""``edocstd demo``: the whole life of a licence in one run, with no network.

It builds a sample factory licence, validates it, signs it with a throw-away test PKI, and
verifies it offline against that PKI's root with a fresh CRL, printing each step.
"""

from __future__ import annotations

from typing import Literal, TextIO


def run_demo(lang: Literal["th", "en"] = "en", out: TextIO | None = None) -> int:
    """Run the demo, writing to ``out``; returns the CLI exit code."""
    import sys

    from edocstd.schema._codec import dump, fingerprint
    from edocstd.schema._validate import validate
    from edocstd.sign._sign import sign
    from edocstd.sign._signer import Signer
    from edocstd.testing.pki import TestPKI
    from edocstd.testing.samples import sample_document
    from edocstd.verify import Policy, TrustStore, Verifier

    w = out or sys.stdout
    th = lang == "th"

    def say(th_text: str, en_text: str) -> None:
        w.write((th_text if th else en_text) + "\n")

    doc = sample_document()
    xml = dump(doc)
    say("1. สร้างใบอนุญาตตัวอย่าง", "1. Built a sample licence")
    w.write(xml.decode("utf-8"))
    w.write("\n")

    report = validate(xml)
    say(f"2. ตรวจสอบความถูกต้อง: {report.summary('th')}", f"2. Validated: {report.summary('en')}")
    if not report.valid:
        return 1

    pki = TestPKI.generate()
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, chain_pem=pki.chain_pem())
    signed = sign(xml, signer)
    say(
        f"3. ลงลายมือชื่อ XAdES B-B โดย {pki.signer.cert.subject.rfc4514_string()}",
        f"3. Signed (XAdES B-B) by {pki.signer.cert.subject.rfc4514_string()}",
    )
    say(f"   ลายนิ้วมือเอกสาร {fingerprint(signed)}", f"   fingerprint {fingerprint(signed)}")

    verifier = Verifier(
        trust=TrustStore.from_pem(pki.trust_pem()),
        policy=Policy(revocation="offline"),
        crls=(pki.crl(), pki.crl(issuer=pki.root)),
    )
    vreport = verifier.assess(signed)
    say("4. ตรวจสอบลายมือชื่อ (ออฟไลน์):", "4. Verified (offline):")
    w.write(vreport.summary(lang) + "\n")
    return 0 if vreport.passed else 1
