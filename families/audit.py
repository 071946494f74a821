"""What the audit log needs from families (registered at start-up, see audit.registry):
the action codes of its operations, what each model's events concern, the masked
fields, persons as the log's subjects and the "by ID number" filter.

Subjects (audit.registry.AuditSubject):

Lookups are evaluated on the history table (HistoricalBinding ...) whose foreign keys
mirror the model's, and on the live table for access events. Region is the region of
the person concerned (the holder / authorizer / person_a), which is what a
supervisor's region scope filters on.
"""

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from audit import registry
from audit.filters import InputFilter
from audit.registry import AuditSubject, SubjectModel
from families.choices import Relationship
from families.idnumbers import mask_id_number, mask_phone, normalize_id_number
from families.models import CounterApplication, Person


class FamiliesAuditAction(models.TextChoices):
    BINDING_APPLY = "binding_apply", _("绑定申请")
    BINDING_APPROVE = "binding_approve", _("审核通过")
    BINDING_REJECT = "binding_reject", _("审核驳回")
    BINDING_UNBIND = "binding_unbind", _("解绑")
    BINDING_WITHDRAW = "binding_withdraw", _("撤回")
    BINDING_EXPIRE = "binding_expire", _("过期")
    APPLICATION_SUBMIT = "application_submit", _("窗口受理")
    APPLICATION_APPROVE = "application_approve", _("审核通过")
    APPLICATION_REJECT = "application_reject", _("审核驳回")
    APPLICATION_WITHDRAW = "application_withdraw", _("撤回")
    APPLICATION_EXPIRE = "application_expire", _("过期")
    APPLICATION_CLAIM = "application_claim", _("领取审核")
    APPLICATION_RELEASE = "application_release", _("释放审核")
    APPLICATION_CLAIM_TAKEOVER = "application_claim_takeover", _("接手超时审核")
    PERSON_IMPORT = "person_import", _("参保信息导入")
    PERSON_DEATH = "person_death", _("死亡登记")
    EVOUCHER_ACTIVATE = "evoucher_activate", _("电子凭证激活")
    PROOF_REGISTER = "proof_register", _("登记亲属关系证明")
    SCAN_UPLOAD = "scan_upload", _("上传扫描件")
    COPAY_APPLY = "copay_apply", _("共济授权申请")
    COPAY_APPROVE = "copay_approve", _("共济审核通过")
    COPAY_REJECT = "copay_reject", _("共济审核驳回")
    COPAY_FILING = "copay_filing", _("共济备案")
    COPAY_SUSPEND = "copay_suspend", _("共济暂停")
    COPAY_RESUME = "copay_resume", _("共济恢复")
    COPAY_REVOKE = "copay_revoke", _("共济撤销")
    COPAY_WITHDRAW = "copay_withdraw", _("共济撤回")
    COPAY_EXPIRE = "copay_expire", _("共济过期")
    BATCH_CHECK = "batch_check", _("批量处理试运行")
    BATCH_CONFIRM = "batch_confirm", _("批量处理确认")
    BATCH_CONFIRM_SECOND = "batch_confirm_second", _("批量处理第二人确认")
    BATCH_START = "batch_start", _("批量处理开始")
    BATCH_RESUME = "batch_resume", _("批量处理继续")
    BATCH_DONE = "batch_done", _("批量处理完成")
    BATCH_FAIL = "batch_fail", _("批量处理失败")
    BATCH_REPORT = "batch_report", _("下载批量处理报告")


class PersonIdNumberFilter(InputFilter):
    """The audit log by a person's ID number: the persons' ids first (a handful, one
    per ID type), then one index scan per column (OR-ing two IN (subquery) conditions
    would read the whole log)."""

    title = _("参保人证件号码(精确)")
    fields = (("id_number", _("证件号码"), "text"),)

    def queryset(self, request, queryset):
        number = normalize_id_number(self.values.get("id_number", ""))
        if not number:
            return queryset
        persons = list(Person.objects.filter(id_number=number).values_list("pk", flat=True))
        if not persons:
            return queryset.none()
        return queryset.filter(Q(person_id__in=persons) | Q(other_person_id__in=persons))


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


registry.register(
    subjects=AUDIT_SUBJECTS,
    actions=FamiliesAuditAction,
    masked_fields={"id_number": mask_id_number, "phone": mask_phone},
    item_labels={"binding_relationships": Relationship.choices},
    subject_model=SubjectModel(
        label="families.Person",
        text=lambda person: f"{person.name} {person.masked_id_number}",
        fields=("name", "id_number"),
    ),
    list_filters=[PersonIdNumberFilter],
)
