"""Batch unbinds (DOMAIN.md "Batch unbinds"): end bindings and co-pay authorizations of
thousands to hundreds of thousands of persons at once, after deaths, divorces, insurance
terminations or data clean-ups. The `batch_unbind` command and the bindings admin's
unbind action both call `batch_unbind`.

A chunk of links (``chunk_size``, 5,000 by default) is one transaction:
1. lock the chunk's links in primary-key order (``SELECT ... ORDER BY id FOR UPDATE OF
   link``) and read what the rules need;
2. decide per link: only live statuses end (binding active → unbound, pending →
   withdrawn; co-pay active/suspended → revoked, pending → withdrawn); co-pay with a
   pending settlement is skipped unless the reason is 死亡 (co-pay rule 9); a
   non-administrative reason (本人申请) respects the region's waiting period (binding
   rule 10);
3. one ``UPDATE ... WHERE id IN (...) AND status = <old> RETURNING id`` per old status;
4. ``INSERT INTO <history table> ... SELECT ... FROM <link table> WHERE id IN (returned)
   RETURNING history_id``: exactly one "~" history row per ended link, with the
   operator as history user and the reason as change reason;
5. ``audit.log.insert_events_from_history``: exactly one AuditEvent per history
   row.

Resumable and idempotent without a run table: every chunk commits on its own and only
live links are ever updated, so after a crash (even ``kill -9``) running the same
selection again ends what is left, and a third run ends nothing. A killed chunk rolls back
as a whole: its links, history and audit rows are written together or not at all.

Lock order: links only, in primary-key order. Counter services lock persons (pk order),
then one link; this job never locks persons (an UPDATE that does not change a foreign key
takes no lock on the referenced row), so it cannot close a cycle with them. A deadlock
with a service that locks several links in another order is retried (PostgreSQL aborts
one side); co-pay rows are locked before asking for pending settlements, as
settlement_post locks the authorization before paying from it.

Selections stream: deceased / insurance-terminated selections are materialized once into
a temporary table of link ids and read back page by page; CSV rows are read in batches.
Memory does not grow with the number of links.

A pending counter application whose binding or authorization is withdrawn here is
withdrawn with it (history and audit event too), as ``person_record_death`` does.

Modules: ``types`` (selections, outcomes, report rows, the two kinds of link), ``sql``
(set-based statements for PostgreSQL and SQLite), ``run`` (the service, selections and
output), ``rows`` (CSV rows), ``chunk`` (one committed chunk), ``pool`` (chunks on
several connections), ``floor`` (the database's floor for the benchmark), ``jobs`` (batch
jobs from the browser, run on the task queue).
"""

from families.services.batch.run import batch_unbind
from families.services.batch.types import (
    ADMINISTRATIVE_REASONS,
    DEATH,
    DEFAULT_CHUNK_SIZE,
    INVALID_OUTCOMES,
    REASONS,
    SCOPES,
    BatchResult,
    Deceased,
    InsuranceTerminated,
    LinkIds,
    Outcome,
    PairRows,
    PersonRows,
    ReportRow,
    Selection,
)

__all__ = [
    "ADMINISTRATIVE_REASONS",
    "DEATH",
    "DEFAULT_CHUNK_SIZE",
    "INVALID_OUTCOMES",
    "REASONS",
    "SCOPES",
    "BatchResult",
    "Deceased",
    "InsuranceTerminated",
    "LinkIds",
    "Outcome",
    "PairRows",
    "PersonRows",
    "ReportRow",
    "Selection",
    "batch_unbind",
]
