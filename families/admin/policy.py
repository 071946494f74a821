from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ChangeReasonAdminMixin, ChangeReasonForm
from accounts.history_admin import ReadOnlyHistoryAdmin
from accounts.scoping import RegionScopedAdminMixin
from families.chinatime import china_date
from families.choices import Relationship
from families.models import RegionPolicy


class RegionPolicyForm(ChangeReasonForm):
    """A new version takes effect from a date not in the past; the allowed relationships
    are chosen from the relationship list, never typed as JSON. (The admin supplies the
    model and fields.)"""

    binding_relationships = forms.MultipleChoiceField(
        label=_("允许绑定的亲属关系"), choices=Relationship.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day is not None and day < china_date():
            raise forms.ValidationError(
                _("生效日期不能早于今天:已生效的政策不可改写,调整请新增一个从今天或以后生效的版本。"),
                code="policy_in_force")
        return day

    def clean_binding_relationships(self):
        chosen = self.cleaned_data["binding_relationships"]
        return [value for value in Relationship.values if value in chosen]


@admin.register(RegionPolicy)
class RegionPolicyAdmin(RegionScopedAdminMixin, ChangeReasonAdminMixin, ReadOnlyHistoryAdmin):
    """Edited by system administrators only (role permissions). A version already in
    force (effective today or earlier) is read-only: a change is a new version with its
    own effective date, so the past is never rewritten and an approval checks the version
    of its day."""

    form = RegionPolicyForm
    region_field = "region"
    list_display = ["region", "effective_from", "holder_limit", "member_limit",
                    "monthly_limit", "birth_exemption_enabled", "copay_scope",
                    "copay_filing_required"]
    list_select_related = ["region"]
    list_filter = ["region"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.effective_from <= china_date():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
