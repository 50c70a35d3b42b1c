"""NIDN / TXID check digits (EDOC-R001, R002)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edocstd._ids import is_valid_thai_id, thai_id_check_digit


@pytest.mark.parametrize(
    "value",
    ["1103702071811", "3100501234563", "0105555123450", "0994000161514", "1101700230708"],
)
def test_known_identifiers_are_valid(value: str) -> None:
    assert is_valid_thai_id(value)
    assert thai_id_check_digit(value[:12]) == int(value[12])


def test_check_digit_follows_the_published_formula() -> None:
    # x = sum(d_i * (14 - i)) mod 11 for i = 1..12; check = (11 - x) mod 10
    first12 = "110370207181"
    x = sum(int(d) * (14 - i) for i, d in enumerate(first12, start=1)) % 11
    assert thai_id_check_digit(first12) == (11 - x) % 10 == 1


@pytest.mark.parametrize(
    "value",
    [
        "1103702071812",  # wrong check digit
        "110370207181",  # 12 digits
        "11037020718111",  # 14 digits
        "1103702O71811",  # letter O
        "๑๑๐๓๗๐๒๐๗๑๘๑๑",  # Thai digits are not ASCII digits
        "1103702071811 ",
        "",
    ],
)
def test_malformed_or_wrong_identifiers_are_invalid(value: str) -> None:
    assert not is_valid_thai_id(value)


@pytest.mark.parametrize("bad", ["", "12345678901", "1234567890123", "12345678901a", "๑" * 12])
def test_check_digit_rejects_anything_but_twelve_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        thai_id_check_digit(bad)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_exactly_one_check_digit_makes_an_identifier_valid(first12: str) -> None:
    valid = [d for d in "0123456789" if is_valid_thai_id(first12 + d)]
    assert valid == [str(thai_id_check_digit(first12))]


@given(st.text(alphabet="0123456789", min_size=13, max_size=13), st.integers(0, 11))
def test_changing_one_of_the_first_twelve_digits_is_detected(value: str, pos: int) -> None:
    fixed = value[:12] + str(thai_id_check_digit(value[:12]))
    changed = fixed[:pos] + str((int(fixed[pos]) + 1) % 10) + fixed[pos + 1 :]
    # The weight of the third digit is 11, which is 0 mod 11: the scheme cannot see it. Every
    # other weight moves x, but (11 - x) mod 10 maps x = 0 and x = 10 to the same check digit.
    if pos == 2:
        assert is_valid_thai_id(changed)
        return
    x_old = sum(int(d) * (13 - i) for i, d in enumerate(fixed[:12])) % 11
    x_new = sum(int(d) * (13 - i) for i, d in enumerate(changed[:12])) % 11
    if {x_old, x_new} != {0, 10}:
        assert not is_valid_thai_id(changed)
