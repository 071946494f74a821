"""What each settlements model's audit events concern (see accounts.audit.AuditSubject).
Lookups run on the history tables; region is the insured region of the person
concerned (the account holder / the patient), which supervisors' scope filters on.
Ledger entries have no history table: the ledger is its own append-only record."""

from accounts.audit import AuditSubject

AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "settlements.PersonalAccount": AuditSubject(
        person="person_id", region="person__insured_region_id"
    ),
    "settlements.Settlement": AuditSubject(
        person="beneficiary_id", region="beneficiary__insured_region_id"
    ),
}
