"""Forms of the counter pages (窗口受理). They parse input only; every rule is checked
by families.services.counter, whose RuleViolation the views attach to these forms."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from families.choices import ACCEPTED_PROOFS, IdType, NoFaceReason, ProofType, Relationship
from families.services.counter import IntakeData, enabled_kinds
from families.services.identity import PersonRef
from families.services.scans import MAX_SCANS

SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

# Where a rule code is shown: next to the field the clerk has to fix.
FIELD_OF_CODE = {
    "scan_empty": "scans",
    "scan_too_large": "scans",
    "scan_type_not_allowed": "scans",
    "scan_invalid": "scans",
    "scan_pdf_active_content": "scans",
    "scan_required": "scans",
    "scan_too_many": "scans",
    "proof_mismatch": "proof_type",
    "proof_number_required": "proof_number",
    "commitment_required": "commitment_signed",
    "no_face_reason_required": "no_face_reason_other",
    "no_face_reason_age_mismatch": "no_face_reason",
}


class PartiesForm(forms.Form):
    """Step 1: who, which relationship, what is applied for."""

    kind = forms.ChoiceField(label=_("办理业务"), choices=enabled_kinds)
    holder_id_type = forms.ChoiceField(label=_("申请人证件类型"), choices=IdType.choices,
                                       initial=IdType.RESIDENT_ID)
    holder_id_number = forms.CharField(label=_("申请人证件号码"), max_length=32,
                                       help_text=_("绑定人 / 共济授权人"))
    holder_name = forms.CharField(label=_("申请人姓名"), max_length=100)
    member_id_type = forms.ChoiceField(label=_("亲属证件类型"), choices=IdType.choices,
                                       initial=IdType.RESIDENT_ID)
    member_id_number = forms.CharField(label=_("亲属证件号码"), max_length=32,
                                       help_text=_("被绑定人 / 共济人"))
    member_name = forms.CharField(label=_("亲属姓名"), max_length=100)
    relationship = forms.ChoiceField(label=_("亲属是申请人的"), choices=Relationship.choices)
    reserve = forms.DecimalField(
        label=_("授权人预留金额(元)"), required=False, min_value=0, max_digits=12,
        decimal_places=2, initial=0,
        help_text=_("仅家庭共济授权:共济支付不会使授权人个人账户余额低于此金额。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder_id_number"].widget.attrs.update(autofocus=True, autocomplete="off")
        for name in ("member_id_number", "holder_name", "member_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean_reserve(self):
        return self.cleaned_data.get("reserve") or Decimal("0.00")

    def holder_ref(self) -> PersonRef:
        d = self.cleaned_data
        return PersonRef(d["holder_id_type"], d["holder_id_number"], d["holder_name"])

    def member_ref(self) -> PersonRef:
        d = self.cleaned_data
        return PersonRef(d["member_id_type"], d["member_id_number"], d["member_name"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": SCAN_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_SCANS:
            raise forms.ValidationError(_("最多上传 %(limit)s 个扫描件。") % {"limit": MAX_SCANS})
        return files


class VerificationForm(forms.Form):
    """Step 2: the offline verification record."""

    no_face_reason = forms.ChoiceField(label=_("无法刷脸认证的原因"),
                                       choices=[("", "---------"), *NoFaceReason.choices])
    no_face_reason_other = forms.CharField(label=_("其他原因说明"), max_length=200,
                                           required=False)
    holder_id_seen = forms.BooleanField(label=_("已核验申请人身份证件原件"))
    member_id_seen = forms.BooleanField(label=_("已核验亲属身份证件原件"))
    proof_seen = forms.BooleanField(label=_("已核验亲属关系证明原件"))
    proof_type = forms.ChoiceField(label=_("亲属关系证明类型"))
    proof_number = forms.CharField(label=_("证明编号"), max_length=64)
    scans = MultipleFileField(
        label=_("扫描件"),
        help_text=_("亲属关系证明及双方证件的扫描件,PDF、JPEG 或 PNG,可多选。"),
    )
    commitment_signed = forms.BooleanField(label=_("申请人已在承诺书上签字"))

    def __init__(self, *args, relationship: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = ACCEPTED_PROOFS.get(Relationship(relationship)) if relationship else None
        self.fields["proof_type"].choices = [
            (value, label) for value, label in ProofType.choices
            if accepted is None or value in accepted
        ]

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("no_face_reason") == NoFaceReason.OTHER
                and not (cleaned.get("no_face_reason_other") or "").strip()):
            self.add_error("no_face_reason_other", _("选择“其他”时须说明原因。"))
        return cleaned

    def intake_data(self, parties: PartiesForm) -> IntakeData:
        d = self.cleaned_data
        return IntakeData(
            kind=parties.cleaned_data["kind"],
            holder=parties.holder_ref(),
            member=parties.member_ref(),
            relationship=parties.cleaned_data["relationship"],
            no_face_reason=d["no_face_reason"],
            no_face_reason_other=d["no_face_reason_other"],
            holder_id_seen=d["holder_id_seen"],
            member_id_seen=d["member_id_seen"],
            proof_seen=d["proof_seen"],
            proof_type=d["proof_type"],
            proof_number=d["proof_number"],
            commitment_signed=d["commitment_signed"],
            reserve=parties.cleaned_data["reserve"],
        )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("审核意见"), max_length=200, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("驳回时必填。"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=200,
                             widget=forms.TextInput(attrs={"size": 60, "autofocus": True}))


class LookupForm(forms.Form):
    number = forms.CharField(label=_("受理编号"), max_length=32,
                             widget=forms.TextInput(attrs={"placeholder": "BJ01-20260101-0001"}))


class QueueFilterForm(forms.Form):
    hall = forms.ModelChoiceField(label=_("受理网点"), queryset=None, required=False,
                                  empty_label=_("全部网点"))

    def __init__(self, *args, halls=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = halls
