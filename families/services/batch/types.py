"""Selections, outcomes, report rows and the two kinds of link a batch ends."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.db import models
from django.utils.translation import gettext_lazy

from families import lifecycle
from families.lifecycle import BATCH_REASON_CAUSES, waiting_period_applies
from families.models import Binding, CoPayAuthorization

DEATH = "死亡"
REASONS = list(BATCH_REASON_CAUSES)
# Administrative unbinds ignore the region's waiting period (binding rule 10).
ADMINISTRATIVE_REASONS = {reason for reason, cause in BATCH_REASON_CAUSES.items()
                          if not waiting_period_applies(cause)}
SCOPES = ("bindings", "copay", "all")
DEFAULT_CHUNK_SIZE = 10_000


class Outcome(models.TextChoices):
    ENDED = "ended", gettext_lazy("已解除")
    WOULD_END = "would_end", gettext_lazy("将解除(试运行)")
    ALREADY_ENDED = "already_ended", gettext_lazy("此前已结束")
    SKIPPED_PENDING_SETTLEMENT = "skipped_pending_settlement", gettext_lazy("跳过:有未结算费用")
    SKIPPED_TOO_EARLY = "skipped_too_early", gettext_lazy("跳过:未满最短解除期限")
    NO_LINKS = "no_links", gettext_lazy("无绑定或共济关系")
    OTHER_REGION = "other_region", gettext_lazy("跳过:不属于所选统筹区")
    NOT_FOUND = "not_found", gettext_lazy("未找到参保人")
    NAME_MISMATCH = "name_mismatch", gettext_lazy("姓名不一致")
    INVALID_ID = "invalid_id", gettext_lazy("证件号码无效")
    INVALID_ROW = "invalid_row", gettext_lazy("无效行")


INVALID_OUTCOMES = {Outcome.NOT_FOUND, Outcome.NAME_MISMATCH, Outcome.INVALID_ID,
                    Outcome.INVALID_ROW}


# --- Selections -------------------------------------------------------------------------

Rows = Iterable[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class PersonRows:
    """CSV rows (line, {"id_number", "id_type"?, "name"?}): every link of each person."""

    rows: Rows
    total: int | None = None


@dataclass(frozen=True)
class PairRows:
    """CSV rows (line, {"holder_id_number", "member_id_number", optional "holder_id_type",
    "member_id_type", "holder_name", "member_name"}): only the links between each pair,
    in either direction (e.g. both spouses' bindings after a divorce)."""

    rows: Rows
    total: int | None = None


@dataclass(frozen=True)
class Deceased:
    """Everyone with a date of death who is still linked."""


@dataclass(frozen=True)
class InsuranceTerminated:
    """Everyone whose insurance status is 终止 who is still linked."""


@dataclass(frozen=True)
class LinkIds:
    """Links chosen one by one (the admin action)."""

    bindings: Sequence[int] = ()
    copays: Sequence[int] = ()


Selection = PersonRows | PairRows | Deceased | InsuranceTerminated | LinkIds


# --- Results ----------------------------------------------------------------------------


class ReportRow(NamedTuple):
    """One row of the report. A named tuple: a batch builds a million of them, and a
    frozen dataclass costs ten times as much to build (half a second per 100,000)."""

    outcome: str
    line: int | None = None
    kind: str = ""
    link_id: int | None = None
    first_id: str = ""  # masked ID number of the holder / authorizer
    second_id: str = ""  # masked ID number of the member / beneficiary
    region_code: str = ""
    old_status: str = ""
    new_status: str = ""
    message: str = ""


@dataclass
class BatchResult:
    dry_run: bool = False
    outcomes: Counter = field(default_factory=Counter)  # outcome -> n
    by_region: Counter = field(default_factory=Counter)  # (region, kind, outcome) -> n
    ended_by_kind: Counter = field(default_factory=Counter)  # kind -> n
    elapsed: float = 0.0

    @property
    def ended(self) -> int:
        return self.outcomes[Outcome.ENDED]

    @property
    def invalid_rows(self) -> int:
        return sum(self.outcomes[o] for o in INVALID_OUTCOMES)

    @property
    def skipped(self) -> int:
        return (self.outcomes[Outcome.SKIPPED_PENDING_SETTLEMENT]
                + self.outcomes[Outcome.SKIPPED_TOO_EARLY])


class Progress(Protocol):
    total: float | None

    def update(self, n: float = 1) -> object: ...

    def refresh(self) -> object: ...


# --- The kinds of link ------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    key: str
    label: str
    model: type[models.Model]
    first: str  # holder / authorizer
    second: str  # member / beneficiary
    transitions: dict[str, tuple[str, str]]  # live status -> (end status, audit action)
    checked: frozenset[str]  # statuses the waiting period / pending settlements apply to
    min_months: str  # RegionPolicy field of the waiting period

    def status_labels(self) -> dict[str, str]:
        """Chinese labels of the statuses (translated once per run, not per link)."""
        return {k: str(v) for k, v in self.model._meta.get_field("status").flatchoices}


BINDING = _Kind(
    "binding", gettext_lazy("亲情账户绑定"), Binding, "holder", "member",
    lifecycle.transitions(lifecycle.BINDING, lifecycle.EndCause.DATA_CLEANUP),
    lifecycle.IN_FORCE_STATUSES[lifecycle.BINDING], "min_months_before_unbind",
)
COPAY = _Kind(
    "copay", gettext_lazy("家庭共济授权"), CoPayAuthorization, "authorizer", "beneficiary",
    lifecycle.transitions(lifecycle.COPAY, lifecycle.EndCause.DATA_CLEANUP),
    lifecycle.IN_FORCE_STATUSES[lifecycle.COPAY], "copay_min_months_before_revoke",
)
KINDS = {"bindings": (BINDING,), "copay": (COPAY,), "all": (BINDING, COPAY)}
