"""How a link ends: one place per life-cycle rule (DOMAIN.md "Life-cycle rules that every
path shares"). Pure: plain values in, decisions out; no database access.

Every path that ends a 亲情账户 binding or a 家庭共济 authorization — the services
(`binding_unbind`, `copay_revoke`, withdraw/expire/reject), a death however recorded
(`person_record_death`, the registry feed, the admin), `batch_unbind` (set-based, one chunk
of facts at a time) and the counter application's end — asks these functions:

- `end_status(kind, status, cause)`: which status a live link ends in;
- `end_action(kind, status)`: the audit action of that ending;
- `waiting_period_applies(cause)`: whether the region's minimum duration (binding rule 10,
  co-pay revoke) protects the link;
- `pending_settlement_blocks(...)`: whether an unfinished settlement paid from a co-pay
  authorization blocks its revocation — yes, unless a party is *registered* dead (co-pay
  rule 9). The exception is keyed on the death, never on the text of a reason.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from families.choices import BindingStatus, CoPayStatus

BINDING = "binding"
COPAY = "copay"


class EndCause(models.TextChoices):
    """Why a link ends."""

    UNBIND = "unbind", _("本人申请解除")  # binding_unbind / copay_revoke at a party's request
    DEATH = "death", _("死亡")
    INSURANCE_TERMINATED = "insurance_terminated", _("参保终止")
    DIVORCE = "divorce", _("离婚")
    DATA_CLEANUP = "data_cleanup", _("数据清理")
    EXPIRY = "expiry", _("申请超期")
    REJECTION = "rejection", _("审核驳回")
    WITHDRAWAL = "withdrawal", _("申请撤回")


# Causes an operator or the registry decides: no waiting period applies to them.
ADMINISTRATIVE_CAUSES = frozenset({
    EndCause.DEATH, EndCause.INSURANCE_TERMINATED, EndCause.DIVORCE, EndCause.DATA_CLEANUP,
})
# Causes that end only an application still waiting for review.
PENDING_ONLY_CAUSES = frozenset({EndCause.EXPIRY, EndCause.REJECTION, EndCause.WITHDRAWAL})

_PENDING_END = {
    EndCause.EXPIRY: "expired",
    EndCause.REJECTION: "rejected",
    EndCause.WITHDRAWAL: "withdrawn",
}
# Statuses in which a link is live (holds a slot / may move money), per kind.
LIVE_STATUSES = {
    BINDING: frozenset({BindingStatus.PENDING, BindingStatus.ACTIVE}),
    COPAY: frozenset({CoPayStatus.PENDING, CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED}),
}
# Live statuses that are in force (not just applied for): the waiting period and pending
# settlements concern these only.
IN_FORCE_STATUSES = {
    BINDING: frozenset({BindingStatus.ACTIVE}),
    COPAY: frozenset({CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED}),
}
_IN_FORCE_END = {BINDING: BindingStatus.UNBOUND, COPAY: CoPayStatus.REVOKED}
_ACTIONS = {
    (BINDING, BindingStatus.ACTIVE): "binding_approve",
    (BINDING, BindingStatus.UNBOUND): "binding_unbind",
    (BINDING, BindingStatus.WITHDRAWN): "binding_withdraw",
    (BINDING, BindingStatus.EXPIRED): "binding_expire",
    (BINDING, BindingStatus.REJECTED): "binding_reject",
    (COPAY, CoPayStatus.ACTIVE): "copay_approve",
    (COPAY, CoPayStatus.REVOKED): "copay_revoke",
    (COPAY, CoPayStatus.WITHDRAWN): "copay_withdraw",
    (COPAY, CoPayStatus.EXPIRED): "copay_expire",
    (COPAY, CoPayStatus.REJECTED): "copay_reject",
}
# batch_unbind's reasons (its command's --reason choices) and the cause each stands for.
BATCH_REASON_CAUSES = {
    "死亡": EndCause.DEATH,
    "离婚": EndCause.DIVORCE,
    "参保终止": EndCause.INSURANCE_TERMINATED,
    "本人申请": EndCause.UNBIND,
    "数据清理": EndCause.DATA_CLEANUP,
}


def is_live(kind: str, status: str) -> bool:
    return status in LIVE_STATUSES[kind]


def end_status(kind: str, status: str, cause: str) -> str | None:
    """The status a link of `kind` in `status` ends in for `cause`; None when that cause
    does not end it (already ended, or a review decision for a link no longer pending).
    A pending application ended by anything but a review decision is withdrawn; a link in
    force is unbound (binding) or revoked (co-pay)."""
    if not is_live(kind, status):
        return None
    pending = status == "pending"
    if cause in PENDING_ONLY_CAUSES:
        return _PENDING_END[cause] if pending else None
    return "withdrawn" if pending else _IN_FORCE_END[kind]


def end_action(kind: str, status: str) -> str:
    """The audit action recorded when a link of `kind` moves to `status`."""
    return _ACTIONS[(kind, status)]


def transitions(kind: str, cause: str) -> dict[str, tuple[str, str]]:
    """{live status: (end status, audit action)} for `cause`: the set-based form the
    batch applies to a chunk."""
    out = {}
    for status in LIVE_STATUSES[kind]:
        new = end_status(kind, status, cause)
        if new is not None:
            out[status] = (new, end_action(kind, new))
    return out


def waiting_period_applies(cause: str) -> bool:
    """The region's minimum duration before undoing a link protects it only against a
    party's own request; an administrative end (death, insurance terminated, divorce,
    data clean-up) is never delayed."""
    return cause not in ADMINISTRATIVE_CAUSES


def pending_settlement_blocks(*, has_pending_settlement: bool, party_deceased: bool) -> bool:
    """Co-pay rule 9: a settlement still pending blocks revoking the authorization it is
    paid from, unless the authorizer or the beneficiary is registered dead."""
    return has_pending_settlement and not party_deceased
