"""Shared helpers of the counter pages: admin context, permissions, region scoping."""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.shortcuts import render

from accounts.errors import RuleViolation
from accounts.scoping import scope_to_region
from families.models import CounterApplication

VIEW_APPLICATION = "families.view_counterapplication"
ADD_APPLICATION = "families.add_counterapplication"
REVIEW_APPLICATION = "families.review_counterapplication"
VIEW_SCAN = "families.view_proofscan"


def require_perm(perm: str) -> Callable:
    """403 for a signed-in staff member without `perm` (anonymous users never get here:
    admin_view redirects them to the login page)."""
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


def render_admin(request, template: str, title: str, context: dict | None = None, **kwargs):
    """Render a counter page inside the admin look (header, user tools, sidebar)."""
    return render(request, template, {
        **admin.site.each_context(request), "title": title, **(context or {}),
    }, **kwargs)


def applications_for(user) -> QuerySet:
    """Applications of the user's region (the hall's region), ready for display."""
    qs = CounterApplication.objects.select_related(
        "hall", "submitted_by", "reviewed_by", "claimed_by",
        "binding__holder", "binding__member", "binding__proof",
        "copay__authorizer", "copay__beneficiary", "copay__proof",
    )
    return scope_to_region(qs, user, "hall__region")


def add_rule_error(form: Form | None, exc: RuleViolation, field_of: dict[str, str]) -> None:
    field = field_of.get(exc.rule_code)
    if form is None:
        return
    if field and field in form.fields:
        form.add_error(field, exc.text)
    else:
        form.add_error(None, exc.text)
