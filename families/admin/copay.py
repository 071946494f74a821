from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import ReasonForm, confirm_then_call
from accounts.admin_mixins import ReadOnlyAdminMixin, masked_id_column
from accounts.history_admin import ReadOnlyHistoryAdmin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.admin.search import PersonSearchMixin
from families.models import CoPayAuthorization
from families.services import copay_record_filing, copay_revoke


class FilingForm(ReasonForm):
    filing_number = forms.CharField(label=_("备案编号"), max_length=64)


@admin.register(CoPayAuthorization)
class CoPayAuthorizationAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                              ReadOnlyHistoryAdmin):
    """Read-only: revocation and filing are actions with a reason that call the services."""

    region_field = "authorizer__insured_region"
    person_search_paths = ("authorizer__", "beneficiary__")
    list_display = ["authorizer_masked", "beneficiary_masked", "relationship", "status",
                    "reserve", "filed_at", "channel", "applied_at"]
    list_select_related = ["authorizer", "beneficiary"]
    list_filter = ["status", "channel", "consent_method"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-applied_at"]
    paginator = EstimatedCountPaginator
    actions = ["revoke_selected", "record_filing"]
    fields = ["authorizer_masked", "beneficiary_masked", "relationship", "channel", "status",
              "consent_method", "proof", "reserve", "commitment_signed", "filing_number",
              "filed_at", "filed_by", "applied_at", "applied_by", "decided_at", "decided_by",
              "decision_reason", "suspended_reason", "ended_at", "ended_by", "end_reason"]
    readonly_fields = fields

    authorizer_masked = masked_id_column("authorizer", _("授权人"))
    beneficiary_masked = masked_id_column("beneficiary", _("共济人"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("families.revoke_copayauthorization"):
            actions.pop("revoke_selected", None)
        if not request.user.has_perm("families.record_filing_copayauthorization"):
            actions.pop("record_filing", None)
        return actions

    @admin.action(description=_("撤销所选共济授权"))
    def revoke_selected(self, request, queryset):
        return confirm_then_call(
            self, request, queryset.select_related("authorizer", "beneficiary"),
            permission="families.revoke_copayauthorization", action_name="revoke_selected",
            title=_("撤销家庭共济授权"),
            explanation=_("撤销后共济人不能再使用授权人的个人账户;尚有未结算费用的授权不能撤销。"),
            call=lambda obj, *, actor, reason: copay_revoke(
                actor=actor, authorization=obj, reason=reason),
        )

    @admin.action(description=_("登记备案"))
    def record_filing(self, request, queryset):
        return confirm_then_call(
            self, request, queryset.select_related("authorizer", "beneficiary"),
            permission="families.record_filing_copayauthorization",
            action_name="record_filing", title=_("登记家庭共济备案"),
            explanation=_("须先备案的统筹区,备案后共济资金方可使用。"), form_class=FilingForm,
            call=lambda obj, *, actor, reason, filing_number: copay_record_filing(
                actor=actor, authorization=obj, filing_number=filing_number, reason=reason),
        )
