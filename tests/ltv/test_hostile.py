"""Hostile bytes where a time-stamp token, OCSP response or CRL is expected: typed errors only,
and no mutation of a real token ever validates with different signed content."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edocstd.ltv import (
    LtvError,
    RevocationError,
    TimeStampClient,
    TimeStampError,
    build_ocsp_request,
    check_crl,
    check_ocsp_response,
    parse_timestamp_response,
    parse_timestamp_token,
    validate_timestamp_token,
)
from edocstd.ltv._http import HttpRequest, UrllibClient, exchange
from edocstd.testing.services import TestServices

DATA = b"hostile input tests"
SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Shapes a fuzzer would not easily find: huge lengths, deep nesting, wrong OIDs.
CRAFTED = [
    b"",
    b"\x30",
    b"\x30\x84\xff\xff\xff\xff",  # 4 GiB length
    b"\x30\x89" + b"\xff" * 9,  # length of length beyond any integer we accept
    b"\x30\x80" * 5000 + b"\x00\x00" * 5000,  # deep indefinite nesting
    b"\x30\x82\x00\x03\x06\x01\x00",  # truncated
    bytes.fromhex("300d06092a864886f70d010701a000"),  # ContentInfo: data, not SignedData
    bytes.fromhex("3003020100"),  # status only
    b"\x04\x00" * 100,
]


@pytest.fixture(scope="module")
def samples(env: TestServices) -> dict[str, bytes]:
    token = TimeStampClient(env.tsa.url).stamp(DATA).der
    body, _ = build_ocsp_request(env.pki.signer.cert, env.pki.intermediate.cert, nonce=False)
    ocsp = exchange(
        UrllibClient(),
        HttpRequest(url=env.ocsp.url, body=body, content_type="application/ocsp-request"),
    )
    return {"token": token, "ocsp": ocsp, "crl": env.pki.crl()}


@pytest.mark.parametrize("blob", CRAFTED)
def test_crafted_inputs_give_typed_errors(env: TestServices, blob: bytes) -> None:
    with pytest.raises(TimeStampError):
        parse_timestamp_token(blob)
    with pytest.raises(TimeStampError):
        parse_timestamp_response(blob)
    with pytest.raises(RevocationError):
        check_ocsp_response(blob, env.pki.signer.cert, env.pki.intermediate.cert)
    with pytest.raises(RevocationError):
        check_crl(blob, env.pki.signer.cert, env.pki.intermediate.cert)


@SETTINGS
@given(blob=st.binary(max_size=2048))
def test_random_bytes_give_typed_errors(env: TestServices, blob: bytes) -> None:
    with pytest.raises(TimeStampError):
        parse_timestamp_token(blob)
    with pytest.raises(RevocationError):
        check_ocsp_response(blob, env.pki.signer.cert, env.pki.intermediate.cert)
    with pytest.raises(RevocationError):
        check_crl(blob, env.pki.signer.cert, env.pki.intermediate.cert)


def _mutations() -> st.SearchStrategy[tuple[str, int, int]]:
    # (kind, position fraction in 1/10000, new byte or -1 for truncation)
    return st.tuples(
        st.sampled_from(["flip", "set", "truncate", "insert"]),
        st.integers(0, 9999),
        st.integers(0, 255),
    )


def _mutate(blob: bytes, how: tuple[str, int, int]) -> bytes:
    kind, frac, value = how
    pos = frac * len(blob) // 10000
    if kind == "truncate":
        return blob[:pos]
    if kind == "insert":
        return blob[:pos] + bytes([value]) + blob[pos:]
    out = bytearray(blob)
    out[pos] = (out[pos] ^ (value or 1)) if kind == "flip" else value
    return bytes(out)


@SETTINGS
@given(how=_mutations())
def test_mutated_token_never_validates_with_altered_content(
    env: TestServices, samples: dict[str, bytes], how: tuple[str, int, int]
) -> None:
    original = parse_timestamp_token(samples["token"])
    mutated = _mutate(samples["token"], how)
    try:
        result = validate_timestamp_token(mutated, trust_roots=[env.pki.root.cert], data=DATA)
    except TimeStampError:
        return
    # Only a change to unsigned bytes that leaves the signed TSTInfo intact may still pass.
    got = result.token
    assert (got.gen_time, got.message_imprint, got.policy, got.serial_number, got.nonce) == (
        original.gen_time,
        original.message_imprint,
        original.policy,
        original.serial_number,
        original.nonce,
    )


@SETTINGS
@given(how=_mutations(), which=st.sampled_from(["ocsp", "crl"]))
def test_mutated_revocation_data_never_changes_the_answer(
    env: TestServices, samples: dict[str, bytes], how: tuple[str, int, int], which: str
) -> None:
    check = check_ocsp_response if which == "ocsp" else check_crl
    cert, issuer = env.pki.signer.cert, env.pki.intermediate.cert
    original = check(samples[which], cert, issuer)
    try:
        result = check(_mutate(samples[which], how), cert, issuer)
    except LtvError:
        return
    assert (result.status, result.this_update, result.next_update) == (
        original.status,
        original.this_update,
        original.next_update,
    )


def test_all_prefixes_of_a_real_token_are_refused(samples: dict[str, bytes]) -> None:
    token = samples["token"]
    for cut in range(0, len(token), 7):
        with pytest.raises(TimeStampError):
            parse_timestamp_token(token[:cut])


def test_validation_time_must_be_aware(env: TestServices, samples: dict[str, bytes]) -> None:
    with pytest.raises(ValueError, match="timezone"):
        validate_timestamp_token(
            samples["token"], trust_roots=[env.pki.root.cert], data=DATA, at=dt.datetime(2030, 1, 1)
        )
