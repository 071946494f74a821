from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Region, ServiceHall, User
from accounts.scoping import RegionScopedAdminMixin

admin.site.site_header = _("医保经办大厅业务管理系统")
admin.site.site_title = _("医保经办大厅")
admin.site.index_title = _("业务管理")


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "province_code"]
    search_fields = ["=code", "name"]

    @admin.display(description=_("省份编码"))
    def province_code(self, obj: Region) -> str:
        return obj.province_code


@admin.register(ServiceHall)
class ServiceHallAdmin(RegionScopedAdminMixin, SimpleHistoryAdmin):
    region_field = "region"
    list_display = ["code", "name", "region", "address"]
    list_select_related = ["region"]
    list_filter = ["region"]
    search_fields = ["=code", "name"]


@admin.register(User)
class UserAdmin(RegionScopedAdminMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    region_field = "hall__region"
    list_display = ["username", "last_name", "first_name", "hall", "is_active", "roles"]
    list_select_related = ["hall"]
    list_filter = ["is_active", "groups", "hall__region"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("工作单位"), {"fields": ("hall",)}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("工作单位"), {"fields": ("hall", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("角色"))
    def roles(self, obj: User) -> str:
        return "、".join(g.name for g in obj.groups.all())
