"""Resolving the persons a clerk typed in against the registry (binding rule 6)."""

from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from accounts.errors import raise_failure
from families.choices import IdType
from families.idnumbers import (
    InvalidIdNumber,
    normalize_id_number,
    normalize_name,
    parse_resident_id,
)
from families.models import Person
from families.rules import Check
from families.selectors import find_person, persons_by_identity


@dataclass(frozen=True)
class PersonRef:
    """What the citizen states: ID type, number and name."""

    id_type: str
    id_number: str
    name: str

    @property
    def normalized_number(self) -> str:
        return normalize_id_number(self.id_number)


def _number_check(ref: PersonRef, role: str) -> Check | None:
    """A failed check when the stated number cannot be an ID number of its type."""
    number = ref.normalized_number
    if ref.id_type == IdType.RESIDENT_ID:
        try:
            parse_resident_id(number)
        except InvalidIdNumber as exc:
            return Check("invalid_id_number", False, f"{role}:{exc}", {"field": "id_number"})
    elif not number:
        return Check("invalid_id_number", False, _("%(role)s证件号码不能为空。") % {"role": role},
                     {"field": "id_number"})
    return None


def _registry_check(ref: PersonRef, role: str, person: Person | None) -> Check:
    if person is None:
        return Check(
            "not_insured", False,
            _("未查询到%(role)s的参保登记(证件类型、证件号码)。") % {"role": role},
            {"field": "id_number"},
        )
    if normalize_name(ref.name) != person.name:
        return Check(
            "identity_mismatch", False,
            _("%(role)s的姓名与证件号码登记信息不一致,请核对姓名。") % {"role": role},
            {"field": "name"},
        )
    return Check("identity", True, _("%(role)s身份信息与参保登记一致。") % {"role": role})


def identity_check(ref: PersonRef, role: str) -> tuple[Check, Person | None]:
    """Say which field is wrong, never what the registry holds."""
    failed = _number_check(ref, role)
    if failed is not None:
        return failed, None
    person = find_person(ref.id_type, ref.normalized_number)
    return _registry_check(ref, role, person), person


def resolve_person(ref: PersonRef, role: str) -> Person:
    check, person = identity_check(ref, role)
    raise_failure(check if person is not None else replace(check, passed=False))
    return person


def _find_together(parties, checks, *, lock: bool) -> dict:
    """The persons of the parties whose numbers passed their check, in one query;
    with `lock`, row-locked in primary-key order (as lock_persons)."""
    keys = [(ref.id_type, ref.normalized_number)
            for (ref, _role), failed in zip(parties, checks, strict=True) if failed is None]
    return {(p.id_type, p.id_number): p for p in persons_by_identity(keys, lock=lock)}


def identity_checks(*parties: tuple[PersonRef, str]) -> list[tuple[Check, Person | None]]:
    """`identity_check` for each (ref, role), the persons found in one query."""
    checks = [_number_check(ref, role) for ref, role in parties]
    found = _find_together(parties, checks, lock=False)
    out = []
    for (ref, role), failed in zip(parties, checks, strict=True):
        if failed is not None:
            out.append((failed, None))
            continue
        person = found.get((ref.id_type, ref.normalized_number))
        out.append((_registry_check(ref, role, person), person))
    return out


def resolve_and_lock(*parties: tuple[PersonRef, str]) -> list[Person]:
    """`resolve_person` for each (ref, role), then `lock_persons`, in one statement: the
    persons are found and row-locked together, in primary-key order (as lock_persons), and
    the first failing check, in the order given, is raised."""
    checks = [_number_check(ref, role) for ref, role in parties]
    found = _find_together(parties, checks, lock=True)
    persons = []
    for (ref, role), failed in zip(parties, checks, strict=True):
        person = found.get((ref.id_type, ref.normalized_number))
        check = failed or _registry_check(ref, role, person)
        raise_failure(check if person is not None else replace(check, passed=False))
        persons.append(person)
    return persons
