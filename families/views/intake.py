"""窗口受理: the intake page (pre-check, verification record, submit), the printable
commitment letter and the printable receipt."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import RuleViolation
from families.chinatime import china_now
from families.choices import Relationship
from families.forms_counter import FIELD_OF_CODE, PartiesForm, VerificationForm
from families.idnumbers import mask_id_number
from families.services.counter import (
    application_precheck,
    application_submit,
)
from families.services.deadlines import review_deadline
from families.views.common import (
    ADD_APPLICATION,
    VIEW_APPLICATION,
    add_rule_error,
    applications_for,
    render_admin,
    require_perm,
)

INTAKE_TEMPLATE = "counter/intake.html"


def _step2_ready(checks) -> bool:
    return bool(checks) and all(c.passed for c in checks)


@require_perm(ADD_APPLICATION)
def intake(request):
    """Step 1 (action=precheck): parties and the eligibility pre-check. Step 2 (shown
    when every check passed; action=submit): the verification record and scans."""
    title = _("窗口受理")
    if request.method != "POST":
        return render_admin(request, INTAKE_TEMPLATE, title, {"parties": PartiesForm()})
    action = request.POST.get("action", "precheck")
    parties = PartiesForm(request.POST)
    if not parties.is_valid() or action == "edit":
        return render_admin(request, INTAKE_TEMPLATE, title, {"parties": parties})
    d = parties.cleaned_data
    checks = application_precheck(kind=d["kind"], holder=parties.holder_ref(),
                                  member=parties.member_ref(), relationship=d["relationship"],
                                  hall=request.user.hall, reserve=d["reserve"])
    context = {"parties": parties, "checks": checks, "step2": _step2_ready(checks),
               "relationship_label": Relationship(d["relationship"]).label}
    if action != "submit" or not context["step2"]:
        context["verification"] = VerificationForm(relationship=d["relationship"])
        return render_admin(request, INTAKE_TEMPLATE, title, context)
    verification = VerificationForm(request.POST, request.FILES, relationship=d["relationship"])
    context["verification"] = verification
    if verification.is_valid():
        try:
            application = application_submit(
                actor=request.user, data=verification.intake_data(parties),
                scans=verification.cleaned_data["scans"],
            )
        except RuleViolation as exc:
            add_rule_error(verification, exc, FIELD_OF_CODE)
        else:
            messages.success(request, _("已受理,受理编号 %(number)s。") % {
                "number": application.number})
            return redirect("counter:receipt", pk=application.pk)
    return render_admin(request, INTAKE_TEMPLATE, title, context)


@require_perm(ADD_APPLICATION)
@require_POST
def commitment_letter(request):
    """The 承诺书 pre-filled with what the clerk typed (IDs masked), for signature."""
    parties = PartiesForm(request.POST)
    if not parties.is_valid():
        return render_admin(request, INTAKE_TEMPLATE, _("窗口受理"), {"parties": parties})
    d = parties.cleaned_data
    return render_admin(request, "counter/commitment_letter.html", _("承诺书"), {
        "holder_name": d["holder_name"], "member_name": d["member_name"],
        "holder_id": mask_id_number(parties.holder_ref().normalized_number),
        "member_id": mask_id_number(parties.member_ref().normalized_number),
        "relationship_label": Relationship(d["relationship"]).label,
        "kind": d["kind"],
        "kind_label": dict(parties.fields["kind"].choices).get(d["kind"], ""),
        "hall": request.user.hall, "today": china_now().date(),
    })


@require_perm(VIEW_APPLICATION)
def receipt(request, pk: int):
    application = get_object_or_404(applications_for(request.user), pk=pk)
    return render_admin(request, "counter/receipt.html", _("受理回执"), {
        "application": application,
        "deadline": review_deadline(application),
    })
