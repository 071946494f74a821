"""What each families model's audit events concern (see accounts.audit.AuditSubject).

Lookups are evaluated on the history table (HistoricalBinding ...) whose foreign keys
mirror the model's, and on the live table for access events. Region is the region of
the person concerned (the holder / authorizer / person_a), which is what a
supervisor's region scope filters on.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.audit import AuditSubject
from families.models import CounterApplication


def _application_number(link_field: str) -> Subquery:
    return Subquery(
        CounterApplication.objects.filter(**{link_field: OuterRef("id")}).values("number")[:1]
    )


AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "families.Person": AuditSubject(person="id", region="insured_region_id"),
    "families.RegionPolicy": AuditSubject(region="region_id"),
    "families.CalendarOverride": AuditSubject(region="region_id"),
    "families.BatchJob": AuditSubject(region="region_id"),
    "families.KinshipProof": AuditSubject(
        person="person_a_id", other_person="person_b_id", region="person_a__insured_region_id"
    ),
    "families.ProofScan": AuditSubject(
        person="proof__person_a_id",
        other_person="proof__person_b_id",
        region="proof__person_a__insured_region_id",
    ),
    "families.Binding": AuditSubject(
        person="holder_id",
        other_person="member_id",
        region="holder__insured_region_id",
        application_number=_application_number("binding_id"),
    ),
    "families.CoPayAuthorization": AuditSubject(
        person="authorizer_id",
        other_person="beneficiary_id",
        region="authorizer__insured_region_id",
        application_number=_application_number("copay_id"),
    ),
    "families.CounterApplication": AuditSubject(
        person=Coalesce("binding__holder_id", "copay__authorizer_id"),
        other_person=Coalesce("binding__member_id", "copay__beneficiary_id"),
        region=Coalesce(
            "binding__holder__insured_region_id",
            "copay__authorizer__insured_region_id",
            "hall__region_id",
        ),
        application_number="number",
    ),
}
