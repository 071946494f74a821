"""批量处理: supervisors of a region (and sysadmins) apply a death list, a divorce list or
a selection, or import a registry file (persons of their region), from the browser. A dry run first; confirming (a second supervisor above
BATCH_FOUR_EYES_THRESHOLD) starts a job on the task queue; the job page polls a JSON
endpoint (static/families/batch_progress.js, no inline script) and offers the report."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.errors import RuleViolation
from accounts.models import Region
from accounts.scoping import scope_to_region, sees_all_regions
from audit.access import record_access_event
from families.models import BatchJob, BatchJobStatus, BatchSource
from families.services.batch import REASONS, Outcome
from families.services.batch.jobs import (
    batch_job_check,
    batch_job_confirm,
    needs_second_confirmation,
    would_end,
)
from families.services.registry import ImportOutcome
from families.views.common import render_admin, require_perm

RUN_BATCH = "families.run_batchjob"
# The dry run's counts, in the order the page shows them.
SHOWN_OUTCOMES = [Outcome.WOULD_END, Outcome.ALREADY_ENDED, Outcome.NOT_FOUND,
                  Outcome.NAME_MISMATCH, Outcome.SKIPPED_PENDING_SETTLEMENT,
                  Outcome.OTHER_REGION, Outcome.SKIPPED_TOO_EARLY, Outcome.NO_LINKS,
                  Outcome.INVALID_ID, Outcome.INVALID_ROW, Outcome.ENDED]
IMPORT_OUTCOMES = list(ImportOutcome)
_ERROR_FIELDS = {"batch_bad_file": "upload", "reason_required": "reason",
                 "batch_reason_unknown": "reason"}


class BatchForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("处理对象"), choices=BatchSource.choices)
    upload = forms.FileField(
        label=gettext_lazy("CSV 文件"), required=False,
        help_text=gettext_lazy("参保人清单:id_number(可选 id_type、name);两人清单:holder_id_number、"
                               "member_id_number(可选 holder_name、member_name);参保登记信息:"
                               "与 import_persons 命令相同(id_number、name、insurance_type、"
                               "region_code、status 等)。UTF-8,可带 BOM。"))
    reason = forms.ChoiceField(
        label=gettext_lazy("解除原因"), required=False,
        choices=[("", "---------"), *((r, r) for r in REASONS)],
        help_text=gettext_lazy("解除绑定/授权时必选;参保登记信息导入无需选择。"))
    region = forms.ModelChoiceField(label=gettext_lazy("统筹区"), queryset=Region.objects.all(),
                                    required=False, empty_label=gettext_lazy("全部统筹区"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_all_regions(user):
            del self.fields["region"]  # a supervisor's batch is his region's


def _jobs(user):
    return scope_to_region(BatchJob.objects.select_related(
        "created_by", "confirmed_by", "second_confirmed_by", "region"), user, "region")


def _region_of(user, form: BatchForm):
    if sees_all_regions(user):
        return form.cleaned_data.get("region")
    hall = getattr(user, "hall", None)
    if hall is None:
        raise PermissionDenied
    return hall.region


@require_perm(RUN_BATCH)
def batch_index(request):
    form = BatchForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = batch_job_check(
                actor=request.user, source=form.cleaned_data["source"],
                reason=form.cleaned_data["reason"], region=_region_of(request.user, form),
                upload=form.cleaned_data.get("upload"))
        except RuleViolation as exc:
            form.add_error(_ERROR_FIELDS.get(exc.rule_code) or (
                "upload" if exc.rule_code.startswith("batch_upload") else None), exc.text)
        else:
            return redirect("counter:batch_job", pk=job.pk)
    return render_admin(request, "counter/batch.html", _("批量处理"), {
        "form": form, "jobs": _jobs(request.user)[:20],
    })


@require_perm(RUN_BATCH)
def batch_job(request, pk: int):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    counts = job.result_counts if job.status in (BatchJobStatus.DONE, BatchJobStatus.FAILED) \
        else job.dry_run_counts
    registry = job.source == BatchSource.REGISTRY_CSV
    if registry:
        labels = {o.value: o.label for o in ImportOutcome}
        dry_run = result = IMPORT_OUTCOMES
    else:
        labels = {o.value: o.label for o in Outcome}
        dry_run = [o for o in SHOWN_OUTCOMES if o != Outcome.ENDED]
        result = [o for o in SHOWN_OUTCOMES if o != Outcome.WOULD_END]
    return render_admin(request, "counter/batch_job.html", _("批量处理 #%(n)d") % {"n": pk}, {
        "job": job, "registry": registry,
        "dry_run": [(labels[o], job.dry_run_counts.get(o, 0)) for o in dry_run],
        "result": [(labels[o], counts.get(o, 0)) for o in result],
        "bad_rows": [(line, labels.get(outcome, outcome), message)
                     for line, outcome, message in job.bad_rows],
        "would_end": would_end(job), "four_eyes": needs_second_confirmation(job),
        "can_confirm": job.status == BatchJobStatus.CHECKED or (
            job.status == BatchJobStatus.AWAITING_SECOND
            and job.confirmed_by_id != request.user.pk),
        "in_progress": job.status in (BatchJobStatus.QUEUED, BatchJobStatus.RUNNING),
    })


@require_POST
@require_perm(RUN_BATCH)
def batch_confirm(request, pk: int):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    try:
        job = batch_job_confirm(actor=request.user, job_id=job.pk)
    except RuleViolation as exc:
        messages.error(request, exc.text)
    else:
        if job.status == BatchJobStatus.AWAITING_SECOND:
            messages.info(request, _("已确认,须由另一名审核员再次确认后开始处理。"))
        else:
            messages.success(request, _("已确认,批量处理已开始。"))
    return redirect("counter:batch_job", pk=pk)


@require_perm(RUN_BATCH)
def batch_progress(request, pk: int):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    rate = eta = None
    if job.started_at and job.heartbeat_at and job.done:
        seconds = (job.heartbeat_at - job.started_at).total_seconds()
        rate = job.done / seconds if seconds > 0 else None
        if rate and job.total >= job.done:
            eta = (job.total - job.done) / rate
    return JsonResponse({
        "status": job.status, "status_label": str(job.get_status_display()),
        "done": job.done, "total": job.total,
        "rate": round(rate, 1) if rate else None, "eta_seconds": round(eta) if eta else None,
        "finished": job.status in (BatchJobStatus.DONE, BatchJobStatus.FAILED),
        "now": timezone.now().isoformat(),
    })


@require_perm(RUN_BATCH)
def batch_report(request, pk: int):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    if not job.report:
        raise Http404
    record_access_event(request.user, "batch_report", job, request=request,
                        reason=job.reason)
    return FileResponse(job.report.open("rb"), as_attachment=True,
                        filename=f"batch-job-{job.pk}-report.csv",
                        content_type="text/csv; charset=utf-8")
