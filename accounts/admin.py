from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ChangeReasonAdminMixin
from accounts.chinatime_text import china_time_text
from accounts.history_admin import ReadOnlyHistoryAdmin
from accounts.models import Region, ServiceHall, User
from accounts.scoping import RegionScopedAdminMixin, scope_to_region, sees_all_regions
from accounts.signals import login_lock_lifted

admin.site.site_header = _("医保经办大厅业务管理系统")
admin.site.site_title = _("医保经办大厅")
admin.site.index_title = _("业务管理")

@admin.register(Region)
class RegionAdmin(ChangeReasonAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "province_code"]
    search_fields = ["=code", "name"]

    @admin.display(description=_("省份编码"))
    def province_code(self, obj: Region) -> str:
        return obj.province_code


@admin.register(ServiceHall)
class ServiceHallAdmin(RegionScopedAdminMixin, ChangeReasonAdminMixin, ReadOnlyHistoryAdmin):
    region_field = "region"
    list_display = ["code", "name", "region", "address", "phone"]
    list_select_related = ["region"]
    list_filter = ["region"]
    search_fields = ["=code", "name"]


@admin.register(User)
class UserAdmin(RegionScopedAdminMixin, DjangoUserAdmin, ReadOnlyHistoryAdmin):
    region_field = "hall__region"
    list_display = ["username", "last_name", "first_name", "hall", "is_active", "roles"]
    list_select_related = ["hall"]
    list_filter = ["is_active", "groups", "hall__region"]
    fieldsets = (
        *(
            (title, {**opts, "fields": ("last_name", "first_name", "email")})
            if "first_name" in opts["fields"] else (title, opts)
            for title, opts in DjangoUserAdmin.fieldsets
        ),
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


# --- Login lockout (django-axes): supervisors see locks and lift them ----------------------
# axes ships no Chinese catalogue; its model and columns are labelled here.
apps.get_app_config("axes").verbose_name = _("登录安全")
AccessAttempt._meta.verbose_name = _("登录失败记录")
AccessAttempt._meta.verbose_name_plural = _("登录失败记录(账号锁定)")


def _attempt_title(attempt: AccessAttempt) -> str:
    return _("%(username)s 的登录失败记录") % {"username": attempt.username}


AccessAttempt.__str__ = _attempt_title  # axes' own reads "Attempted Access: <UTC time>"
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Deleting a row lifts the lock on that username; the unlock is audited."""

    list_display = ["attempt_time_display", "username_display", "ip_display",
                    "failures_display", "locked_display"]
    list_filter = []
    date_hierarchy = None
    search_fields = ["=username"]
    actions = []
    # The detail page: no raw form data (it may hold a mistyped password), China time.
    fieldsets = ((None, {"fields": ("username_display", "ip_display", "user_agent_display",
                                    "failures_display", "locked_display",
                                    "attempt_time_display", "path_display")}),)
    readonly_fields = ["username_display", "ip_display", "user_agent_display",
                       "failures_display", "locked_display", "attempt_time_display",
                       "path_display"]

    def get_queryset(self, request):
        # Region scoping by the locked username: a supervisor sees (and may lift) the locks
        # of his own region's staff; names that are no staff account only staff who see
        # every region.
        qs = super().get_queryset(request)
        if sees_all_regions(request.user):
            return qs
        staff = scope_to_region(User.objects.all(), request.user, "hall__region")
        return qs.filter(username__in=staff.values("username"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("最近失败时间(北京时间)"), ordering="attempt_time")
    def attempt_time_display(self, obj):
        return china_time_text(obj.attempt_time)

    @admin.display(description=_("浏览器"))
    def user_agent_display(self, obj):
        return obj.user_agent

    @admin.display(description=_("登录页面"))
    def path_display(self, obj):
        return obj.path_info

    @admin.display(description=_("登录名"))
    def username_display(self, obj):
        return obj.username

    @admin.display(description=_("IP地址"))
    def ip_display(self, obj):
        return obj.ip_address

    @admin.display(description=_("连续失败次数"))
    def failures_display(self, obj):
        return obj.failures_since_start

    @admin.display(description=_("已锁定"), boolean=True)
    def locked_display(self, obj):
        from axes.conf import settings as axes_settings

        return obj.failures_since_start >= axes_settings.AXES_FAILURE_LIMIT

    def _audit_unlock(self, request, attempt) -> None:
        user = User.objects.filter(username=attempt.username).first()
        login_lock_lifted.send(sender=type(self), request=request, attempt=attempt, user=user)

    def delete_model(self, request, obj):
        self._audit_unlock(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for attempt in queryset:
            self._audit_unlock(request, attempt)
        super().delete_queryset(request, queryset)
