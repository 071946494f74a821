"""Business operations of the families app. Admin, views and commands call these; none
of them re-implements a rule. How a link ends is decided by families.lifecycle; the steps
both kinds of link share are in families.services.links.

Lock order (every service and the batch take row locks in this order, each group sorted by
primary key, so two transactions never wait for each other):

1. counter applications (CounterApplication) — the review queue's unit of work;
2. persons (Person), via families.services.locking.lock_persons;
3. links: bindings, then co-pay authorizations (families.services.links.lock_link);
4. personal accounts and ledger rows (settlements).

A service that discovers a row of an earlier group only after locking a later one (e.g.
a death finds the person's pending applications) locks that group first and re-reads.
"""

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
from families.services.registry import ImportOutcome, ImportResult, ImportRow, import_persons

__all__ = [
    "ImportOutcome",
    "ImportResult",
    "ImportRow",
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
    "import_persons",
    "person_record_death",
    "person_upsert",
    "require_reviewer",
    "resolve_person",
    "validate_person_row",
]
