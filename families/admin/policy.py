from django.contrib import admin

from accounts.admin_mixins import ChangeReasonAdminMixin
from accounts.scoping import RegionScopedAdminMixin
from families.models import RegionPolicy


@admin.register(RegionPolicy)
class RegionPolicyAdmin(RegionScopedAdminMixin, ChangeReasonAdminMixin, admin.ModelAdmin):
    """Edited by system administrators only (role permissions); a new version with a
    later effective date is the way to change policy without rewriting the past."""

    region_field = "region"
    list_display = ["region", "effective_from", "holder_limit", "member_limit",
                    "monthly_limit", "birth_exemption_enabled", "copay_scope",
                    "copay_filing_required"]
    list_select_related = ["region"]
    list_filter = ["region"]

    def has_delete_permission(self, request, obj=None):
        return False
