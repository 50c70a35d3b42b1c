"""RFC 7512 ``pkcs11:`` URI parsing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edocstd.errors import InputError
from edocstd.sign._pkcs11_uri import Pkcs11Params, parse_pkcs11_uri
from edocstd.testing.softhsm import SoftHSMToken

MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def test_path_and_query_attributes_fill_the_parameters() -> None:
    params = parse_pkcs11_uri(
        "pkcs11:token=Agency%20Token;serial=5ac0f80714caadef;manufacturer=SoftHSM%20project;"
        "model=SoftHSM%20v2;slot-id=17;object=signer;id=%01%AB;type=private"
        f"?module-path={MODULE}"
    )
    assert params == Pkcs11Params(
        MODULE,
        token_label="Agency Token",
        token_serial="5ac0f80714caadef",
        key_label="signer",
        key_id=b"\x01\xab",
        token_manufacturer="SoftHSM project",
        token_model="SoftHSM v2",
        slot_id=17,
    )


def test_example_from_rfc_7512_parses() -> None:
    # RFC 7512 §3, with the unsupported library attributes dropped.
    params = parse_pkcs11_uri(
        "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
        "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;"
        "id=%69%95%3E%5C%F4%BD%EC%91"
    )
    assert params.token_label == "The Software PKCS#11 Softtoken"
    assert params.token_manufacturer == "Snake Oil, Inc."
    assert params.key_id == bytes.fromhex("69953e5cf4bdec91")
    assert params.module is None


def test_utf8_labels_are_percent_decoded() -> None:
    label = "กุญแจลงนาม กรมการปกครอง"
    params = parse_pkcs11_uri(f"pkcs11:object={quote(label)}")
    assert params.key_label == label


def test_scheme_and_attribute_names_are_case_insensitive() -> None:
    assert parse_pkcs11_uri("PKCS11:Token=a").token_label == "a"


def test_empty_uri_names_everything() -> None:
    assert parse_pkcs11_uri("pkcs11:") == Pkcs11Params(None)


@pytest.mark.parametrize(
    "uri",
    [
        "pkcs11:token=a?pin-value=1234",
        "pkcs11:token=a?module-path=/x.so&pin-value=1234",
        "pkcs11:?pin-value=",
    ],
)
def test_pin_value_is_refused(uri: str) -> None:
    with pytest.raises(InputError, match="pin-value is refused") as info:
        parse_pkcs11_uri(uri)
    assert "1234" not in str(info.value)  # the PIN is not echoed into logs


def test_pin_source_is_refused() -> None:
    with pytest.raises(InputError, match="pin-source"):
        parse_pkcs11_uri("pkcs11:token=a?pin-source=file:/etc/pin")


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("https://example/token", "pkcs11:"),
        ("pkcs11token=a", "pkcs11:"),
        ("pkcs11:token=a;token=b", "more than once"),
        ("pkcs11:token", "name=value"),
        ("pkcs11:token=a;;object=b", "name=value"),
        ("pkcs11:id=%0", "percent"),
        ("pkcs11:id=%zz", "percent"),
        ("pkcs11:object=%FF", "UTF-8"),
        ("pkcs11:type=secret-key", "type="),
        ("pkcs11:slot-id=abc", "decimal"),
        ("pkcs11:slot-id=%D9%A1", "decimal"),  # Arabic-Indic digit one
        ("pkcs11:library-manufacturer=SoftHSM", "not supported"),
        ("pkcs11:x-vendor=1", "not supported"),
        ("pkcs11:colour=blue", "unknown"),
        ("pkcs11:token=a?module-path=relative/lib.so", "absolute"),
        ("pkcs11:token=a?module-name=softhsm2", "module-name"),
        ("pkcs11:token=a?frobnicate=1", "unsupported"),
        ("pkcs11:token=a#frag", "fragment"),
    ],
)
def test_malformed_or_unsupported_uris_are_refused(uri: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_pkcs11_uri(uri)


def test_non_string_is_refused() -> None:
    with pytest.raises(InputError):
        parse_pkcs11_uri(b"pkcs11:token=a")  # type: ignore[arg-type]


def test_params_accept_a_path_like_module() -> None:
    from pathlib import Path

    assert Pkcs11Params(Path(MODULE)).module == MODULE  # type: ignore[arg-type]


def test_repr_shows_only_what_is_set() -> None:
    assert repr(Pkcs11Params(None, key_id=b"\x01")) == "Pkcs11Params(key_id=b'\\x01')"


_labels = st.text(min_size=1, max_size=40)
_ids = st.binary(min_size=1, max_size=20)


@given(token=_labels, key=_labels, key_id=_ids)
def test_uris_built_by_the_softhsm_helper_round_trip(token: str, key: str, key_id: bytes) -> None:
    uri = SoftHSMToken(token, "0", "1234", "5678", MODULE).uri(key_label=key, key_id=key_id)
    params = parse_pkcs11_uri(uri)
    assert params == Pkcs11Params(MODULE, token_label=token, key_label=key, key_id=key_id)


@given(st.text(max_size=80))
def test_arbitrary_text_gives_params_or_input_error(text: str) -> None:
    for candidate in (text, "pkcs11:" + text):
        try:
            result = parse_pkcs11_uri(candidate)
        except InputError:
            continue
        assert isinstance(result, Pkcs11Params)
