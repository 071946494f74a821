"""Registry-side operations on persons: the registry feed, deaths, e-voucher activation."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation, require_reason
from accounts.models import Region
from audit.services import bulk_create_audited, save_audited
from families.choices import (
    ApplicationStatus,
    IdType,
    InsuranceStatus,
    InsuranceType,
    Sex,
)
from families.idnumbers import (
    InvalidIdNumber,
    normalize_id_number,
    normalize_name,
    parse_resident_id,
)
from families.models import CounterApplication, Person
from families.services import links
from families.services.locking import lock_persons


@dataclass(frozen=True)
class PersonData:
    """A validated registry row."""

    id_type: str
    id_number: str
    name: str
    sex: str
    birth_date: datetime.date
    insurance_type: str
    region_code: str
    insurance_status: str
    phone: str = ""
    death_date: datetime.date | None = None
    birth_region_code: str | None = None


def _choice(value: str, choices, field: str, label: str) -> str:
    value = (value or "").strip()
    by_label = {str(c.label): c.value for c in choices}
    if value in choices.values:
        return value
    if value in by_label:
        return by_label[value]
    raise RuleViolation(
        "invalid_value", _("%(label)s“%(value)s”无效。") % {"label": label, "value": value},
        field=field,
    )


def _date(value: str, field: str, label: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise RuleViolation(
            "invalid_value",
            _("%(label)s“%(value)s”不是有效日期(YYYY-MM-DD)。") % {"label": label, "value": value},
            field=field,
        ) from exc


def validate_person_row(row: dict[str, str], region_codes: set[str]) -> PersonData:
    """Validate one registry row (strings as read from CSV). Raises RuleViolation."""
    id_type = _choice(row.get("id_type") or IdType.RESIDENT_ID, IdType, "id_type", _("证件类型"))
    number = normalize_id_number(row.get("id_number", ""))
    name = normalize_name(row.get("name", ""))
    if not name or len(name) > 100:
        raise RuleViolation("invalid_value", _("姓名不能为空且不超过100字。"), field="name")
    sex_raw, birth = (row.get("sex") or "").strip(), _date(row.get("birth_date"), "birth_date",
                                                           _("出生日期"))
    sex = _choice(sex_raw, Sex, "sex", _("性别")) if sex_raw else ""
    if id_type == IdType.RESIDENT_ID:
        try:
            parsed = parse_resident_id(number)
        except InvalidIdNumber as exc:
            raise RuleViolation("invalid_id_number", str(exc), field="id_number") from exc
        if sex and sex != parsed.sex:
            raise RuleViolation("invalid_id_number", _("性别与身份证号码不一致。"), field="sex")
        if birth and birth != parsed.birth_date:
            raise RuleViolation(
                "invalid_id_number", _("出生日期与身份证号码不一致。"), field="birth_date"
            )
        sex, birth = parsed.sex, parsed.birth_date
    elif not number or len(number) > 32:
        raise RuleViolation("invalid_id_number", _("证件号码不能为空且不超过32位。"),
                            field="id_number")
    if not sex or birth is None:
        raise RuleViolation(
            "invalid_value", _("非居民身份证须填写性别和出生日期。"), field="birth_date"
        )
    region_code = (row.get("region_code") or "").strip()
    if region_code not in region_codes:
        raise RuleViolation(
            "invalid_value", _("统筹区编码“%(code)s”不存在。") % {"code": region_code},
            field="region_code",
        )
    birth_region_code = (row.get("birth_region_code") or "").strip() or None
    if birth_region_code and birth_region_code not in region_codes:
        raise RuleViolation(
            "invalid_value", _("出生登记统筹区编码“%(code)s”不存在。") % {"code": birth_region_code},
            field="birth_region_code",
        )
    phone = (row.get("phone") or "").strip()
    if phone and (len(phone) > 20 or not phone.replace("-", "").replace("+", "").isdigit()):
        raise RuleViolation("invalid_value", _("联系电话格式不正确。"), field="phone")
    return PersonData(
        id_type=id_type,
        id_number=number,
        name=name,
        sex=sex,
        birth_date=birth,
        insurance_type=_choice(row.get("insurance_type", ""), InsuranceType, "insurance_type",
                               _("险种")),
        region_code=region_code,
        insurance_status=_choice(row.get("status", ""), InsuranceStatus, "status", _("参保状态")),
        phone=phone,
        death_date=_date(row.get("death_date"), "death_date", _("死亡日期")),
        birth_region_code=birth_region_code,
    )


def person_values(data: PersonData, regions: dict[str, Region]) -> dict:
    """The Person fields a registry row sets."""
    return {
        "name": data.name,
        "sex": data.sex,
        "birth_date": data.birth_date,
        "phone": data.phone,
        "insurance_type": data.insurance_type,
        "insured_region": regions[data.region_code],
        "insurance_status": data.insurance_status,
        "death_date": data.death_date,
        "birth_region": regions[data.birth_region_code] if data.birth_region_code else None,
    }


def _differs(person: Person, field: str, value) -> bool:
    if field in ("insured_region", "birth_region"):  # by id: no query per person
        return getattr(person, f"{field}_id") != (value.pk if value is not None else None)
    return getattr(person, field) != value


def upsert_outcome(person: Person | None, data: PersonData, regions: dict[str, Region]) -> str:
    """What `person_upsert` would do with `data` for `person` as read: created, updated,
    unchanged or death_recorded (the dry run's answer, and the import's fast path)."""
    if person is None:
        return "created"
    values = person_values(data, regions)
    if not any(_differs(person, f, v) for f, v in values.items()):
        return "unchanged"
    if data.death_date is not None and person.death_date is None:
        return "death_recorded"
    return "updated"


def persons_create(*, actor, rows: list[PersonData], reason: str,
                   regions: dict[str, Region]) -> list[Person]:
    """Create the persons of registry rows that `upsert_outcome` found new (no person with
    that ID yet), all at once: rows, history and audit events as `person_upsert` writes
    them for one, without a statement per row. Call it in the feed's transaction; a
    person created meanwhile by another session fails the chunk on the unique index."""
    return bulk_create_audited(
        [Person(id_type=d.id_type, id_number=d.id_number, **person_values(d, regions))
         for d in rows], actor=actor, reason=reason, action="person_import")


def person_upsert(*, actor, data: PersonData, reason: str, regions: dict[str, Region]) -> str:
    """Create or update a person from the registry feed; returns created / updated /
    unchanged / death_recorded. A death the feed brings is recorded as by
    `person_record_death`: the person's links and pending applications end in the same
    transaction. A change of insurance status suspends or resumes his co-pay at once."""
    reason = require_reason(reason)
    values = person_values(data, regions)
    with transaction.atomic():
        person = Person.objects.filter(id_type=data.id_type, id_number=data.id_number).first()
        if person is None:
            save_audited(Person(id_type=data.id_type, id_number=data.id_number, **values),
                         actor=actor, reason=reason, action="person_import")
            return "created"
        dies = data.death_date is not None and person.death_date is None
        if dies:
            lock_pending_applications(person)  # lock order: applications before persons
        person = lock_persons(person)[person.pk]
        changed = [f for f, v in values.items() if _differs(person, f, v)]
        if not changed:
            return "unchanged"
        dies = dies and person.death_date is None
        for f in changed:
            setattr(person, f, values[f])
        save_audited(person, actor=actor, reason=reason,
                     action="person_death" if dies else "person_import")
        if dies:
            links.end_links_of_deceased(actor=actor, person=person, reason=reason)
        elif "insurance_status" in changed:
            # Co-pay stops while either side is not normal, and resumes when normal again.
            from families.services.copay import copay_sync_status

            copay_sync_status(actor=actor, person=person, reason=reason)
        return "death_recorded" if dies else "updated"


def lock_pending_applications(person: Person) -> None:
    """Lock the person's pending counter applications (primary-key order) before the
    person: the lock order of families.services puts applications first."""
    list(
        CounterApplication.objects.select_for_update(of=("self",))
        .filter(Q(binding__holder=person) | Q(binding__member=person)
                | Q(copay__authorizer=person) | Q(copay__beneficiary=person),
                status=ApplicationStatus.PENDING)
        .order_by("pk").values_list("pk", flat=True)
    )


def person_record_death(
    *, actor, person: Person, death_date: datetime.date, reason: str
) -> Person:
    """Record a death. A deceased person can be neither holder nor member, so every live
    binding and co-pay authorization of his ends in the same transaction (administrative:
    no waiting period, and pending settlements do not block a revocation after death),
    and his pending counter applications leave the review queue."""
    reason = require_reason(reason)
    with transaction.atomic():
        lock_pending_applications(person)
        person = lock_persons(person)[person.pk]
        if person.death_date is not None:
            raise RuleViolation("deceased", _("该参保人已登记死亡。"))
        person.death_date = death_date
        save_audited(person, actor=actor, reason=reason, action="person_death")
        links.end_links_of_deceased(actor=actor, person=person, reason=reason)
        return person


def evoucher_activate(
    *, actor, person: Person, reason: str, at: datetime.datetime | None = None
) -> Person:
    """Record e-voucher activation: a binding is usable only once the member's e-voucher
    is activated (rule 9); activation never blocks the binding itself."""
    reason = require_reason(reason)
    with transaction.atomic():
        person = lock_persons(person)[person.pk]
        if person.evoucher_activated_at is not None:
            return person
        person.evoucher_activated_at = at or timezone.now()
        save_audited(person, actor=actor, reason=reason, action="evoucher_activate")
        return person
