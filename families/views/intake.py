"""窗口受理: the intake page (pre-check, verification record, submit), the printable
commitment letter and the printable receipt."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import RuleViolation
from families.chinatime import age_on, china_date, china_now
from families.choices import Relationship
from families.forms_counter import FIELD_OF_CODE, PartiesForm, VerificationForm
from families.idnumbers import mask_id_number
from families.rules import suggested_no_face_reason
from families.selectors import find_person
from families.services.counter import (
    application_precheck,
    application_submit,
)
from families.services.deadlines import review_deadline
from families.services.precheck_stats import precheck_refusals_record
from families.services.staging import (
    purge_stale,
    scans_discard,
    scans_open_staged,
    scans_stage,
)
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


STAGED_KEY = "intake_staged_scans"


def _member_age(parties: PartiesForm) -> int | None:
    member = find_person(parties.cleaned_data["member_id_type"],
                         parties.member_ref().normalized_number)
    return age_on(member.birth_date, china_date()) if member else None


def _fresh_verification(parties: PartiesForm) -> VerificationForm:
    """Step 2 as it first appears: the reason preselected for a minor, the cursor on
    the first field (the clerk continues typing right after the pre-check)."""
    age = _member_age(parties)
    initial = {"no_face_reason": suggested_no_face_reason(age)} if age is not None else {}
    form = VerificationForm(relationship=parties.cleaned_data["relationship"], initial=initial)
    form.fields["no_face_reason"].widget.attrs["autofocus"] = True
    return form


def _focus_first_error(form: VerificationForm) -> None:
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return


@require_perm(ADD_APPLICATION)
def intake(request):
    """Step 1 (action=precheck): parties and the eligibility pre-check. Step 2 (shown
    when every check passed; action=submit): the verification record and scans. Scans
    of a refused step 2 stay staged (families.services.staging) and are offered again."""
    title = _("窗口受理")
    if request.method != "POST":
        scans_discard(actor=request.user, index=request.session.pop(STAGED_KEY, {}))
        purge_stale(actor=request.user)
        return render_admin(request, INTAKE_TEMPLATE, title, {"parties": PartiesForm()})
    action = request.POST.get("action", "precheck")
    parties = PartiesForm(request.POST)
    if not parties.is_valid() or action == "edit":
        return render_admin(request, INTAKE_TEMPLATE, title, {"parties": parties})
    d = parties.cleaned_data
    checks = application_precheck(kind=d["kind"], holder=parties.holder_ref(),
                                  member=parties.member_ref(), relationship=d["relationship"],
                                  hall=request.user.hall, reserve=d["reserve"])
    if action != "submit":  # step 1, the pre-check screen (submit re-runs it)
        precheck_refusals_record(hall=request.user.hall, checks=checks)
    staged = request.session.get(STAGED_KEY, {})
    context = {"parties": parties, "checks": checks, "step2": _step2_ready(checks),
               "relationship_label": Relationship(d["relationship"]).label,
               "staged": list(staged.values())}
    if action != "submit" or not context["step2"]:
        context["verification"] = _fresh_verification(parties)
        return render_admin(request, INTAKE_TEMPLATE, title, context)
    kept = [t for t in request.POST.getlist("staged") if t in staged]
    verification = VerificationForm(request.POST, request.FILES, relationship=d["relationship"])
    verification.fields["scans"].required = not kept
    context["verification"] = verification
    if verification.is_valid():
        reopened = scans_open_staged(actor=request.user, index=staged, tokens=kept)
        try:
            application = application_submit(
                actor=request.user, data=verification.intake_data(parties),
                scans=[*reopened, *verification.cleaned_data["scans"]],
            )
        except RuleViolation as exc:
            add_rule_error(verification, exc, FIELD_OF_CODE)
        else:
            scans_discard(actor=request.user, index=request.session.pop(STAGED_KEY, {}))
            messages.success(request, _("已受理,受理编号 %(number)s。") % {
                "number": application.number})
            return redirect("counter:receipt", pk=application.pk)
        finally:
            for handle in reopened:
                handle.close()
    # Refused: keep what the clerk chose (staged files he unticked are dropped).
    dropped = {t: m for t, m in staged.items() if t not in kept}
    scans_discard(actor=request.user, index=dropped)
    index, refused = scans_stage(actor=request.user, uploads=request.FILES.getlist("scans"),
                                 already={t: staged[t] for t in kept})
    for exc in refused:
        if exc.text not in verification.errors.get("scans", []):
            verification.add_error("scans", exc.text)
    request.session[STAGED_KEY] = index
    context["staged"] = list(index.values())
    _focus_first_error(verification)
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
