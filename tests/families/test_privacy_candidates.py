"""Rule (DOMAIN "Personal data on screen"): whatever the pages a staff member can open show
about a person, together, leaves at least 10,000 candidate ID numbers.

The attacker is assumed to know the person's region code (the insured region is on the
pages), sex and age (shown or guessable); the test then reads what the pages really show
(masked numbers, birth dates) and counts the resident ID numbers consistent with all of
it, checksum included."""

import datetime
import re

import pytest
from django.urls import reverse

from families.chinatime import age_on, china_date
from families.idnumbers import check_digit
from tests import factories as f

pytestmark = pytest.mark.django_db

MIN_CANDIDATES = 10_000
_MASKED = re.compile(r"[0-9X*]{18}")


def _visible_positions(number: str, text: str) -> dict[int, str]:
    """Every character any 18-character (masked) rendering of `number` lets through."""
    known: dict[int, str] = {}
    for shown in _MASKED.findall(text):
        if all(c == "*" or c == number[i] for i, c in enumerate(shown)):
            known.update({i: c for i, c in enumerate(shown) if c != "*"})
    return known


def _birth_date_shown(birth: datetime.date, text: str) -> bool:
    return any(s in text for s in (f"{birth:%Y-%m-%d}", f"{birth.year}年{birth.month}月{birth.day}日",
                                   f"{birth:%Y/%m/%d}", f"{birth:%Y%m%d}"))


def candidates(person, text: str, today: datetime.date) -> int:
    """Resident ID numbers consistent with the region, sex, age and what `text` shows."""
    number = person.id_number
    known = _visible_positions(number, text)
    known.update({i: number[i] for i in range(6)})  # the region is on the page anyway
    age = age_on(person.birth_date, today)
    if _birth_date_shown(person.birth_date, text):
        births = [person.birth_date]
    else:
        start = today.replace(year=today.year - age - 1) + datetime.timedelta(days=1)
        births = [start + datetime.timedelta(days=d) for d in range(367)]
        births = [b for b in births if age_on(b, today) == age]
    parity = 1 if person.sex == "M" else 0
    count = 0
    for birth in births:
        prefix = number[:6] + f"{birth:%Y%m%d}"
        if any(prefix[i] != c for i, c in known.items() if i < 14):
            continue
        for seq in range(parity, 1000, 2):
            first17 = f"{prefix}{seq:03d}"
            if any(first17[i] != c for i, c in known.items() if 14 <= i < 17):
                continue
            if 17 in known and check_digit(first17) != known[17]:
                continue
            count += 1
    return count


def test_counting_finds_the_leak_of_the_old_mask():
    """The counter itself: region + last four + birth date was one candidate."""
    person = f.person("王建国", birth=datetime.date(1950, 3, 4))
    old = person.id_number[:6] + "*" * 8 + person.id_number[-4:]
    assert candidates(person, f"{old} 1950-03-04", china_date()) == 1
    assert candidates(person, old, china_date()) < MIN_CANDIDATES


@pytest.fixture
def world():
    clerk = f.clerk("privacy_clerk")
    supervisor = f.supervisor("privacy_supervisor")
    holder = f.person("赵国庆", birth=datetime.date(1956, 7, 8))
    member = f.person("赵桂兰", birth=datetime.date(1931, 2, 3), sex="F")
    child = f.person("赵小宝", birth=datetime.date(2016, 9, 10))
    application = f.counter_application(holder, member, actor=clerk)
    f.binding(holder, child, relationship="child")
    f.account(holder, 1000)
    copay = f.active_copay(holder, child)
    return {"clerk": clerk, "supervisor": supervisor, "people": [holder, member, child],
            "application": application, "copay": copay}


def _pages(world) -> list[str]:
    application, holder = world["application"], world["people"][0]
    binding = application.binding
    pages = [
        reverse("admin:families_person_changelist"),
        reverse("admin:families_binding_changelist"),
        reverse("admin:families_copayauthorization_changelist"),
        reverse("admin:families_kinshipproof_changelist"),
        reverse("admin:families_counterapplication_changelist"),
        reverse("admin:families_binding_change", args=[binding.pk]),
        reverse("admin:families_copayauthorization_change", args=[world["copay"].pk]),
        reverse("admin:families_kinshipproof_change", args=[binding.proof_id]),
        reverse("counter:detail", args=[application.pk]),
        reverse("counter:receipt", args=[application.pk]),
        reverse("admin:families_person_changelist") + f"?q={holder.name}",
        reverse("admin:settlements_personalaccount_changelist"),
        reverse("admin:settlements_ledgerentry_changelist"),
        reverse("counter:queue"),
        reverse("counter:review", args=[application.pk]),
    ]
    pages += [reverse("admin:families_person_change", args=[p.pk]) for p in world["people"]]
    return pages


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_every_page_together_leaves_ten_thousand_candidates(client, world, role):
    client.force_login(world[role])
    shown = []
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        shown.append(response.content.decode())
    text = "\n".join(shown)
    today = china_date()
    for person in world["people"]:
        assert person.id_number not in text
        assert candidates(person, text, today) >= MIN_CANDIDATES, person.name
