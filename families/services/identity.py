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
from families.selectors import find_person


@dataclass(frozen=True)
class PersonRef:
    """What the citizen states: ID type, number and name."""

    id_type: str
    id_number: str
    name: str

    @property
    def normalized_number(self) -> str:
        return normalize_id_number(self.id_number)


def identity_check(ref: PersonRef, role: str) -> tuple[Check, Person | None]:
    """Say which field is wrong, never what the registry holds."""
    number = ref.normalized_number
    if ref.id_type == IdType.RESIDENT_ID:
        try:
            parse_resident_id(number)
        except InvalidIdNumber as exc:
            return Check("invalid_id_number", False, f"{role}:{exc}", {"field": "id_number"}), None
    elif not number:
        return Check("invalid_id_number", False, _("%(role)s证件号码不能为空。") % {"role": role},
                     {"field": "id_number"}), None
    person = find_person(ref.id_type, number)
    if person is None:
        return Check(
            "not_insured", False,
            _("未查询到%(role)s的参保登记(证件类型、证件号码)。") % {"role": role},
            {"field": "id_number"},
        ), None
    if normalize_name(ref.name) != person.name:
        return Check(
            "identity_mismatch", False,
            _("%(role)s的姓名与证件号码登记信息不一致,请核对姓名。") % {"role": role},
            {"field": "name"},
        ), person
    return Check("identity", True, _("%(role)s身份信息与参保登记一致。") % {"role": role}), person


def resolve_person(ref: PersonRef, role: str) -> Person:
    check, person = identity_check(ref, role)
    raise_failure(check if person is not None else replace(check, passed=False))
    return person
