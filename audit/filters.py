"""List filters of the audit log (domain apps register more, e.g. "by ID number", see
audit.registry). Free-text filters (dates, ID number, application
number) are exact and index-friendly; choice filters list only what the viewer's
region scope allows."""


from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR
from django.utils.translation import gettext_lazy as _

from accounts.admin_filters import ChinaDateRangeFilter
from accounts.models import Region, ServiceHall, User
from accounts.scoping import scope_to_region, sees_all_regions
from audit.actions import action_choices


class InputFilter(admin.ListFilter):
    """A filter rendered as text inputs (one GET parameter each)."""

    template = "admin/audit/input_filter.html"
    fields: tuple[tuple[str, str, str], ...] = ()  # (parameter, label, input type)

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name, _label, _type in self.fields:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                self.used_parameters[name] = value
                if value.strip():
                    self.values[name] = value.strip()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [name for name, _label, _type in self.fields]

    def choices(self, changelist):
        mine = set(self.expected_parameters())
        hidden = [(k, v) for k, v in changelist.params.items() if k not in mine]
        yield {
            "fields": [
                {"name": n, "label": label, "type": t, "value": self.values.get(n, "")}
                for n, label, t in self.fields
            ],
            "hidden": hidden,
            "clear_url": changelist.get_query_string(remove=list(mine)),
            "active": bool(self.values),
        }


class DateRangeFilter(ChinaDateRangeFilter):
    title = _("日期范围(北京时间,含起止日)")
    field_name = "occurred_at"


class ApplicationNumberFilter(InputFilter):
    title = _("受理编号")
    fields = (("application_number", _("受理编号"), "text"),)

    def queryset(self, request, queryset):
        number = self.values.get("application_number", "").upper()
        return queryset.filter(application_number=number) if number else queryset


class SelectFilter(admin.SimpleListFilter):
    """A choice filter as one drop-down list (a long list of links would push every
    filter below it off the screen)."""

    template = "admin/audit/select_filter.html"

    def choices(self, changelist):
        mine = {self.parameter_name, PAGE_VAR}
        value = self.value() or ""
        yield {
            "name": self.parameter_name,
            "options": [(str(v), label, str(v) == value) for v, label in self.lookup_choices],
            "hidden": [(k, v) for k, v in changelist.params.items() if k not in mine],
            "clear_url": changelist.get_query_string(remove=list(mine)),
            "active": bool(value),
        }


def grouped_actions() -> list[tuple[str, str]]:
    """One entry per label: actions of different apps with the same label (审核通过 of
    a binding and of a counter application) are one choice, its codes joined by ","."""
    groups: dict[str, list[str]] = {}
    for code, label in action_choices():
        groups.setdefault(str(label), []).append(code)
    return [(",".join(codes), label) for label, codes in groups.items()]


class ActionFilter(SelectFilter):
    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return grouped_actions()

    def queryset(self, request, queryset):
        codes = [code for code in (self.value() or "").split(",") if code][:50]
        if len(codes) == 1:
            return queryset.filter(action=codes[0])
        return queryset.filter(action__in=codes) if codes else queryset


def audited_models() -> list:
    """Models whose changes appear in the audit log (those with history)."""
    found = []
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        if hasattr(model._meta, "simple_history_manager_attribute"):
            found.append(model)
    return found


class ModelFilter(admin.SimpleListFilter):
    title = _("对象类型")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return sorted(
            ((m._meta.label_lower, m._meta.verbose_name) for m in audited_models()),
            key=lambda pair: pair[0],
        )

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


def _id_value(list_filter) -> int:
    """The filter's value as a primary key; anything else is an invalid filter (the admin
    shows its "invalid filter" page), not a server error."""
    value = list_filter.value()
    if not (value.isascii() and value.isdigit() and len(value) < 19):
        raise IncorrectLookupParameters(_("筛选条件无效。"))
    return int(value)


class StaffFilter(admin.SimpleListFilter):
    title = _("工作人员")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        users = scope_to_region(User.objects.all(), request.user, "hall__region")
        return [(str(u.pk), str(u)) for u in users.order_by("username")]

    def queryset(self, request, queryset):
        return queryset.filter(actor_id=_id_value(self)) if self.value() else queryset


class HallFilter(admin.SimpleListFilter):
    title = _("经办网点")
    parameter_name = "hall"

    def lookups(self, request, model_admin):
        halls = scope_to_region(ServiceHall.objects.all(), request.user, "region")
        return [(str(h.pk), str(h)) for h in halls.order_by("code")]

    def queryset(self, request, queryset):
        return queryset.filter(hall_id=_id_value(self)) if self.value() else queryset


class RegionFilter(admin.SimpleListFilter):
    title = _("统筹区")
    parameter_name = "region"

    def has_output(self) -> bool:
        return sees_all_regions(self.request_user)

    def __init__(self, request, params, model, model_admin):
        self.request_user = request.user
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        if not sees_all_regions(request.user):
            return []  # not shown (has_output); spare the query
        return [(str(r.pk), str(r)) for r in Region.objects.order_by("code")]

    def queryset(self, request, queryset):
        return queryset.filter(region_id=_id_value(self)) if self.value() else queryset
