"""Demo families for `seed_demo`. Idempotent: existing rows are left untouched."""

import datetime

from accounts.audit import save_audited
from families.choices import InsuranceStatus, InsuranceType
from families.idnumbers import make_resident_id
from families.models import Person, RegionPolicy

# (name, district code, birth date, sex, insurance type, region, status, activated)
DEMO_PERSONS = [
    ("张建国", "110101", datetime.date(1948, 3, 12), "M", "employee", "110100", "normal", True),
    ("李秀英", "110101", datetime.date(1950, 7, 2), "F", "employee", "110100", "normal", False),
    ("张伟", "110102", datetime.date(1975, 5, 20), "M", "employee", "110100", "normal", True),
    ("王芳", "110102", datetime.date(1978, 11, 8), "F", "employee", "110100", "normal", True),
    ("张子涵", "110105", datetime.date(2012, 6, 1), "F", "resident", "110100", "normal", False),
    ("张子轩", "110105", datetime.date(2009, 12, 31), "M", "resident", "110100", "normal", False),
    ("张一诺", "110105", datetime.date(2018, 1, 15), "F", "resident", "110100", "normal", False),
    ("张丽", "110106", datetime.date(1980, 2, 29), "F", "employee", "110100", "normal", True),
    ("刘强", "110106", datetime.date(1979, 9, 9), "M", "employee", "110100", "suspended", True),
    ("陈静", "110107", datetime.date(1985, 4, 4), "F", "resident", "110100", "normal", True),
    ("赵磊", "110108", datetime.date(1990, 10, 1), "M", "employee", "110100", "normal", True),
    ("孙娜", "110108", datetime.date(1992, 1, 23), "F", "employee", "110100", "terminated", False),
    ("周敏", "110101", datetime.date(1955, 8, 18), "F", "resident", "110100", "normal", False),
    ("吴刚", "110102", datetime.date(1960, 12, 12), "M", "employee", "110100", "normal", True),
    ("郑红", "110105", datetime.date(1988, 3, 3), "F", "employee", "110100", "normal", True),
    ("冯军", "110106", datetime.date(1970, 6, 6), "M", "employee", "110100", "normal", True),
    ("王建华", "330102", datetime.date(1952, 5, 5), "M", "employee", "330100", "normal", True),
    ("陈美兰", "330102", datetime.date(1954, 9, 19), "F", "resident", "330100", "normal", False),
    ("王磊", "330105", datetime.date(1980, 1, 1), "M", "employee", "330100", "normal", True),
    ("林晓", "330105", datetime.date(1983, 7, 7), "F", "employee", "330100", "normal", True),
    ("王小宝", "330106", datetime.date(2015, 10, 10), "M", "resident", "330100", "normal", False),
    ("黄丽华", "330106", datetime.date(1965, 2, 14), "F", "employee", "330100", "normal", True),
    ("何志强", "330108", datetime.date(1972, 8, 8), "M", "employee", "330100", "normal", True),
    ("高雪", "330108", datetime.date(1995, 11, 11), "F", "resident", "330100", "normal", True),
    ("罗平", "330109", datetime.date(1940, 4, 1), "M", "employee", "330100", "normal", False),
    ("谢婷", "330109", datetime.date(1999, 12, 25), "F", "employee", "330100", "normal", True),
    ("马超", "330110", datetime.date(1987, 6, 18), "M", "employee", "330100", "normal", True),
    ("许静", "330110", datetime.date(2008, 3, 8), "F", "resident", "330100", "normal", False),
    ("郭涛", "110107", datetime.date(1958, 1, 30), "M", "employee", "110100", "normal", True),
    ("曹颖", "110107", datetime.date(2020, 5, 12), "F", "resident", "110100", "normal", False),
]


def demo_id_number(index: int) -> str:
    name, district, birth, sex, *_ = DEMO_PERSONS[index]
    return make_resident_id(district, birth, 10 + index, sex)


def seed_families(*, actor, regions: dict, users: dict, reason: str) -> None:
    _seed_policies(actor=actor, regions=regions, reason=reason)
    _seed_persons(actor=actor, regions=regions, reason=reason)


def _seed_policies(*, actor, regions, reason) -> None:
    versions = {
        "110100": dict(
            birth_exemption_enabled=True,
            birth_exemption_cutoff=datetime.date(2010, 1, 1),
            copay_filing_required=True,
        ),
        "330100": dict(copay_cross_region_in_province=True, copay_scope="near"),
    }
    for code, fields in versions.items():
        region = regions[code]
        if not RegionPolicy.objects.filter(region=region).exists():
            policy = RegionPolicy(region=region, effective_from=datetime.date(2024, 1, 1), **fields)
            save_audited(policy, actor=actor, reason=reason, action="created")


def _seed_persons(*, actor, regions, reason) -> None:
    for index, row in enumerate(DEMO_PERSONS):
        name, district, birth, sex, ins_type, region, status, activated = row
        number = demo_id_number(index)
        if Person.objects.filter(id_type="resident_id", id_number=number).exists():
            continue
        person = Person(
            id_number=number,
            name=name,
            sex=sex,
            birth_date=birth,
            phone=f"139{index:08d}",
            insurance_type=InsuranceType(ins_type),
            insured_region=regions[region],
            insurance_status=InsuranceStatus(status),
            birth_region=regions[region] if birth.year >= 2000 else None,
            evoucher_activated_at=(
                datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.UTC) if activated else None
            ),
        )
        save_audited(person, actor=actor, reason=reason, action="created")
