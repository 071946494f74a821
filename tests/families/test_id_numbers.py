import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from families.idnumbers import (
    InvalidIdNumber,
    make_resident_id,
    mask_id_number,
    mask_phone,
    normalize_name,
    parse_resident_id,
)

regions = st.sampled_from(["110101", "330102", "440305", "510104", "650102"])
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2026, 11, 22))
sexes = st.sampled_from(["M", "F"])


@given(regions, births, st.integers(0, 499), sexes)
def test_every_valid_generated_number_is_accepted(region, birth, seq, sex):
    parsed = parse_resident_id(make_resident_id(region, birth, seq, sex))
    assert (parsed.birth_date, parsed.sex, parsed.region_code) == (birth, sex, region)


@given(regions, births, st.integers(0, 499), sexes, st.integers(0, 17), st.integers(1, 9))
def test_any_single_digit_change_is_rejected(region, birth, seq, sex, position, delta):
    number = make_resident_id(region, birth, seq, sex)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    current = alphabet.index(number[position])
    replacement = alphabet[(current + delta) % len(alphabet)]
    changed = number[:position] + replacement + number[position + 1:]
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(changed)



def test_known_number_with_x_check_digit_parses_in_lowercase():
    # 11010519491231002X is the GB 11643 textbook example.
    assert parse_resident_id("11010519491231002x").number == "11010519491231002X"


@pytest.mark.parametrize(
    "bad",
    ["", "123", "11010519491231002", "110105194912310021X", "01010519491231002X",
     "11010519491331002X", "11010519490230002X"],
)
def test_malformed_numbers_are_rejected(bad):
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(bad)


def test_names_are_stripped_and_full_width_spaces_removed():
    assert normalize_name("  张\u3000三 ") == "张三"


def test_masks_keep_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105***********X"
    assert mask_id_number("E12345678") == "E*******8"
    assert mask_phone("13912345678") == "139****5678"
