"""审计日志 in the admin: a read-only timeline across all models (newest first), region
scoped, with filters, a per-object history page with field diffs, and a CSV export of
the filtered view that is itself logged.

Large-table care: no full COUNT (show_full_result_count = False) and the filtered
count is capped (`CappedCountPaginator`), related rows come with the page
(list_select_related), and every filter is an indexed equality or range.
"""

import csv
import io
from functools import cached_property

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.excel import excel_text
from accounts.paginator import plan_estimate
from accounts.scoping import RegionScopedAdminMixin
from audit import filters as f
from audit import registry
from audit.access import record_access_event
from audit.actions import AuditAction
from audit.diffs import _format_changes, _Labels
from audit.models import AuditEvent
from audit.subjects import attach_subject_texts, with_subject_fields

COUNT_CAP = 10_000
EXPORT_MAX_ROWS = 50_000
EXPORT_PERMISSION = "audit.export_auditevent"


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (a LIMITed subquery), never the whole table.
    `capped` tells the template to show "more than COUNT_CAP". On PostgreSQL, when the
    planner expects far more rows than the cap (a region's whole log), the count is
    skipped: the answer ("more than COUNT_CAP") is the same."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if (connections[queryset.db].vendor == "postgresql"
                and plan_estimate(queryset) >= 2 * self.cap):
            return self.cap + 1
        return queryset.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def _model_verbose(label: str) -> str:
    if not label:
        return ""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def changes_summary(changes: list, limit: int = 3) -> str:
    parts = [
        f"{c.get('verbose_name', c.get('field'))}:{c.get('old', '')}→{c.get('new', '')}"
        for c in (changes or [])[:limit]
    ]
    if len(changes or []) > limit:
        parts.append("…")
    return ";".join(parts)


class SubjectChangeList(ChangeList):
    """The page's events with the texts of the persons they concern (one query)."""

    def get_results(self, request):
        super().get_results(request)
        if not getattr(request, "audit_export", False):  # the export loads its own rows
            attach_subject_texts(self.result_list)


@admin.register(AuditEvent)
class AuditEventAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region"
    # Seven columns fit a 1366 px counter PC beside the filters: the hall under the staff
    # member, the object type and application number with the object (the CSV keeps
    # one column each).
    list_display = [
        "when", "actor_display", "action_display", "object_link", "persons",
        "reason_short", "changes_short",
    ]
    list_display_links = None
    list_select_related = ["actor", "hall"]
    # Exact searches first (dates, then the registered ones such as the ID number, then
    # the application number), then the choices.
    base_list_filter = [f.DateRangeFilter]
    choice_list_filter = [f.StaffFilter, f.HallFilter, f.RegionFilter, f.ActionFilter,
                          f.ModelFilter]
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    actions = None
    sortable_by = ()
    ordering = ["-occurred_at", "-id"]
    change_list_template = "admin/audit/auditevent/change_list.html"

    def get_list_filter(self, request):
        # Extra filters registered by the domain apps (e.g. "by ID number"), then ours.
        return [*self.base_list_filter, *registry.LIST_FILTERS, f.ApplicationNumberFilter,
                *self.choice_list_filter]

    def get_changelist(self, request, **kwargs):
        return SubjectChangeList

    # --- nobody writes through the admin, superusers included --------------------------
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    # --- columns -----------------------------------------------------------------------------
    @admin.display(description=_("时间"))
    def when(self, obj: AuditEvent):
        moment = timezone.localtime(obj.occurred_at)
        return format_html('<span class="nowrap">{}</span> <span class="nowrap">{}</span>',
                           moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S"))

    @admin.display(description=_("工作人员 / 经办网点"))
    def actor_display(self, obj: AuditEvent):
        name = str(obj.actor) if obj.actor_id else obj.actor_username
        if not obj.hall_id:
            return name
        return format_html('{}<span class="quiet-line">{}</span>', name, obj.hall)

    @admin.display(description=_("操作"))
    def action_display(self, obj: AuditEvent) -> str:
        return obj.action_label

    @admin.display(description=_("对象类型"))
    def model_display(self, obj: AuditEvent) -> str:
        return _model_verbose(obj.model)

    @admin.display(description=_("对象(类型 / 受理编号)"))
    def object_link(self, obj: AuditEvent):
        url = reverse("admin:audit_auditevent_change", args=[obj.pk])
        link = format_html('<a href="{}">{}</a>', url, obj.object_repr or _("详情"))
        kind = _model_verbose(obj.model)
        if kind:
            link = format_html('<span class="quiet-line">{}</span>{}', kind, link)
        if obj.application_number and obj.application_number not in obj.object_repr:
            link = format_html('{}<span class="quiet-line">{}</span>', link,
                               obj.application_number)
        return link

    @admin.display(description=_("参保人(证件号已脱敏)"))
    def persons(self, obj: AuditEvent) -> str:
        return " / ".join(p for p in getattr(obj, "subject_texts", ()) if p)

    @admin.display(description=_("原因"))
    def reason_short(self, obj: AuditEvent) -> str:
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:39] + "…"

    @admin.display(description=_("字段变更(旧→新)"))
    def changes_short(self, obj: AuditEvent) -> str:
        return changes_summary(obj.changes)

    # --- extra pages -------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="{}_{}_export".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_export": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """One event and the full history of the object it concerns, with the field
        values of every version (masked) and the diff of each change."""
        event = self.get_object(request, unquote(object_id))
        if event is None:
            raise Http404(_("审计记录不存在或不在您的统筹区范围内。"))
        if not self.has_view_permission(request, event):
            raise PermissionDenied
        attach_subject_texts([event])
        timeline = []
        if event.model and event.object_id:
            timeline = list(
                self.get_queryset(request)
                .filter(model=event.model, object_id=event.object_id)
                .select_related("actor", "hall")
                .order_by("-occurred_at", "-id")[:500]
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("审计记录:%(obj)s") % {"obj": event.object_repr or event.action_label},
            "event": event,
            "model_verbose": _model_verbose(event.model),
            "timeline": timeline,
            "versions": self._versions(event, timeline),
            "has_view_permission": True,
            "subtitle": None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/audit/auditevent/detail.html", context)

    def _versions(self, event: AuditEvent, timeline: list) -> list[dict]:
        """Every history row of the object, newest first, with all field values."""
        if not event.history_model or not event.object_id:
            return []
        history_model = apps.get_model(event.history_model)
        model = history_model.instance_type
        pk_name = model._meta.pk.attname
        rows = list(
            history_model._default_manager.filter(**{pk_name: event.object_id})
            .select_related("history_user")
            .order_by("-history_id")[:200]
        )
        # Only what the history table keeps: an excluded field (the staff password hash,
        # last_login) is not on the row and never shown.
        fields = [fl for fl in history_model.tracked_fields if not fl.primary_key]
        labels = _Labels()
        for row in rows:
            for fl in fields:
                if fl.is_relation and fl.name not in registry.MASKED_FIELDS:
                    labels.want(fl.related_model, getattr(row, fl.attname))
        labels.resolve()
        by_history = {e.history_id: e for e in timeline if e.history_id}
        out = []
        for row in rows:
            raw = [(fl.name, None, getattr(row, fl.attname)) for fl in fields]
            out.append({
                "row": row,
                "event": by_history.get(row.history_id),
                "values": _format_changes(model, raw, labels),
                "current": row.history_id == event.history_id,
            })
        return out

    def export_view(self, request):
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        request.audit_export = True
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            raise Http404(_("筛选条件无效。")) from exc
        queryset = changelist.queryset.select_related("actor", "hall", "region")
        rows = list(with_subject_fields(queryset)[: EXPORT_MAX_ROWS + 1])
        attach_subject_texts(rows, annotated=True)
        changelist_url = reverse("admin:audit_auditevent_changelist")
        if len(rows) > EXPORT_MAX_ROWS:
            self.message_user(
                request,
                _("筛选结果超过 %(max)s 条,请缩小日期范围或增加筛选条件后再导出。")
                % {"max": EXPORT_MAX_ROWS},
                messages.ERROR,
            )
            return HttpResponseRedirect(f"{changelist_url}?{request.GET.urlencode()}")
        record_access_event(
            request.user, AuditAction.EXPORT, AuditEvent, request=request,
            reason=_("导出审计日志 CSV"),
            details={"filters": request.GET.urlencode(), "rows": len(rows)},
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        response.write(self._csv(rows))
        return response

    def _csv(self, rows: list[AuditEvent]) -> str:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # BOM: Excel opens UTF-8 correctly
        writer = csv.writer(buffer)
        writer.writerow([str(h) for h in (
            _("时间"), _("工作人员"), _("登录名"), _("经办网点"), _("统筹区"), _("操作"),
            _("操作代码"), _("对象类型"), _("对象ID"), _("对象"), _("参保人"), _("关联参保人"),
            _("受理编号"), _("原因"), _("字段变更"),
        )])
        for e in rows:
            writer.writerow([excel_text(v) for v in (
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                str(e.actor) if e.actor_id else "",
                e.actor_username,
                str(e.hall) if e.hall_id else "",
                str(e.region) if e.region_id else "",
                e.action_label,
                e.action,
                _model_verbose(e.model),
                e.object_id,
                e.object_repr,
                *e.subject_texts,
                e.application_number,
                e.reason,
                changes_summary(e.changes, limit=100),
            )])
        return buffer.getvalue()
