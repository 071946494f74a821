"""Paginators whose cost does not grow with the table (README, "Scale").

Django's admin asks its paginator for `count` on every changelist page. `COUNT(*)`
reads every matching row: over ten million persons that is most of the page's time.

`EstimatedCountPaginator` (admin changelists of big tables):
- SQLite and other backends: the exact count, as Django does.
- PostgreSQL, no WHERE clause: the table's row estimate from `pg_class.reltuples`
  (kept fresh by ANALYZE/autovacuum); a table estimated below `threshold` rows is
  counted exactly.
- PostgreSQL with a WHERE clause (region scope, list filters, search): the planner's
  row estimate (EXPLAIN). When it is below `threshold`, the rows are counted exactly
  but at most `threshold` + 1 of them (a LIMITed subquery), so a wrong estimate cannot
  make the count expensive; a result over the limit keeps the larger of the two as an
  estimate. Small results (an ID number, a name, a person's links) are therefore
  always exact; only big ones are estimates.

`estimated` tells the templates to show "约 N" (templates/admin/pagination.html). The
admin still shows page links from the estimate; a page past the real end is empty.
"""

from __future__ import annotations

import json
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet

DEFAULT_THRESHOLD = 10_000


def _is_postgres(queryset) -> bool:
    return isinstance(queryset, QuerySet) and connections[queryset.db].vendor == "postgresql"


def table_estimate(queryset: QuerySet) -> int | None:
    """Rows of the queryset's table from pg_class.reltuples, scaled like the planner
    does to the table's current size; None when never analyzed."""
    table = queryset.model._meta.db_table
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, relpages, pg_relation_size(oid) / current_setting('block_size')::int"
            " FROM pg_class WHERE oid = to_regclass(%s)", [connections[queryset.db].ops.quote_name(table)])
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    reltuples, relpages, pages = row
    if relpages and pages and pages != relpages:
        return int(reltuples / relpages * pages)
    return int(reltuples)


def plan_estimate(queryset: QuerySet) -> int:
    """The planner's row estimate for the queryset (EXPLAIN, nothing is executed)."""
    query = queryset.order_by().values("pk").query
    connection = connections[queryset.db]
    try:
        sql, params = query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # queryset.none() (e.g. a filter that matched no person)
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def is_unfiltered(queryset: QuerySet) -> bool:
    query = queryset.query
    return (not query.where and not query.distinct and query.low_mark == 0
            and query.high_mark is None and not query.combinator)


class EstimatedCountPaginator(Paginator):
    threshold = DEFAULT_THRESHOLD

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not _is_postgres(qs) or qs.query.is_empty():
            return super().count
        if is_unfiltered(qs):
            rows = table_estimate(qs)
            if rows is not None and rows >= self.threshold:
                self.estimated = True
                return rows
            return super().count
        rows = plan_estimate(qs)
        if rows >= self.threshold:
            self.estimated = True
            return rows
        counted = qs.order_by()[: self.threshold + 1].count()
        if counted > self.threshold:
            self.estimated = True
            return max(rows, counted)
        return counted
