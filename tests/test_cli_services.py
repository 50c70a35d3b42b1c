"""The command line against real loopback services: a TSA, OCSP, CRLs, and a SoftHSM2 token.

Each command runs as ``python -m edocstd`` in a child process, as a user would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edocstd.testing.samples import sample_xml
from edocstd.testing.services import TestServices


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edocstd", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = _cli("verify", "--json", *args)
    assert "Traceback" not in proc.stderr
    entries = json.loads(proc.stdout)
    assert len(entries) == 1
    entry: dict[str, Any] = entries[0]
    return proc.returncode, entry


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices.start() as running:
        yield running


@pytest.fixture(scope="module")
def files(services: TestServices, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cli-services")
    pki = services.pki
    paths = {
        "doc": base / "licence.edoc.xml",
        "key": base / "signer.key.pem",
        "cert": base / "signer.pem",
        "chain": base / "chain.pem",
        "root": base / "root.pem",
    }
    paths["doc"].write_bytes(sample_xml())
    paths["key"].write_bytes(pki.signer.key_pem)
    paths["cert"].write_bytes(pki.signer.cert_pem)
    paths["chain"].write_bytes(pki.chain_pem())
    paths["root"].write_bytes(pki.trust_pem())
    return paths


def _sign_args(files: dict[str, Path], out: Path) -> list[str]:
    return [
        "sign",
        str(files["doc"]),
        "-o",
        str(out),
        "--key",
        str(files["key"]),
        "--cert",
        str(files["cert"]),
        "--chain",
        str(files["chain"]),
    ]


def test_sign_at_b_t_with_a_tsa(
    services: TestServices, files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "b-t.edoc.xml"
    proc = _cli(*_sign_args(files, out), "--level", "B-T", "--tsa", services.tsa.url)
    assert proc.returncode == 0, proc.stderr
    code, entry = _verify_json(str(out), "--trust", str(files["root"]), "--revocation", "none")
    assert code == 0
    assert entry["indication"] == "TOTAL-PASSED"
    assert entry["signatures"][0]["level"] == "B-T"
    assert len(entry["signatures"][0]["timestamp_times"]) == 1


def test_sign_above_b_b_without_a_tsa_writes_nothing(
    files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "never.edoc.xml"
    proc = _cli(*_sign_args(files, out), "--level", "B-T")
    assert proc.returncode == 2
    assert "--level B-T needs a time-stamping authority (TSA)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_sign_at_b_lt_needs_the_trust_anchor_then_verifies_offline(
    services: TestServices, files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "b-lt.edoc.xml"
    level = ["--level", "B-LT", "--tsa", services.tsa.url]
    # The chain file holds the intermediate only: the trust anchor is missing.
    proc = _cli(*_sign_args(files, out), *level)
    assert proc.returncode == 1 and "trust anchor" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    proc = _cli(*_sign_args(files, out), "--chain", str(files["root"]), *level)
    assert proc.returncode == 0, proc.stderr
    code, entry = _verify_json(str(out), "--trust", str(files["root"]), "--min-level", "B-LT")
    assert (code, entry["indication"]) == (0, "TOTAL-PASSED"), entry
    assert entry["signatures"][0]["level"] == "B-LT"
    # The human line says when the time-stamp proves the signature existed, as summary() does.
    human = _cli("verify", str(out), "--trust", str(files["root"]))
    stamped = entry["signatures"][0]["best_signature_time"]
    assert stamped and f"(XAdES B-LT) [time-stamped {stamped}]" in human.stdout


def test_extend_without_a_tsa_is_a_usage_error(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "never.edoc.xml"
    proc = _cli("extend", str(files["doc"]), "-o", str(out), "--level", "B-LTA")
    assert proc.returncode == 2 and "--tsa URL" in proc.stderr
    assert not out.exists()


def test_extend_b_b_to_b_t(services: TestServices, files: dict[str, Path], tmp_path: Path) -> None:
    signed = tmp_path / "b-b.edoc.xml"
    assert _cli(*_sign_args(files, signed)).returncode == 0
    extended = tmp_path / "b-t.edoc.xml"
    proc = _cli(
        "extend", str(signed), "-o", str(extended), "--level", "B-T", "--tsa", services.tsa.url
    )
    assert proc.returncode == 0, proc.stderr
    code, entry = _verify_json(str(extended), "--trust", str(files["root"]), "--revocation", "none")
    assert (code, entry["signatures"][0]["level"]) == (0, "B-T")


def test_extend_b_b_to_b_lta_then_verify_offline(
    services: TestServices, files: dict[str, Path], tmp_path: Path
) -> None:
    signed = tmp_path / "b-b.edoc.xml"
    assert _cli(*_sign_args(files, signed)).returncode == 0
    extended = tmp_path / "b-lta.edoc.xml"
    extend = ["extend", str(signed), "-o", str(extended), "--tsa", services.tsa.url]
    # B-LT and above store every chain's certificates: the trust anchor must be given.
    proc = _cli(*extend, "--level", "B-LTA")
    assert proc.returncode == 1 and "trust anchor" in proc.stderr
    assert not extended.exists()
    proc = _cli(*extend, "--level", "B-LTA", "--chain", str(files["root"]))
    assert proc.returncode == 0, proc.stderr
    # Offline revocation (the default): the B-LTA document carries everything it needs.
    code, entry = _verify_json(str(extended), "--trust", str(files["root"]))
    assert (code, entry["indication"]) == (0, "TOTAL-PASSED"), entry
    assert entry["signatures"][0]["level"] == "B-LTA"
    # The same B-B document, offline and with no revocation data, cannot conclude.
    code, entry = _verify_json(str(signed), "--trust", str(files["root"]))
    assert (code, entry["indication"]) == (1, "INDETERMINATE")


def test_verify_online_with_the_responders_down_is_try_later(tmp_path: Path) -> None:
    # Services of their own, stopped after signing: the certificate's OCSP and CRL URLs
    # point at ports where nothing answers any more.
    with TestServices.start() as gone:
        pki = gone.pki
        doc = tmp_path / "doc.edoc.xml"
        key, cert, chain = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "ca.pem"
        root = tmp_path / "root.pem"
        doc.write_bytes(sample_xml())
        key.write_bytes(pki.signer.key_pem)
        cert.write_bytes(pki.signer.cert_pem)
        chain.write_bytes(pki.chain_pem())
        root.write_bytes(pki.trust_pem())
    signed = tmp_path / "signed.edoc.xml"
    sign = ["sign", str(doc), "-o", str(signed), "--key", str(key), "--cert", str(cert)]
    assert _cli(*sign, "--chain", str(chain)).returncode == 0
    code, entry = _verify_json(str(signed), "--trust", str(root), "--revocation", "online")
    assert code == 1
    assert (entry["indication"], entry["sub_indication"]) == ("INDETERMINATE", "TRY_LATER")


def test_sign_with_a_key_on_a_softhsm2_token(
    services: TestServices, files: dict[str, Path], tmp_path: Path
) -> None:
    pytest.importorskip("pkcs11")
    from edocstd.testing.softhsm import SoftHSM, SoftHSMError, find_softhsm_module

    try:
        find_softhsm_module()
    except SoftHSMError as exc:  # pragma: no cover - CI installs softhsm2
        pytest.skip(str(exc))
    pki = services.pki
    hsm = SoftHSM.create(tmp_path / "softhsm")
    token = hsm.init_token("cli token")
    hsm.import_key(
        token,
        pki.signer.key,  # type: ignore[arg-type]
        label="officer",
        key_id=b"\x01",
        certificate=pki.signer.cert,
        extra_certificates=[pki.intermediate.cert],
    )
    out = tmp_path / "hsm.edoc.xml"
    uri = token.uri(key_label="officer")
    env = {**hsm.env, "EDOC_TEST_PIN": token.pin}
    args = ["sign", str(files["doc"]), "-o", str(out), "--pkcs11", uri]
    proc = _cli(*args, "--pin-env", "EDOC_TEST_PIN", env=env)
    assert proc.returncode == 0, proc.stderr
    assert token.pin not in proc.stdout + proc.stderr
    code, entry = _verify_json(str(out), "--trust", str(files["root"]), "--revocation", "none")
    assert (code, entry["indication"]) == (0, "TOTAL-PASSED")
    assert "Somchai" in entry["signatures"][0]["signer"]
    # A wrong PIN is a clear refusal with no output, never a traceback.
    refused = tmp_path / "refused.edoc.xml"
    wrong = ["sign", str(files["doc"]), "-o", str(refused), "--pkcs11", uri, "--pin-env", "X"]
    bad = _cli(*wrong, env={**env, "X": "000000"})
    assert bad.returncode == 1 and "PIN" in bad.stderr and "Traceback" not in bad.stderr
    assert not refused.exists()
    # Without --pin-env there is no PIN at all (it is never taken on the command line).
    assert _cli(*args, env=env).returncode == 2
    # A token holds no trust anchor: for B-LTA, --chain supplies it (with any key source).
    archived = tmp_path / "hsm-b-lta.edoc.xml"
    lta = ["sign", str(files["doc"]), "-o", str(archived), "--pkcs11", uri, "--pin-env", "PIN"]
    lta += ["--level", "B-LTA", "--tsa", services.tsa.url]
    env = {**hsm.env, "PIN": token.pin}
    proc = _cli(*lta, env=env)
    assert proc.returncode == 1 and "trust anchor" in proc.stderr
    assert not archived.exists()
    proc = _cli(*lta, "--chain", str(files["root"]), env=env)
    assert proc.returncode == 0, proc.stderr
    code, entry = _verify_json(str(archived), "--trust", str(files["root"]))
    assert (code, entry["indication"]) == (0, "TOTAL-PASSED"), entry
    assert entry["signatures"][0]["level"] == "B-LTA"
