"""Review claims (审核中): a supervisor takes a pending application for review so that two
supervisors never review the same one. Decided under the application's row lock.

- `application_claim`: take it (or renew one's own claim); a live claim of another
  supervisor refuses (`claim_held`); a stale one (older than the region's
  `review_claim_minutes`) is taken over, audited with the previous holder in the reason.
- `application_release`: the holder gives it back; a supervisor of the region or a
  system administrator may end someone else's claim only once it is stale.
- `require_claim_free`: the approve/reject services refuse while another supervisor's
  claim is live; a decision, a withdrawal or an expiry ends the claim (`end_claim`).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation
from accounts.scoping import sees_all_regions
from audit.services import save_audited
from families import selectors
from families.chinatime import CHINA, china_date
from families.choices import ApplicationStatus
from families.models import CounterApplication
from families.services.bindings import REVIEW_PERMISSION, require_reviewer

SYSADMIN_PERMISSION = "families.change_regionpolicy"


def claim_minutes(application: CounterApplication) -> int:
    region_id = application.hall.region_id
    return selectors.policy_in_force(region_id, china_date()).review_claim_minutes


def claim_is_live(application: CounterApplication, now: datetime.datetime | None = None,
                  minutes: int | None = None) -> bool:
    if application.claimed_by_id is None:
        return False
    minutes = claim_minutes(application) if minutes is None else minutes
    return (now or timezone.now()) - application.claimed_at < datetime.timedelta(
        minutes=minutes)


def _holder_name(application: CounterApplication) -> str:
    user = application.claimed_by
    return (user.get_full_name() or user.username) if user else ""


def _held(application: CounterApplication) -> RuleViolation:
    return RuleViolation(
        "claim_held",
        _("该申请正由 %(name)s 审核(%(since)s 起领取),其他审核员不能处理。") % {
            "name": _holder_name(application),
            "since": application.claimed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        },
        holder=application.claimed_by_id,
    )


def _lock(application: CounterApplication) -> CounterApplication:
    # Not select_related("claimed_by"): after waiting for the lock, PostgreSQL re-reads
    # the locked row but not the joined user row, which would be the stale one.
    application = (
        CounterApplication.objects.select_for_update(of=("self",))
        .select_related("hall")
        .get(pk=application.pk)
    )
    if application.status != ApplicationStatus.PENDING:
        raise RuleViolation(
            "invalid_state",
            _("该申请当前状态为“%(status)s”,不能进行此操作。")
            % {"status": application.get_status_display()},
            status=application.status,
        )
    return application


def _in_region(actor, application: CounterApplication) -> bool:
    hall = getattr(actor, "hall", None)
    return sees_all_regions(actor) or (
        hall is not None and hall.region_id == application.hall.region_id)


def application_claim(*, actor, application: CounterApplication) -> CounterApplication:
    """Take the application for review (审核中: who, since)."""
    with transaction.atomic():
        application = _lock(application)
        require_reviewer(actor, application.submitted_by_id)
        if not _in_region(actor, application):
            raise RuleViolation("permission_denied", _("只能审核本统筹区的申请。"))
        now = timezone.now()
        taken_from_other = application.claimed_by_id not in (None, actor.pk)
        if taken_from_other and claim_is_live(application, now):
            raise _held(application)
        if taken_from_other:
            reason = _("接手超时未处理的审核(原领取人:%(name)s,%(since)s 起)") % {
                "name": _holder_name(application),
                "since": application.claimed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")}
            action = "application_claim_takeover"
        else:
            reason, action = _("领取审核"), "application_claim"
        application.claimed_by, application.claimed_at = actor, now
        save_audited(application, actor=actor, reason=reason, action=action,
                     update_fields=["claimed_by", "claimed_at"])
        return application


def application_release(*, actor, application: CounterApplication,
                        reason: str = "") -> CounterApplication:
    """End a claim: the holder at any time; a supervisor of the region or a system
    administrator only once it is stale."""
    with transaction.atomic():
        application = _lock(application)
        if application.claimed_by_id is None:
            return application
        own = actor is not None and application.claimed_by_id == actor.pk
        if not own:
            may = actor is not None and _in_region(actor, application) and (
                actor.has_perm(REVIEW_PERMISSION) or actor.has_perm(SYSADMIN_PERMISSION))
            if not may:
                raise RuleViolation("permission_denied",
                                    _("只有本统筹区的审核员或系统管理员可以释放审核领取。"))
            if claim_is_live(application):
                raise _held(application)
        reason = (reason or "").strip()[:200] or (
            _("释放审核领取") if own else _("释放超时未处理的审核领取(原领取人:%(name)s)")
            % {"name": _holder_name(application)})
        application.claimed_by, application.claimed_at = None, None
        save_audited(application, actor=actor, reason=reason,
                     action="application_release" if own else "application_claim_takeover",
                     update_fields=["claimed_by", "claimed_at"])
        return application


def require_claim_free(actor, application: CounterApplication) -> None:
    """Inside the decision's transaction, on the locked row: another supervisor's live
    claim refuses the decision."""
    if application.claimed_by_id not in (None, actor.pk if actor else None) and claim_is_live(
            application):
        raise _held(application)


def end_claim(application: CounterApplication) -> None:
    """A decision, withdrawal or expiry ends the claim (saved with the caller's row)."""
    application.claimed_by, application.claimed_at = None, None
