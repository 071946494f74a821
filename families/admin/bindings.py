from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_actions import bound_form, render_confirmation
from accounts.admin_mixins import ReadOnlyAdminMixin, masked_id_column
from accounts.errors import RuleViolation
from accounts.history_admin import ReadOnlyHistoryAdmin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.admin.search import PersonSearchMixin
from families.models import Binding
from families.services.batch import LinkIds, Outcome, ReportRow, batch_unbind


class UnbindForm(forms.Form):
    reason = forms.CharField(label=_("解绑原因"), max_length=200)


@admin.register(Binding)
class BindingAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                   ReadOnlyHistoryAdmin):
    """Nobody edits a binding's status by hand: the change form is read-only and
    unbinding is an action with a reason that calls the service."""

    region_field = "holder__insured_region"
    person_search_paths = ("holder__", "member__")
    list_display = ["holder_masked", "member_masked", "relationship", "channel", "status",
                    "consent_method", "applied_at", "member_evoucher"]
    list_select_related = ["holder", "member"]
    list_filter = ["status", "channel", "consent_method"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-applied_at"]
    paginator = EstimatedCountPaginator
    actions = ["unbind_selected"]
    fields = ["holder_masked", "member_masked", "relationship", "channel", "status",
              "consent_method", "proof", "commitment_signed", "applied_at", "applied_by",
              "decided_at", "decided_by", "decision_reason", "ended_at", "ended_by",
              "end_reason", "member_evoucher"]
    readonly_fields = fields

    holder_masked = masked_id_column("holder", _("绑定人"))
    member_masked = masked_id_column("member", _("被绑定人"))

    @admin.display(description=_("被绑定人电子凭证已激活(可使用)"), boolean=True)
    def member_evoucher(self, obj: Binding) -> bool:
        return obj.member.evoucher_activated_at is not None

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("families.unbind_binding"):
            actions.pop("unbind_selected", None)
        return actions

    @admin.action(description=_("解除所选绑定"))
    def unbind_selected(self, request, queryset):
        if not request.user.has_perm("families.unbind_binding"):
            raise PermissionDenied
        form = bound_form(request, UnbindForm)
        if not form.is_valid():
            return render_confirmation(
                self, request, objects=queryset.select_related("holder", "member"), form=form,
                title=_("解除绑定"), action_name="unbind_selected",
                explanation=_("将解除以下绑定。解绑不会删除记录,原因和经办人记入审计日志。"),
            )
        # The batch service behind `batch_unbind` (one path for every unbind of several
        # links): a reason typed here is not administrative, so the waiting period applies.
        bindings = {b.pk: b for b in queryset.select_related("holder", "member")}
        refused: list[ReportRow] = []
        try:
            result = batch_unbind(
                actor=request.user, selection=LinkIds(bindings=sorted(bindings)),
                reason=form.cleaned_data["reason"], scope="bindings", administrative=False,
                report=lambda row: row.outcome == Outcome.ENDED or refused.append(row),
            )
        except RuleViolation as exc:
            self.message_user(request, exc.text, messages.ERROR)
            return None
        for row in refused:
            self.message_user(request, f"{bindings[row.link_id]}:{row.message}", messages.ERROR)
        done = result.ended
        if done:
            self.message_user(request, ngettext("已解除 %(n)d 个绑定。", "已解除 %(n)d 个绑定。",
                                                done) % {"n": done}, messages.SUCCESS)
        return None
