"""Business operations of the families app. Admin, views and commands call these; none
of them re-implements a rule."""

from families.services.bindings import (
    binding_apply,
    binding_approve,
    binding_eligibility,
    binding_expire,
    binding_reject,
    binding_unbind,
    binding_withdraw,
    require_reviewer,
)
from families.services.copay import (
    copay_apply,
    copay_approve,
    copay_eligibility,
    copay_expire,
    copay_record_filing,
    copay_reject,
    copay_revoke,
    copay_sync_status,
    copay_withdraw,
)
from families.services.evidence import ChannelEvidence
from families.services.identity import PersonRef, resolve_person
from families.services.persons import (
    PersonData,
    evoucher_activate,
    person_record_death,
    person_upsert,
    validate_person_row,
)

__all__ = [
    "ChannelEvidence",
    "PersonData",
    "PersonRef",
    "binding_apply",
    "binding_approve",
    "binding_eligibility",
    "binding_expire",
    "binding_reject",
    "binding_unbind",
    "binding_withdraw",
    "copay_apply",
    "copay_approve",
    "copay_eligibility",
    "copay_expire",
    "copay_record_filing",
    "copay_reject",
    "copay_revoke",
    "copay_sync_status",
    "copay_withdraw",
    "evoucher_activate",
    "person_record_death",
    "person_upsert",
    "require_reviewer",
    "resolve_person",
    "validate_person_row",
]
