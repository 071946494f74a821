"""Test data builders (plain functions, no fixture files). Every builder writes through
`save_audited` so tests see the same history rows production code leaves."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import Region, ServiceHall, User
from audit.services import save_audited
from families.idnumbers import make_resident_id
from families.models import Person, RegionPolicy

_seq = itertools.count(1)


def region(code: str = "110100", name: str | None = None) -> Region:
    found = Region.objects.filter(code=code).first()
    if found:
        return found
    obj = Region(code=code, name=name or f"统筹区{code}")
    save_audited(obj, actor=None, reason="测试数据", action="created")
    return obj


def hall(code: str = "BJ01", region_code: str = "110100") -> ServiceHall:
    found = ServiceHall.objects.filter(code=code).first()
    if found:
        return found
    obj = ServiceHall(code=code, name=f"网点{code}", region=region(region_code))
    save_audited(obj, actor=None, reason="测试数据", action="created")
    return obj


def staff(username: str, role: str = roles.CLERK, hall_code: str | None = "BJ01",
          region_code: str = "110100", superuser: bool = False) -> User:
    user = User(username=username, is_staff=True, is_superuser=superuser,
                hall=hall(hall_code, region_code) if hall_code else None)
    user.set_password("Test-pass-2026")
    save_audited(user, actor=None, reason="测试数据", action="created")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def clerk(username: str = "clerk", hall_code: str = "BJ01", region_code: str = "110100") -> User:
    return staff(username, roles.CLERK, hall_code, region_code)


def supervisor(username: str = "supervisor", hall_code: str = "BJ01",
               region_code: str = "110100") -> User:
    return staff(username, roles.SUPERVISOR, hall_code, region_code)


def sysadmin(username: str = "sysadmin") -> User:
    return staff(username, roles.SYSADMIN, hall_code=None)


def policy(region_code: str = "110100", effective_from=datetime.date(2020, 1, 1),
           **fields) -> RegionPolicy:
    obj = RegionPolicy(region=region(region_code), effective_from=effective_from, **fields)
    save_audited(obj, actor=None, reason="测试数据", action="created")
    return obj


def person(name: str | None = None, *, birth: datetime.date = datetime.date(1980, 1, 1),
           sex: str = "M", region_code: str = "110100", district: str | None = None,
           insurance_type: str = "employee", status: str = "normal",
           death_date: datetime.date | None = None, birth_region_code: str | None = None,
           activated: bool = True, phone: str = "13900001111") -> Person:
    n = next(_seq)
    number = make_resident_id(district or region_code[:4] + "01", birth, n % 500, sex)
    while Person.objects.filter(id_number=number).exists():
        n = next(_seq)
        number = make_resident_id(district or region_code[:4] + "01", birth, n % 500, sex)
    obj = Person(
        id_number=number,
        name=name or f"测试{n}",
        sex=sex,
        birth_date=birth,
        phone=phone,
        insurance_type=insurance_type,
        insured_region=region(region_code),
        insurance_status=status,
        death_date=death_date,
        birth_region=region(birth_region_code) if birth_region_code else None,
        evoucher_activated_at=(
            datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) if activated else None
        ),
    )
    save_audited(obj, actor=None, reason="测试数据", action="created")
    return obj


def yuan(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def ref(p: Person, name: str | None = None):
    """What a citizen states at the counter for person `p`."""
    from families.services import PersonRef

    return PersonRef(id_type=p.id_type, id_number=p.id_number, name=name or p.name)


def binding(holder: Person, member: Person, *, relationship: str = "child",
            status: str = "active", applied_at: datetime.datetime | None = None,
            consent_method: str = "face", channel: str = "wechat", applied_by=None):
    """A binding set up directly (as if it came from another channel earlier)."""
    from django.utils import timezone

    from families.models import Binding

    applied_at = applied_at or timezone.now()
    obj = Binding(holder=holder, member=member, relationship=relationship, channel=channel,
                  consent_method=consent_method, status=status, applied_at=applied_at,
                  applied_by=applied_by,
                  decided_at=applied_at if status != "pending" else None)
    save_audited(obj, actor=None, reason="测试数据", action="binding_apply")
    return obj


def proof(a: Person, b: Person, relationship: str, proof_type: str = "household_register",
          actor=None, revoked: bool = False):
    """A kinship proof: `b` is `a`'s `relationship`."""
    from django.utils import timezone

    from families.models import KinshipProof

    actor = actor or User.objects.filter(is_staff=True).first() or staff("proof_clerk")
    obj = KinshipProof(proof_type=proof_type, document_number=f"DOC{next(_seq)}", person_a=a,
                       person_b=b, relationship=relationship, created_by=actor,
                       revoked_at=timezone.now() if revoked else None)
    save_audited(obj, actor=actor, reason="测试数据", action="created")
    return obj


def china(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    from families.chinatime import CHINA

    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHINA)


# --- settlements (personal accounts, co-pay authorizations for settlement tests) -------


def ledger_operator() -> User:
    """The staff member test ledgers are written by (created once per test)."""
    found = User.objects.filter(username="ledger_operator").first()
    return found or staff("ledger_operator", roles.SUPERVISOR)


def account(owner: Person, balance: str | int | Decimal = 0, *, actor: User | None = None):
    """Open `owner`'s personal account with `balance` credited as one allocation."""
    from settlements.services import account_open, allocation_post

    actor = actor or ledger_operator()
    opened = account_open(actor=actor, person=owner, reason="测试开户")
    if Decimal(str(balance)) > 0:
        allocation_post(actor=actor, person=owner, period="202401", amount=yuan(balance),
                        reason="测试划入")
        opened.refresh_from_db()
    return opened


def active_copay(authorizer: Person, beneficiary: Person, *, reserve: str | int = 0,
                 relationship: str = "parent", decided_at: datetime.datetime | None = None,
                 filed: bool = False, status: str = "active"):
    """An approved co-pay authorization written directly (the approval services are
    tested in tests/families)."""
    from families.models import CoPayAuthorization

    obj = CoPayAuthorization(
        authorizer=authorizer,
        beneficiary=beneficiary,
        relationship=relationship,
        channel="counter",
        consent_method="counter",
        status=status,
        reserve=yuan(reserve),
        commitment_signed=True,
        decided_at=decided_at or datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        filed_at=datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC) if filed else None,
        filing_number="BA-TEST" if filed else "",
    )
    save_audited(obj, actor=None, reason="测试数据", action="created")
    return obj


# --- counter applications (窗口受理) ------------------------------------------------------


def png_bytes(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small valid PNG made with Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def scan_file(name: str = "户口簿.png", content: bytes | None = None,
              content_type: str = "image/png"):
    """An uploaded scan as the browser sends it (a valid PNG unless `content` is given)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes() if content is None else content,
                              content_type=content_type)


def intake_data(holder: Person, member: Person, *, relationship: str = "child",
                proof_type: str = "household_register", **overrides):
    """A complete counter intake for `member` is `holder`'s `relationship`."""
    from families.services.counter import IntakeData

    values = dict(kind="binding", holder=ref(holder), member=ref(member),
                  relationship=relationship, no_face_reason="elderly", proof_type=proof_type,
                  proof_number=f"HK{next(_seq):06d}", holder_id_seen=True, member_id_seen=True,
                  proof_seen=True, commitment_signed=True)
    values.update(overrides)
    return IntakeData(**values)


def counter_application(holder: Person | None = None, member: Person | None = None, *,
                        actor: User | None = None, at: datetime.datetime | None = None,
                        scans: list | None = None, **overrides):
    """A pending counter application taken through the real intake service."""
    from families.services.counter import application_submit

    holder = holder or person()
    member = member or person()
    actor = actor or User.objects.filter(username="counter_clerk").first() or clerk(
        "counter_clerk")
    return application_submit(actor=actor, data=intake_data(holder, member, **overrides),
                              scans=scans if scans is not None else [scan_file()], at=at)
