"""ORM queries compiled to SQL once per thread and database, then run with new values.

Compiling a queryset (its column list, the joins of select_related, the WHERE tree) costs
0.3-0.9 ms of CPU every time, more than PostgreSQL needs to run an index lookup. The
rules' hot reads (the persons of a request, their region policies, their bindings) run
the same few query shapes on every counter and channel request. A PrebuiltQuery builds
its queryset once with sample values, notes where each sample landed among the SQL
parameters, and from then on runs the same SQL with the caller's values, turning rows
into instances as Django's own iterables do (converters, select_related). The SQL is
still the ORM's; only the compiling is saved.

Parameters must reach the database as given (ints, strings): the samples are matched by
type and value, so pick samples no constant of the query can equal (negative ids,
strings that cannot occur). A date or datetime is converted per backend and cannot be a
parameter; filter it in Python or keep that query on the ORM.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError


class PrebuiltQuery:
    def __init__(self, build: Callable[..., QuerySet], *samples: int | str):
        if len(set(samples)) != len(samples) or any(type(s) not in (int, str) for s in samples):
            raise ImproperlyConfigured("PrebuiltQuery samples must be distinct ints or strings.")
        self.build = build
        self.samples = samples
        self._plans: dict[str, _Plan] = {}  # by database alias, shared by every thread

    def _plan(self, using: str) -> "_Plan":
        plan = self._plans.get(using)
        if plan is None:
            plan = self._plans[using] = _Plan(self.build(*self.samples), self.samples, using)
        return plan

    def instances(self, *values, using: str = DEFAULT_DB_ALIAS) -> list:
        """list(queryset) for these values."""
        return self._plan(using).instances(values)

    def tuples(self, *values, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """list(queryset.values_list(...)) for these values."""
        return self._plan(using).tuples(values)


class _Plan:
    def __init__(self, queryset: QuerySet, samples: tuple, using: str):
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        # For each SQL parameter: the index of the caller's value, or the constant itself.
        self.slots = [_slot(param, samples) for param in params]
        used = {slot[1] for slot in self.slots if slot[0] == "value"}
        if used != set(range(len(samples))):
            raise ImproperlyConfigured(
                f"PrebuiltQuery: samples {samples!r} are not all SQL parameters of {self.sql!r} "
                f"({list(params)!r}); only ints and strings pass unchanged.")
        self.using = using
        self.locks = (queryset.query.select_for_update
                      and compiler.connection.features.has_select_for_update)
        # The compiler is kept for its converters, which need only the backend's
        # operations (the same for every connection of the alias); statements run on
        # the calling thread's own connection.
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[:compiler.col_count]])
        self.models = queryset._iterable_class is ModelIterable  # else values_list
        if self.models:
            self.klass_info = compiler.klass_info
            if compiler.annotation_col_map:
                raise ImproperlyConfigured("PrebuiltQuery does not carry annotations.")
            select, fields = compiler.select, self.klass_info["select_fields"]
            self.model = self.klass_info["model"]
            self.model_slice = slice(fields[0], fields[-1] + 1)
            self.init_list = [f[0].target.attname for f in select[self.model_slice]]
            self.populators = get_related_populators(self.klass_info, select, using)

    def _rows(self, values: tuple):
        connection = connections[self.using]
        if self.locks and connection.get_autocommit():  # as the ORM refuses it
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction.")
        params = [values[index] if kind == "value" else index for kind, index in self.slots]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return rows

    def instances(self, values: tuple) -> list:
        if not self.models:
            raise TypeError("a values_list query: use tuples()")
        out = []
        for row in self._rows(values):
            obj = self.model.from_db(self.using, self.init_list, row[self.model_slice])
            for populator in self.populators:
                populator.populate(row, obj)
            out.append(obj)
        return out

    def tuples(self, values: tuple) -> list[tuple]:
        if self.models:
            raise TypeError("a model query: use instances()")
        return [tuple(row) for row in self._rows(values)]


def _slot(param, samples: tuple) -> tuple[str, object]:
    for index, sample in enumerate(samples):
        if type(param) is type(sample) and param == sample:
            return "value", index
    return "constant", param
