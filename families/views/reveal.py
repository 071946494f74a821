"""Who looked: showing a person's full ID number and phone is an explicit, audited
action ("显示完整证件号"). GET shows a confirmation page; POST records the event
(action reveal_identity) and shows the unmasked values once, never cached.

Link to it from any page with `reveal_link(person)` (admin readonly field / column) or
`{% include "audit/reveal_person_link.html" with person=person %}`.
"""

from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.scoping import scope_to_region
from audit.access import record_access_event
from audit.actions import AuditAction

REVEAL_PERMISSION = "families.reveal_person_identity"


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查询原因"), max_length=200, required=False,
        help_text=_("例如:核对群众提供的证件原件。将记入审计日志。"),
    )


def reveal_url(person) -> str:
    return reverse("reveal:reveal_person", args=[person.pk])


def reveal_link(person) -> SafeString:
    """An admin-ready link to the reveal page (shown to staff with the permission)."""
    return format_html('<a class="button" href="{}">{}</a>', reveal_url(person),
                       _("显示完整证件号"))


def reveal_person(request, pk: int):
    if not request.user.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied
    Person = apps.get_model("families", "Person")
    persons = scope_to_region(
        Person.objects.select_related("insured_region"), request.user, "insured_region"
    )
    person = get_object_or_404(persons, pk=pk)
    revealed = False
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_access_event(
            request.user, AuditAction.REVEAL_IDENTITY, person, request=request,
            reason=form.cleaned_data["reason"],
        )
        revealed = True
    context = {
        **admin.site.each_context(request),
        "title": _("显示完整证件号"),
        "person": person,
        "form": form,
        "revealed": revealed,
    }
    response = TemplateResponse(request, "audit/reveal_person.html", context)
    response["Cache-Control"] = "no-store"
    return response
