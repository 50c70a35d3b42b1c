"""The command line keeps its contract: exit codes, JSON shapes, no tracebacks."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from edocstd.cli import _parser, main
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.edoc.xml"
    good.write_bytes(sample_xml())
    bad = tmp_path / "bad.edoc.xml"
    bad.write_bytes(sample_xml().replace(b"https://", b"http://"))
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    return {"good": good, "bad": bad, "hostile": hostile}


def test_validate_exit_codes(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["good"])]) == 0
    assert main(["validate", str(files["good"]), str(files["bad"])]) == 1
    assert main(["validate", str(files["hostile"])]) == 1
    assert main(["validate", str(files["good"].with_name("missing.xml"))]) == 2


def test_usage_error_exits_two() -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_validate_json_matches_its_schema(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["validate", "--json", str(files["good"]), str(files["bad"]), str(files["hostile"])]
    )
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    schema = json.loads(
        resources.files("edocstd").joinpath("jsonschema/validate.schema.json").read_text("utf-8")
    )
    jsonschema.validate(out, schema)
    assert [entry["valid"] for entry in out] == [True, False, False]
    assert out[1]["problems"][0]["code"] == "EDOC-R015"
    assert out[2]["problems"][0]["code"] == "EDOC-X000"


def test_validate_speaks_thai(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", "--lang", "th", str(files["bad"])])
    assert "ไม่ถูกต้อง" in capsys.readouterr().out


def test_sign_then_verify_round_trip(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pki = TestPKI.generate()
    key, cert, chain, root = (tmp_path / n for n in ("k.pem", "c.pem", "ca.pem", "root.pem"))
    key.write_bytes(pki.signer.key_pem)
    cert.write_bytes(pki.signer.cert_pem)
    chain.write_bytes(pki.chain_pem())
    root.write_bytes(pki.trust_pem())
    out = tmp_path / "signed.edoc.xml"
    args = ["sign", str(files["good"]), "-o", str(out), "--key", str(key), "--cert", str(cert)]
    assert main([*args, "--chain", str(chain), "--cosign", "allow"]) == 0
    # A second, parallel signature keeps the first one valid.
    cosigned = tmp_path / "cosigned.edoc.xml"
    cosign_args = ["sign", str(out), "-o", str(cosigned), "--key", str(key), "--cert", str(cert)]
    assert main([*cosign_args, "--chain", str(chain)]) == 0
    assert main(["verify", str(cosigned), "--trust", str(root), "--revocation", "none"]) == 0
    assert main(["verify", str(out), "--trust", str(root), "--revocation", "none"]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--trust", str(root), "--revocation", "none", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report[0]["indication"] == "TOTAL-PASSED"
    # Offline revocation without data is not a pass.
    assert main(["verify", str(out), "--trust", str(root)]) == 1
    tampered = tmp_path / "tampered.edoc.xml"
    tampered.write_bytes(out.read_bytes().replace("โรงงาน".encode(), "โรงแรม".encode(), 1))
    assert main(["verify", str(tampered), "--trust", str(root), "--revocation", "none"]) == 1


def test_sign_refuses_an_invalid_document_and_writes_nothing(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    pki = TestPKI.generate()
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    key.write_bytes(pki.signer.key_pem)
    cert.write_bytes(pki.signer.cert_pem)
    out = tmp_path / "out.xml"
    code = main(["sign", str(files["bad"]), "-o", str(out), "--key", str(key), "--cert", str(cert)])
    assert code == 1
    assert not out.exists()


def test_fingerprint_and_inspect(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from edocstd import fingerprint

    assert main(["fingerprint", str(files["good"])]) == 0
    assert capsys.readouterr().out.strip() == fingerprint(files["good"])
    assert main(["inspect", "--json", str(files["good"])]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["is_edoc"] is True
    assert info["fingerprint"] == fingerprint(files["good"])


def test_demo_runs_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "TOTAL-PASSED" in capsys.readouterr().out


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_argument_of_every_command_has_help_text() -> None:
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in _subcommands().items()
        for action in parser._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert not missing, f"arguments without help: {missing}"


@pytest.mark.parametrize("command", ["sign", "extend"])
@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_a_time_stamp_level_without_a_tsa_is_a_usage_error_that_writes_nothing(
    tmp_path: Path,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    command: str,
    level: str,
) -> None:
    out = tmp_path / "out.xml"
    # No key options at all: the level/TSA mismatch is found before anything is read.
    code = main([command, str(files["good"]), "-o", str(out), "--level", level])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--level {level} needs a time-stamping authority (TSA): give --tsa URL" in err
    assert not out.exists()


def test_a_tsa_for_a_b_b_signature_is_a_usage_error(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    code = main(["sign", str(files["good"]), "-o", str(out), "--tsa", "http://127.0.0.1:9/"])
    assert code == 2
    assert "B-B signature carries no time-stamp" in capsys.readouterr().err
    assert not out.exists()


def test_a_command_whose_stdout_closes_early_exits_1_quietly(files: dict[str, Path]) -> None:
    # Its output was not delivered, so not exit 0; and no traceback or message about the pipe.
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(
        [sys.executable, "-m", "edocstd", "fingerprint", str(files["good"]), str(files["bad"])],
        stdout=write,
        stderr=subprocess.PIPE,
        check=False,
    )
    os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == b""


def test_validate_and_verify_help_states_the_exit_codes() -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("validate", "verify"):
        epilog = sub.choices[name].epilog or ""
        assert "exit codes" in epilog and "130" in epilog and "never 0" in epilog
