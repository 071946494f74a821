"""工作日调整: system administrators keep local holidays and make-up days, or a year the
State Council schedule package does not cover yet; every edit says why (history)."""

from django.contrib import admin

from accounts.admin_mixins import ChangeReasonAdminMixin
from families.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ChangeReasonAdminMixin, admin.ModelAdmin):
    list_display = ["day", "is_working_day", "region", "note"]
    list_select_related = ["region"]
    list_filter = ["is_working_day", "region"]
    date_hierarchy = "day"
    fields = ["day", "is_working_day", "region", "note"]

    def has_delete_permission(self, request, obj=None):
        return False
