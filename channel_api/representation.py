"""Links and persons as the API shows them: ID numbers masked, no registry values."""

from families.choices import BindingStatus, CoPayStatus
from families.models import Binding, CoPayAuthorization, Person
from families.rules import Check


def party(person: Person) -> dict:
    return {
        "masked_id_number": person.masked_id_number,
        "evoucher_activated": person.evoucher_activated_at is not None,
        "evoucher_activated_at": person.evoucher_activated_at,
    }


def binding_link(binding: Binding) -> dict:
    return {
        "kind": "binding", "id": binding.pk, "status": binding.status,
        "relationship": binding.relationship, "channel": binding.channel,
        "channel_request_number": binding.channel_request_number,
        "applied_at": binding.applied_at,
        "from_person": party(binding.holder), "to_person": party(binding.member),
        "usable": binding.status == BindingStatus.ACTIVE
        and binding.member.evoucher_activated_at is not None,
    }


def copay_link(authorization: CoPayAuthorization) -> dict:
    return {
        "kind": "copay", "id": authorization.pk, "status": authorization.status,
        "relationship": authorization.relationship, "channel": authorization.channel,
        "channel_request_number": authorization.channel_request_number,
        "applied_at": authorization.applied_at,
        "from_person": party(authorization.authorizer),
        "to_person": party(authorization.beneficiary),
        "usable": authorization.status == CoPayStatus.ACTIVE,
    }


def eligibility(checks: list[Check]) -> dict:
    return {
        "eligible": all(c.passed for c in checks),
        "checks": [{"code": c.code, "passed": c.passed, "message": str(c.message),
                    "figures": c.figures} for c in checks],
    }
