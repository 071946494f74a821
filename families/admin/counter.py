from django.contrib import admin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ReadOnlyAdminMixin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.choices import ApplicationStatus
from families.models import CounterApplication

REVIEW_APPLICATION = "families.review_counterapplication"


@admin.register(CounterApplication)
class CounterApplicationAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A list of counter applications for supervisors and clerks; the work itself happens
    on the counter pages (intake, queue, review), which every row links to."""

    region_field = "hall__region"
    # Fits a 1366 px counter PC beside the filters: who took it and where under the time.
    list_display = ["number", "kind", "status", "applicant", "relative", "submitted",
                    "reviewed_by", "pages"]
    list_select_related = ["hall", "submitted_by", "reviewed_by", "binding__holder",
                           "binding__member", "copay__authorizer", "copay__beneficiary"]
    list_filter = ["status", "kind", "hall"]
    search_fields = ["=number"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-submitted_at"]
    paginator = EstimatedCountPaginator

    @admin.display(description=_("申请人"))
    def applicant(self, obj: CounterApplication) -> str:
        return obj.applicant.name

    @admin.display(description=_("被绑定人/共济人"))
    def relative(self, obj: CounterApplication) -> str:
        return obj.relative.name

    @admin.display(description=_("受理时间 / 受理人 / 网点"), ordering="submitted_at")
    def submitted(self, obj: CounterApplication):
        moment = timezone.localtime(obj.submitted_at)
        return format_html(
            '<span class="nowrap">{}</span> <span class="nowrap">{}</span>'
            '<span class="quiet-line">{} · {}</span>',
            moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S"),
            obj.submitted_by, obj.hall)

    @admin.display(description=_("办理"))
    def pages(self, obj: CounterApplication) -> str:
        """Without a request (system checks): the detail link only."""
        return format_html('<a href="{}">{}</a>', reverse("counter:detail", args=[obj.pk]),
                           _("详情"))

    def get_list_display(self, request):
        """The 审核 link only for staff who may review (a clerk would meet a 403), and
        never on the reviewer's own intake (four-eyes)."""
        can_review = request.user.has_perm(REVIEW_APPLICATION)

        @admin.display(description=_("办理"))
        def pages(obj: CounterApplication) -> str:
            detail = reverse("counter:detail", args=[obj.pk])
            if (can_review and obj.status == ApplicationStatus.PENDING
                    and obj.submitted_by_id != request.user.pk):
                review = reverse("counter:review", args=[obj.pk])
                return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>', detail,
                                   _("详情"), review, _("审核"))
            return format_html('<a href="{}">{}</a>', detail, _("详情"))

        return [pages if name == "pages" else name for name in super().get_list_display(request)]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        return redirect("counter:detail", pk=obj.pk)
