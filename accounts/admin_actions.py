"""Admin actions that change state: a confirmation page with a form (at least a reason),
then one service call per selected row; a RuleViolation becomes an error message for
that row and nothing of it is saved. Never a 500, never a silent success."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import RuleViolation

CONFIRMATION_TEMPLATE = "admin/reason_action_confirmation.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("办理原因"), max_length=200)


def bound_form(request, form_class: type[forms.Form] = ReasonForm) -> forms.Form:
    """The action's form, bound only once the confirmation page was submitted."""
    return form_class(request.POST if "confirm" in request.POST else None)


def render_confirmation(modeladmin, request, *, objects, form, title, explanation,
                        action_name: str, template: str = CONFIRMATION_TEMPLATE):
    return TemplateResponse(request, template, {
        **modeladmin.admin_site.each_context(request),
        "title": title, "explanation": explanation, "opts": modeladmin.model._meta,
        "objects": objects, "form": form, "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    })


def confirm_then_call(
    modeladmin, request, queryset, *, permission: str, action_name: str, title: str,
    explanation: str, call: Callable, form_class: type[forms.Form] = ReasonForm,
    template: str = CONFIRMATION_TEMPLATE, label: Callable[[object], str] = str,
):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = bound_form(request, form_class)
    if not form.is_valid():
        return render_confirmation(modeladmin, request, objects=queryset, form=form,
                                   title=title, explanation=explanation,
                                   action_name=action_name, template=template)
    done = 0
    for obj in queryset:
        try:
            call(obj, actor=request.user, **form.cleaned_data)
            done += 1
        except RuleViolation as exc:
            modeladmin.message_user(request, f"{label(obj)}:{exc.text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%(title)s:已办理 %(n)d 条。") % {
            "title": title, "n": done}, messages.SUCCESS)
    return None
