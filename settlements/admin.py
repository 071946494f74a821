"""Supervisor pages: accounts with their ledger and statement export, settlements with
their lines. Nothing here is editable; reversal and finalizing are actions with a
reason that call the services."""


from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_actions import ReasonForm, bound_form, confirm_then_call, render_confirmation
from accounts.admin_filters import ChinaDateRangeFilter, DateRangeForm
from accounts.admin_mixins import ReadOnlyAdminMixin, masked_id_column
from accounts.db_router import replica_reads
from accounts.errors import RuleViolation
from accounts.history_admin import ReadOnlyHistoryAdmin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.admin.search import PersonSearchMixin, person_search_q
from families.chinatime import CHINA
from settlements.models import LedgerEntry, PersonalAccount, Settlement, SettlementLine
from settlements.money import format_yuan
from settlements.services import account_adjust, settlement_finalize, settlement_reverse
from settlements.statement import statement_response

RECENT_ENTRIES = 20
# System administrators correct balances (no other role changes an account by hand).
ADJUST_PERMISSION = "settlements.change_personalaccount"


class AdjustForm(ReasonForm):
    amount = forms.DecimalField(label=_("调整金额(元,负数为调减)"), max_digits=12,
                                decimal_places=2)
    field_order = ["amount", "reason"]


def money_column(field: str, description):
    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return format_yuan(getattr(obj, field))

    return column


class LedgerDateRangeFilter(ChinaDateRangeFilter):
    title = _("记账日期")
    field_name = "created_at"


@admin.register(PersonalAccount)
class PersonalAccountAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                           ReadOnlyHistoryAdmin):
    region_field = "person__insured_region"
    person_search_paths = ("person__",)
    list_display = ["holder", "insurance_status", "balance_yuan", "updated_at", "links"]
    list_select_related = ["person"]
    list_filter = ["person__insurance_status"]
    ordering = ["-updated_at", "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    fields = ["holder", "insurance_status", "balance_yuan", "opened_at", "updated_at",
              "links", "recent_entries"]
    readonly_fields = fields

    holder = masked_id_column("person", _("参保人"))
    balance_yuan = money_column("balance", _("余额"))

    @admin.display(description=_("参保状态"))
    def insurance_status(self, obj: PersonalAccount) -> str:
        return obj.person.get_insurance_status_display()

    @admin.display(description=_("明细与对账单"))
    def links(self, obj: PersonalAccount) -> str:
        ledger = reverse("admin:settlements_ledgerentry_changelist")
        export = reverse("admin:settlements_personalaccount_statement", args=[obj.pk])
        return format_html(
            '<a href="{}?{}">{}</a> | <a href="{}">{}</a>',
            ledger, urlencode({"account__id__exact": obj.pk}), _("账户明细"),
            export, _("导出对账单(CSV)"),
        )

    @admin.display(description=_("最近明细"))
    def recent_entries(self, obj: PersonalAccount) -> str:
        entries = (
            obj.entries.select_related("settlement__beneficiary")
            .order_by("-id")[:RECENT_ENTRIES]
        )
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(entry.created_at, CHINA).strftime("%Y-%m-%d %H:%M"),
                    entry.get_kind_display(),
                    format_yuan(entry.amount),
                    format_yuan(entry.balance_after),
                    str(entry.settlement.beneficiary) if entry.settlement_id else entry.memo,
                )
                for entry in entries
            ),
        )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("记账时间"), _("类型"), _("发生额"), _("变动后余额"), _("就医人/摘要"),
        )
        return format_html("<table>{}{}</table>", header, rows)

    actions = ["adjust_balance"]

    @admin.action(description=_("调整个人账户余额(须填写原因)"), permissions=["adjust"])
    def adjust_balance(self, request, queryset):
        """A signed manual correction (调整) by a system administrator, with its reason;
        account_adjust refuses a balance below zero or beyond what the column holds."""
        return confirm_then_call(
            self, request, queryset, permission=ADJUST_PERMISSION,
            action_name="adjust_balance", title=_("调整个人账户余额"),
            explanation=_("正数为调增,负数为调减;余额不能为负。每笔调整记入流水和历史。"),
            call=lambda account, **kw: account_adjust(account=account, **kw),
            form_class=AdjustForm,
        )

    def has_adjust_permission(self, request) -> bool:
        return request.user.has_perm(ADJUST_PERMISSION)

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "<path:object_id>/statement.csv",
                self.admin_site.admin_view(self.statement_view),
                name="settlements_personalaccount_statement",
            ),
        ]
        return custom + urls

    def statement_view(self, request, object_id):
        if not request.user.has_perm("settlements.export_statement"):
            raise PermissionDenied
        account = self.get_object(request, object_id)  # region-scoped queryset
        if account is None:
            raise Http404
        form = DateRangeForm(request.GET or None)
        start = end = None
        if request.GET:
            if not form.is_valid():
                raise Http404
            start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        with replica_reads():  # a read-only export: the replica when one is configured
            return statement_response(request, account, date_from=start, date_to=end)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                       admin.ModelAdmin):
    region_field = "account__person__insured_region"
    person_search_paths = ("account__person__", "settlement__beneficiary__")
    list_display = ["created_at", "holder", "kind", "amount_yuan", "balance_after_yuan",
                    "period", "settlement_link", "beneficiary", "created_by"]
    list_select_related = ["account__person", "settlement__beneficiary", "created_by"]
    list_filter = ["kind", LedgerDateRangeFilter]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    fields = ["account", "kind", "amount_yuan", "balance_after_yuan", "period",
              "settlement_link", "beneficiary", "memo", "created_at", "created_by"]
    readonly_fields = fields

    holder = masked_id_column("account.person", _("账户持有人"))
    amount_yuan = money_column("amount", _("发生额"))
    balance_after_yuan = money_column("balance_after", _("变动后余额"))

    @admin.display(description=_("结算"))
    def settlement_link(self, obj: LedgerEntry) -> str:
        if not obj.settlement_id:
            return ""
        url = reverse("admin:settlements_settlement_change", args=[obj.settlement_id])
        return format_html('<a href="{}">{}</a>', url, obj.settlement.reference)

    @admin.display(description=_("就医人"))
    def beneficiary(self, obj: LedgerEntry) -> str:
        if not obj.settlement_id:
            return ""
        person = obj.settlement.beneficiary
        return f"{person.name} {person.masked_id_number}"

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "account__id__exact" or super().lookup_allowed(lookup, value, request)


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    can_delete = False
    extra = 0
    max_num = 0
    fields = ["position", "kind", "payer", "authorization", "amount_yuan", "skip_reason"]
    readonly_fields = fields
    ordering = ["position"]

    amount_yuan = money_column("amount", _("金额"))

    @admin.display(description=_("支付账户"))
    def payer(self, obj: SettlementLine) -> str:
        if obj.account_id is None:
            return "—"
        person = obj.account.person
        return f"{person.name} {person.masked_id_number}"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "account__person", "authorization__authorizer", "authorization__beneficiary"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Settlement)
class SettlementAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    region_field = "beneficiary__insured_region"
    list_display = ["reference", "patient", "institution_name", "category", "amount_yuan",
                    "status", "created_at"]
    list_select_related = ["beneficiary"]
    list_filter = ["status", "category"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    search_help_text = _("输入机构结算流水号、完整证件号码或姓名前几个字。")
    actions = ["reverse_selected", "finalize_selected"]
    inlines = [SettlementLineInline]
    fields = ["reference", "patient", "institution_name", "institution_code", "category",
              "amount_yuan", "status", "created_at", "created_by", "settled_at",
              "reversed_at", "reversed_by", "reverse_reason"]
    readonly_fields = fields

    patient = masked_id_column("beneficiary", _("就医人"))
    amount_yuan = money_column("amount", _("个人自付金额"))

    def get_search_fields(self, request):
        return ["__reference_or_person__"]

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        query = Q(reference=term)
        person = person_search_q(term, "beneficiary__")
        if person is not None:
            query |= person
        return queryset.filter(query), False

    def has_reverse_permission(self, request) -> bool:
        return request.user.has_perm("settlements.reverse_settlement")

    def has_finalize_permission(self, request) -> bool:
        return request.user.has_perm("settlements.finalize_settlement")

    @admin.action(description=_("冲正所选结算(退回个人账户)"), permissions=["reverse"])
    def reverse_selected(self, request, queryset):
        return self._run_with_reason(
            request, queryset, action="reverse_selected", service=settlement_reverse,
            title=_("冲正结算"),
            explanation=_("将按原路退回以下结算从个人账户支付的每一笔金额。每笔结算只能冲正一次。"),
            done_message=lambda n: ngettext("已冲正 %(n)d 笔结算。", "已冲正 %(n)d 笔结算。", n),
        )

    @admin.action(description=_("完成所选住院结算(出院)"), permissions=["finalize"])
    def finalize_selected(self, request, queryset):
        return self._run_with_reason(
            request, queryset, action="finalize_selected", service=settlement_finalize,
            title=_("完成住院结算"),
            explanation=_("以下待结算的住院费用将标记为已结算。"),
            done_message=lambda n: ngettext(
                "已完成 %(n)d 笔结算。", "已完成 %(n)d 笔结算。", n
            ),
        )

    def _run_with_reason(self, request, queryset, *, action, service, title, explanation,
                         done_message):
        form = bound_form(request)
        settlements = queryset.select_related("beneficiary").order_by("pk")
        if not form.is_valid():
            return render_confirmation(
                self, request, objects=settlements, form=form, title=title,
                explanation=explanation, action_name=action,
                template="settlements/admin/settlement_action_confirmation.html",
            )
        done = 0
        for settlement in settlements:
            try:
                service(actor=request.user, settlement=settlement,
                        reason=form.cleaned_data["reason"])
                done += 1
            except RuleViolation as exc:
                self.message_user(request, f"{settlement.reference}:{exc.text}", messages.ERROR)
        if done:
            self.message_user(request, done_message(done) % {"n": done}, messages.SUCCESS)
        return None
