"""Keyset pagination over a whitelisted ordering plus id.

An offset page costs more the deeper it is and shifts when rows change;
a keyset page is one index range scan wherever it starts, and a row that
changes while a client pages can move but never duplicate its neighbours.
"""

import datetime

from django.core import signing
from django.db import connection
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

from cases.filters import NULLABLE_KEYS, ORDERINGS

from .representation import TEXT_SUFFIX, select

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SALT = "api.v1.list.cursor"
UNSET = object()


def page_size(request, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise ValidationError({"page_size": [_("Enter a whole number from 1 to %(max)d.") % {"max": maximum}]})
    return size


def _encode_value(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _decode_value(field: str, value):
    if value is None:
        return None
    if field == "deadline":
        return parse_date(value)
    if field == "updated_at":
        return parse_datetime(value)
    return value


class KeysetPage:
    """One page of ``queryset`` (already filtered) in ``ordering``."""

    def __init__(self, request, *, ordering: str, size: int, nulls: bool = True):
        """``nulls`` False promises the ordering field is never empty in
        this list (the overdue list's deadlines), for a faster condition."""
        self.request = request
        self.nulls = nulls
        self.field, self.descending = ORDERINGS[ordering]
        self.ordering = ordering
        self.size = size
        self.after = self._decode(request.query_params.get("cursor"))

    def _decode(self, cursor):
        if not cursor:
            return None
        try:
            ordering, value, last_id = signing.loads(cursor, salt=SALT)
            value = _decode_value(self.field, value)
            last_id = int(last_id)
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationError({"cursor": [_("This cursor is not valid; start again from the first page.")]})
        if ordering != self.ordering:
            raise ValidationError({"cursor": [_("This cursor belongs to another ordering.")]})
        return value, last_id

    def _past(self, queryset, after):
        """The rows after the cursor's (value, id)."""
        value, last_id = after
        past_id = Q(id__lt=last_id) if self.descending else Q(id__gt=last_id)
        if self.field == "id":
            return queryset.filter(past_id)
        if value is None:  # inside the trailing block of empty deadlines
            return queryset.filter(Q(**{f"{self.field}__isnull": True}) & past_id)
        if self.field in NULLABLE_KEYS and self.nulls:
            beyond = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
            return queryset.filter(beyond | (Q(**{self.field: value}) & past_id) | Q(**{f"{self.field}__isnull": True}))
        # A row-value comparison lets the (field, id) index start its scan at
        # the cursor, however deep the page; Django has no lookup for it.
        field = queryset.model._meta.get_field(self.field)
        table, column = (connection.ops.quote_name(n) for n in (queryset.model._meta.db_table, field.column))
        operator = "<" if self.descending else ">"
        return queryset.extra(
            where=[f"({table}.{column}, {table}.id) {operator} (%s, %s)"],
            params=[field.get_db_prep_value(value, connection), last_id],
        )

    def query(self, queryset, columns: tuple[str, ...], after=UNSET):
        """The ``.values()`` query of the page (ordering applied by the
        caller): the rows after ``after`` (the cursor's (value, id), by
        default the request's), one more than the page holds."""
        after = self.after if after is UNSET else after
        if after is not None:
            queryset = self._past(queryset, after)
        columns = tuple(dict.fromkeys((*columns, "id", self.field)))
        return select(queryset, columns)[: self.size + 1]

    def take(self, rows: list[dict]) -> list[dict]:
        """The page of ``rows`` (what ``query`` read), noting where the
        next page starts."""
        self.has_more = len(rows) > self.size
        rows = rows[: self.size]
        if rows:
            last = rows[-1]
            value = last[self.field] if self.field in last else last[self.field + TEXT_SUFFIX]
            self.last_key = (_encode_value(value), last["id"])
        return rows

    def rows(self, queryset, columns: tuple[str, ...]) -> list[dict]:
        """The page's rows as dicts (ordering applied by the caller)."""
        return self.take(list(self.query(queryset, columns)))

    def next_url(self) -> str | None:
        if not self.has_more:
            return None
        cursor = signing.dumps([self.ordering, *self.last_key], salt=SALT, compress=False)
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", cursor)
