"""Region scoping: staff see only rows of their own region unless they may see all.

Every admin and custom view goes through `scope_to_region` (or the admin mixin), so no
page can leak another region's persons, scans or applications.
"""

from django.db.models import QuerySet

ALL_REGIONS_PERM = "accounts.view_all_regions"


def sees_all_regions(user) -> bool:
    return user.is_superuser or user.has_perm(ALL_REGIONS_PERM)


def scope_to_region(queryset: QuerySet, user, region_field: str) -> QuerySet:
    """Filter `queryset` to the user's region through the lookup path `region_field`
    (e.g. "insured_region", "hall__region", "holder__insured_region")."""
    if sees_all_regions(user):
        return queryset
    hall = getattr(user, "hall", None)
    if hall is None:
        return queryset.none()
    return queryset.filter(**{region_field: hall.region_id})


class RegionScopedAdminMixin:
    """ModelAdmin mixin: set `region_field` to the lookup path of the row's region."""

    region_field: str = ""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scope_to_region(qs, request.user, self.region_field)
