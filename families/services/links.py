"""The steps every link goes through, shared by 亲情账户 bindings and 家庭共济
authorizations (families.models.links.LinkLifecycle): lock, approve, reject, withdraw,
expire, end. Each kind's service module adds only its own rules (limits, reserve,
waiting period); a rule of the life-cycle fixed here is fixed for both.

Every step runs inside the caller's transaction and follows the lock order written in
families/services/__init__.py (persons by primary key, then the link).
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Check, RuleViolation, raise_failure, require_reason
from audit.services import save_audited
from families import lifecycle
from families.models import Binding, CoPayAuthorization, CounterApplication, Person
from families.models.links import LinkLifecycle
from families.services.locking import lock_persons

LINK_MODELS: tuple[type[LinkLifecycle], ...] = (Binding, CoPayAuthorization)


def lock_link(link: LinkLifecycle) -> LinkLifecycle:
    """Lock the link's two persons (primary-key order), then the link itself, and return
    it re-read under the lock."""
    lock_persons(*link.parties)
    first, second = link.PARTIES
    return (
        type(link).objects.select_for_update(of=("self",))
        .select_related(f"{first}__insured_region", f"{second}__insured_region",
                        f"{first}__birth_region", f"{second}__birth_region", "proof")
        .get(pk=link.pk)
    )


def require_status(link: LinkLifecycle, *allowed: str) -> None:
    if link.status not in allowed:
        raise RuleViolation(
            "invalid_state",
            _("该%(kind)s当前状态为“%(status)s”,不能进行此操作。")
            % {"kind": link._meta.verbose_name, "status": link.get_status_display()},
            status=link.status,
        )


def _save(link: LinkLifecycle, *, actor, reason: str) -> LinkLifecycle:
    save_audited(link, actor=actor, reason=reason,
                 action=lifecycle.end_action(link.LINK_KIND, link.status))
    return link


def approve(link: LinkLifecycle, *, actor, reason: str,
            review_checks: Callable[[LinkLifecycle], list[Check]],
            require_reviewer: Callable[[object, int | None], None]) -> LinkLifecycle:
    """A different supervisor approves a pending link; `review_checks` re-checks the rules
    in force now (what the review page shows) and a failure refuses the approval."""
    reason = require_reason(reason)
    with transaction.atomic():
        link = lock_link(link)
        require_status(link, "pending")
        require_reviewer(actor, link.applied_by_id)
        raise_failure(review_checks(link))
        link.status = "active"
        link.decided_at, link.decided_by, link.decision_reason = timezone.now(), actor, reason
        return _save(link, actor=actor, reason=reason)


def reject(link: LinkLifecycle, *, actor, reason: str,
           require_reviewer: Callable[[object, int | None], None]) -> LinkLifecycle:
    """A different supervisor rejects; a rejected application holds no slot."""
    reason = require_reason(reason)
    with transaction.atomic():
        link = lock_link(link)
        require_status(link, "pending")
        require_reviewer(actor, link.applied_by_id)
        link.status = lifecycle.end_status(link.LINK_KIND, link.status,
                                           lifecycle.EndCause.REJECTION)
        link.decided_at, link.decided_by, link.decision_reason = timezone.now(), actor, reason
        return _save(link, actor=actor, reason=reason)


def end_pending(link: LinkLifecycle, *, actor, reason: str, cause: str) -> LinkLifecycle:
    """Withdraw or expire an application still waiting for review."""
    reason = require_reason(reason)
    with transaction.atomic():
        link = lock_link(link)
        require_status(link, "pending")
        return end_locked(link, actor=actor, reason=reason, cause=cause)


def end_locked(link: LinkLifecycle, *, actor, reason: str, cause: str) -> LinkLifecycle:
    """End a link the caller has locked, as families.lifecycle decides for `cause`."""
    new_status = lifecycle.end_status(link.LINK_KIND, link.status, cause)
    if new_status is None:
        raise RuleViolation(
            "invalid_state",
            _("该%(kind)s当前状态为“%(status)s”,不能进行此操作。")
            % {"kind": link._meta.verbose_name, "status": link.get_status_display()},
            status=link.status,
        )
    link.status = new_status
    link.ended_at, link.ended_by, link.end_reason = timezone.now(), actor, reason
    return _save(link, actor=actor, reason=reason)


def end_links_of_deceased(*, actor, person: Person, reason: str) -> dict[str, int]:
    """A death ends every live link of the person, on both sides, administratively
    (lifecycle cause DEATH: no waiting period, pending settlements do not block), and
    his pending counter applications. The caller has locked the person and runs this in
    the transaction that records the death. Links are locked in primary-key order."""
    reason = require_reason(reason)
    ended: dict[str, int] = {}
    for model in LINK_MODELS:
        first, second = model.PARTIES
        links = (
            model.objects.select_for_update(of=("self",))
            .filter(Q(**{first: person}) | Q(**{second: person}),
                    status__in=lifecycle.LIVE_STATUSES[model.LINK_KIND])
            .order_by("pk")
        )
        for link in links:
            end_locked(link, actor=actor, reason=reason, cause=lifecycle.EndCause.DEATH)
            ended[model.LINK_KIND] = ended.get(model.LINK_KIND, 0) + 1
    applications = (
        CounterApplication.objects.select_for_update(of=("self",))
        .filter(Q(binding__holder=person) | Q(binding__member=person)
                | Q(copay__authorizer=person) | Q(copay__beneficiary=person),
                status="pending")
        .order_by("pk")
    )
    for application in applications:
        application.status = "withdrawn"
        save_audited(application, actor=actor, reason=reason, action="application_withdraw")
        ended["application"] = ended.get("application", 0) + 1
    return ended
