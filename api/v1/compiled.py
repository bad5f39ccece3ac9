"""Queries the ORM compiles once per shape and the API then runs many times.

Building a queryset and compiling it to SQL (the permission boundary, the
filters, the keyset condition, the columns) is the largest piece of Python
in a list request; running the SQL is not (bench/RESULTS.md, figure 1). The
SQL text depends only on the request's *shape* (which filters, which kind
of caller, the page size), never on its values. So the ORM still writes
every query, but once per shape and from placeholder values; each later
request of that shape runs the same SQL with its own values put where the
placeholders were.

A compiled query is kept only after it has been checked against the ORM:
filled with the first real request's values it must be exactly the SQL and
parameters the ORM gives for that request.
"""

import datetime
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections

from cases.divisions import subtree_bounds

logger = logging.getLogger(__name__)


class Placeholders:
    """Stand-ins the ORM passes through to the parameters and that no request
    can send (real values are validated before they get here). A date is
    looked for as the database's adapter writes it (text on SQLite), and a
    real date is adapted the same way when it takes the stand-in's place."""

    def __init__(self):
        self._given: list[tuple[str, object, bool]] = []  # name, stand-in, is a date
        # Stand-ins that appear only through a function of the value.
        self._derived: list[tuple[str, object, Callable]] = []

    def _add(self, name: str, value, is_date: bool = False):
        self._given.append((name, value, is_date))
        return value

    def text(self, name: str) -> str:
        return self._add(name, f"\x00{name}\x00")

    def date(self, name: str) -> datetime.date:
        return self._add(name, datetime.date(1, 1, 1) + datetime.timedelta(days=len(self._given)), True)

    def integer(self, name: str) -> int:
        return self._add(name, -(10**15) - len(self._given))

    def division(self, name: str) -> str:
        """A division code whose subtree's bounds (cases/divisions.py) are
        two stand-ins of their own: the SQL holds the bounds, never the
        code, so each bound's slot is filled from the real code."""
        code = f"\x01{chr(0x41 + len(self._given))}0000"
        self._given.append((name, None, False))
        for position in (0, 1):
            bound = subtree_bounds(code)[position]
            self._derived.append((name, bound, lambda value, position=position: subtree_bounds(value)[position]))
        return code

    def slots(self, connection) -> dict[tuple[type, object], tuple[str, Callable | None]]:
        """Each stand-in as it can appear among the compiled parameters: the
        name it stands for, and how to adapt a real value for its place."""
        found = {(type(value), value): (name, derive) for name, value, derive in self._derived}
        for name, value, is_date in self._given:
            if value is None:
                continue
            found[(type(value), value)] = (name, None)
            if is_date:
                adapt = connection.ops.adapt_datefield_value
                found[(type(adapt(value)), adapt(value))] = (name, adapt)
        return found


class CompiledQuery:
    """A ``.values()`` queryset's SQL with named slots for its varying
    parameters."""

    def __init__(self, queryset, placeholders: Placeholders):
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        self.using = queryset.db
        stand_ins = placeholders.slots(compiler.connection)
        self.slots = [_slot(stand_ins, param) for param in params]
        self.constants = list(params)
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        # What the ORM would convert after reading (dates on SQLite, say).
        fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())

    def params(self, values: dict) -> list:
        params = []
        for slot, constant in zip(self.slots, self.constants):
            if slot is None:
                params.append(constant)
            else:
                name, adapt = slot
                params.append(values[name] if adapt is None else adapt(values[name]))
        return params

    def rows(self, values: dict) -> list[dict]:
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params(values))
            rows = cursor.fetchall()
        if self.converters:
            rows = [self._convert(list(row), connection) for row in rows]
        names = self.names
        return [dict(zip(names, row)) for row in rows]

    def _convert(self, row: list, connection) -> list:
        for position, (functions, expression) in self.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return row


def _slot(stand_ins: dict, param):
    try:
        return stand_ins.get((type(param), param))
    except TypeError:  # an unhashable parameter (a list for an array column) is a constant
        return None


class QueryCache:
    """Compiled queries by shape, the most recently used kept.

    ``build(values)`` must return the ``.values()`` queryset for a request
    whose varying values are ``values`` (a dict); ``placeholder_values(p)``
    the same dict with stand-ins from ``p`` for a shape."""

    def __init__(self, size: int = 512):
        self.size = size
        self._compiled: OrderedDict[Hashable, CompiledQuery | None] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threaded workers share it

    def rows(
        self,
        shape: Hashable,
        values: dict,
        build: Callable[[dict], object],
        placeholder_values: Callable[[Placeholders], dict],
    ) -> list[dict]:
        with self._lock:
            known = shape in self._compiled
            if known:
                self._compiled.move_to_end(shape)
                compiled = self._compiled[shape]
        if not known:
            compiled = self._compile(shape, values, build, placeholder_values)
        if compiled is None:  # this shape has no value-independent SQL (or none at all)
            return list(build(values))
        return compiled.rows(values)

    def _compile(self, shape, values, build, placeholder_values) -> CompiledQuery | None:
        placeholders = Placeholders()
        try:
            compiled = CompiledQuery(build(placeholder_values(placeholders)), placeholders)
            expected_sql, expected_params = build(values).query.sql_with_params()
        except EmptyResultSet:  # .none(): nothing to run, the ORM answers without a query
            compiled = None
        else:
            if (compiled.sql, compiled.params(values)) != (expected_sql, list(expected_params)):
                logger.warning("Query shape %r is not compiled: its SQL depends on more than its placeholders.", shape)
                compiled = None
        with self._lock:
            self._compiled[shape] = compiled
            if len(self._compiled) > self.size:
                self._compiled.popitem(last=False)
        return compiled

    def clear(self):
        with self._lock:
            self._compiled.clear()


@functools.cache
def list_queries() -> QueryCache:
    """The per-process cache of the case lists' queries."""
    return QueryCache()
