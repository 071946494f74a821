from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ReadOnlyAdminMixin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.models import CounterApplication


@admin.register(CounterApplication)
class CounterApplicationAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A list of counter applications for supervisors and clerks; the work itself happens
    on the counter pages (intake, queue, review), which every row links to."""

    region_field = "hall__region"
    list_display = ["number", "kind", "status", "hall", "submitted_at", "submitted_by",
                    "reviewed_by", "pages"]
    list_select_related = ["hall", "submitted_by", "reviewed_by"]
    list_filter = ["status", "kind", "hall"]
    search_fields = ["=number"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-submitted_at"]
    paginator = EstimatedCountPaginator

    @admin.display(description=_("办理"))
    def pages(self, obj: CounterApplication) -> str:
        detail = reverse("counter:detail", args=[obj.pk])
        if obj.status == "pending":
            review = reverse("counter:review", args=[obj.pk])
            return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>', detail,
                               _("详情"), review, _("审核"))
        return format_html('<a href="{}">{}</a>', detail, _("详情"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        return redirect("counter:detail", pk=obj.pk)
