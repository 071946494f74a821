"""待审核 queue, the review page (approve / reject), withdrawal, and the application
page a clerk finds by number when a citizen calls."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation
from accounts.models import ServiceHall
from accounts.scoping import scope_to_region
from families import selectors
from families.chinatime import china_date
from families.choices import ApplicationStatus
from families.forms_counter import LookupForm, QueueFilterForm, ReviewForm, WithdrawForm
from families.services.claims import application_claim, application_release, claim_is_live
from families.services.counter import (
    application_approve,
    application_reject,
    application_review_checks,
    application_withdraw,
)
from families.services.deadlines import review_deadline
from families.views.common import (
    ADD_APPLICATION,
    REVIEW_APPLICATION,
    VIEW_APPLICATION,
    add_rule_error,
    applications_for,
    render_admin,
    require_perm,
)
from families.views.scans import record_scan_view

QUEUE_PAGE_SIZE = 25


@require_perm(REVIEW_APPLICATION)
def queue(request):
    """Pending applications of the supervisor's region, oldest first."""
    halls = scope_to_region(ServiceHall.objects.all(), request.user, "region")
    filters = QueueFilterForm(request.GET or None, halls=halls)
    pending = applications_for(request.user).filter(status=ApplicationStatus.PENDING)
    if filters.is_valid() and filters.cleaned_data["hall"]:
        pending = pending.filter(hall=filters.cleaned_data["hall"])
    # The page's ids first (the pending partial index, no joins), then those rows with
    # their related objects: sorting after the joins would join every pending row.
    page = Paginator(pending.order_by("submitted_at", "pk").values_list("pk", flat=True),
                     QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    found = applications_for(request.user).in_bulk(list(page.object_list))
    today = china_date()
    applications = [found[pk] for pk in page.object_list if pk in found]
    policies = selectors.review_policy_for(applications)
    calendars, claim_minutes = {}, {}
    rows = []
    for a in applications:
        region_id = a.hall.region_id
        if region_id not in calendars:
            calendars[region_id] = selectors.work_calendar(region_id)
            claim_minutes[region_id] = selectors.policy_in_force(
                region_id, today).review_claim_minutes
        rows.append({"application": a, "deadline": review_deadline(
            a, calendar=calendars[region_id], policy=policies[a.pk], today=today),
            "claimed": claim_is_live(a, minutes=claim_minutes[region_id])})
    query = request.GET.copy()
    query.pop("page", None)
    return render_admin(request, "counter/queue.html", _("待审核"), {
        "filters": filters, "page": page, "rows": rows, "query": query.urlencode(),
        "fallback": any(row["deadline"].fallback for row in rows),
    })


def _claim_action(request, application, decision: str):
    """领取 / 释放 / 接手 on the review page; the service decides under the row lock."""
    try:
        if decision == "claim":
            application_claim(actor=request.user, application=application)
            messages.success(request, _("已领取 %(number)s,其他审核员将看到您正在审核。") % {
                "number": application.number})
        else:
            application_release(actor=request.user, application=application)
            messages.success(request, _("已释放 %(number)s 的审核领取。") % {
                "number": application.number})
    except RuleViolation as exc:
        messages.error(request, exc.text)
    return redirect("counter:review", pk=application.pk)


@require_perm(REVIEW_APPLICATION)
def review(request, pk: int):
    application = get_object_or_404(applications_for(request.user), pk=pk)
    if request.method == "POST" and request.POST.get("decision") in ("claim", "release"):
        return _claim_action(request, application, request.POST["decision"])
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        operation = {"approve": application_approve, "reject": application_reject}.get(decision)
        if operation is None:
            form.add_error(None, _("请选择审核通过或驳回。"))
        else:
            try:
                operation(actor=request.user, application=application,
                          reason=form.cleaned_data["reason"])
            except RuleViolation as exc:
                add_rule_error(form, exc, {"reason_required": "reason"})
            else:
                done = _("已审核通过") if decision == "approve" else _("已驳回")
                messages.success(request, _("%(number)s %(done)s。") % {
                    "number": application.number, "done": done})
                return redirect("counter:queue")
    pending = application.status == ApplicationStatus.PENDING
    return render_admin(request, "counter/review.html", _("审核窗口受理申请"), {
        "application": application,
        "scans": record_scan_view(
            request, application,
            application.target.proof.scans.order_by("pk") if application.target.proof_id
            else []),
        "checks": application_review_checks(application) if pending else [],
        "pending": pending,
        "own_application": application.submitted_by_id == request.user.pk,
        "claim_live": pending and claim_is_live(application),
        "claim_mine": application.claimed_by_id == request.user.pk,
        "form": form,
    })


@require_perm(ADD_APPLICATION)
def withdraw(request, pk: int):
    application = get_object_or_404(applications_for(request.user), pk=pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(actor=request.user, application=application,
                                 reason=form.cleaned_data["reason"])
        except RuleViolation as exc:
            add_rule_error(form, exc, {"reason_required": "reason"})
        else:
            messages.success(request, _("%(number)s 已撤回。") % {"number": application.number})
            return redirect("counter:detail", pk=application.pk)
    return render_admin(request, "counter/withdraw.html", _("撤回申请"), {
        "application": application, "form": form,
    })


def _history(application) -> list[dict]:
    """The application's and its target's history rows, oldest first."""
    sources = [(_("窗口受理"), application.history),
               (application.get_kind_display(), application.target.history)]
    rows = [
        {"when": row.history_date, "order": row.history_id, "what": what,
         "status": row.get_status_display(), "user": row.history_user,
         "reason": row.history_change_reason or ""}
        for what, manager in sources
        for row in manager.select_related("history_user")
    ]
    return sorted(rows, key=lambda r: (r["when"], r["what"] != _("窗口受理"), r["order"]))


@require_perm(VIEW_APPLICATION)
def detail(request, pk: int):
    """Status and history of one application (a citizen calls with the number)."""
    application = get_object_or_404(applications_for(request.user), pk=pk)
    return render_admin(request, "counter/detail.html", application.number, {
        "application": application,
        "history": _history(application),
        "pending": application.status == ApplicationStatus.PENDING,
        "deadline": review_deadline(application),
    })


@require_perm(VIEW_APPLICATION)
def lookup(request):
    form = LookupForm(request.GET or None)
    if form.is_valid():
        number = form.cleaned_data["number"].strip().upper()
        found = applications_for(request.user).filter(number=number).first()
        if found is not None:
            return redirect("counter:detail", pk=found.pk)
        form.add_error("number", _("本统筹区没有受理编号为 %(number)s 的申请。") % {
            "number": number})
    return render_admin(request, "counter/lookup.html", _("查询受理申请"), {"form": form})
