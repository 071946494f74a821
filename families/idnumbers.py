"""Resident ID numbers (GB 11643-1999) and name normalization. Pure functions."""

import datetime
import re
from dataclasses import dataclass

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


class InvalidIdNumber(ValueError):
    """Raised with a Chinese message saying what is wrong with the number."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: datetime.date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Strip blanks (ASCII and full-width) and upper-case a trailing x."""
    return re.sub(r"[\s\u3000]+", "", raw or "").upper()


def parse_resident_id(raw: str) -> ResidentId:
    number = normalize_id_number(raw)
    if not _SHAPE.match(number):
        raise InvalidIdNumber("居民身份证号码应为18位:17位数字加1位校验码(0-9或X)。")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("居民身份证号码中的出生日期无效。") from exc
    if birth.year < 1900:
        raise InvalidIdNumber("居民身份证号码中的出生日期无效。")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("居民身份证号码校验码不正确。")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def make_resident_id(region_code: str, birth: datetime.date, sequence: int, sex: str) -> str:
    """Build a valid number (demo data, tests, load generator). `sequence` 0-499."""
    seq = sequence % 500 * 2 + (1 if sex == "M" else 0)
    first17 = f"{region_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def normalize_name(raw: str) -> str:
    """Names are compared exactly after stripping and removing full-width spaces."""
    return (raw or "").replace("\u3000", "").strip()


def mask_id_number(number: str) -> str:
    """110101***********X for a resident ID: the region part (shown on the same pages as
    the insured region anyway) and the check character stay visible, the birth date and
    the sequence number never. With age, sex and region beside it a masked number still
    leaves more than 15,000 candidate numbers (tests/families/test_privacy_candidates.py);
    keeping the last four (the sequence number) would leave one per possible birthday.
    Other documents (passports, permits) show their first and last character only."""
    if not number:
        return ""
    if len(number) == 18:
        return number[:6] + "*" * 11 + number[-1:]
    if len(number) <= 2:
        return "*" * len(number)
    return number[:1] + "*" * (len(number) - 2) + number[-1:]


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
