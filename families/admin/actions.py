"""Admin actions that change state: a confirmation page with a form (at least a reason),
then one service call per selected row; a RuleViolation becomes an error message for
that row and nothing of it is saved."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("办理原因"), max_length=200)


def confirm_then_call(
    modeladmin, request, queryset, *, permission: str, action_name: str, title: str,
    explanation: str, call: Callable, form_class: type[forms.Form] = ReasonForm,
):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST if "confirm" in request.POST else None)
    if not form.is_valid():
        return TemplateResponse(request, "admin/reason_action_confirmation.html", {
            **modeladmin.admin_site.each_context(request),
            "title": title, "explanation": explanation, "opts": modeladmin.model._meta,
            "objects": queryset, "form": form, "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })
    done = 0
    for obj in queryset:
        try:
            call(obj, actor=request.user, **form.cleaned_data)
            done += 1
        except RuleViolation as exc:
            modeladmin.message_user(request, f"{obj}:{exc.text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%(title)s:已办理 %(n)d 条。") % {
            "title": title, "n": done}, messages.SUCCESS)
    return None
