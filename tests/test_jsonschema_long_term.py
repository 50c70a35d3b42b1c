"""The published JSON Schemas describe long-term verification output too.

A B-LTA document (made with the pytest plugin's running TSA, OCSP responder and CRL server)
goes through ``edocstd verify --json --report``; both outputs must validate against their
schemas, and the time-stamps the schemas describe must really be there, so the schemas are
checked against output that carries them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import edocstd
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("edocstd.jsonschema").joinpath(name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


@pytest.fixture(scope="module")
def lta_file(
    tmp_path_factory: pytest.TempPathFactory,
    edoc_signer: edocstd.Signer,
    edoc_pki: TestPKI,
    edoc_tsa: str,
) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("lta-json")
    signed = edocstd.sign(
        sample_xml(),
        edoc_signer,
        level=edocstd.Level.B_LTA,
        tsa=edoc_tsa,
        extra_certs=(edoc_pki.root.cert,),
    )
    doc = base / "licence.edoc.xml"
    doc.write_bytes(signed)
    trust = base / "trust.pem"
    trust.write_bytes(edoc_pki.trust_pem())
    return doc, trust


def test_verify_json_and_report_of_a_b_lta_document_validate_against_their_schemas(
    lta_file: tuple[Path, Path], tmp_path: Path
) -> None:
    doc, trust = lta_file
    report = tmp_path / "report.jsonl"
    args = ["--json", "--min-level", "B-LTA", "--trust", str(trust), "--report", str(report)]
    proc = subprocess.run(
        [sys.executable, "-m", "edocstd", "verify", *args, str(doc)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr

    entries = json.loads(proc.stdout)
    jsonschema.validate(entries, _schema("verify.schema.json"))
    lines = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert len(lines) == 1
    jsonschema.validate(lines[0], _schema("verify-report.schema.json"))

    for signature in (entries[0]["signatures"][0], lines[0]["signatures"][0]):
        assert signature["level"] == "B-LTA"
        kinds = [t["kind"] for t in signature["timestamps"]]
        assert kinds == ["SignatureTimeStamp", "ArchiveTimeStamp"]
        assert all(t["passed"] for t in signature["timestamps"])
        assert signature["best_signature_time"] == signature["timestamps"][0]["time"]


def test_the_time_stamp_schema_rejects_a_record_without_its_kind() -> None:
    schema = _schema("verify-report.schema.json")
    record = {
        "passed": True,
        "time": None,
        "tsa": None,
        "chain": [],
        "message_en": "",
        "message_th": "",
    }
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/$defs/timestamp", "$defs": schema["$defs"]}
    )
    assert not validator.is_valid(record)
    assert validator.is_valid({**record, "kind": "ArchiveTimeStamp"})
