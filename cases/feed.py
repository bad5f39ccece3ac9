"""The change feed: every case the reader may see, once, at the position of
its latest change, in commit order.

Each insert or update of a case is stamped with ``feed_xid`` by a trigger
(migration 0004). On PostgreSQL that is the writing transaction's id, and
ids are handed out at a transaction's first write, not at its commit: a
transaction holding an early id may commit after later ones. The feed
therefore withholds every row whose id is not below the snapshot's
``xmin`` (the oldest transaction still running), computed in the same
statement as the read. Everything below it has committed or rolled back,
so a reader that has passed position P can never see a later commit land
below P: no gap, no repeat. Intermediate versions of a case collapse into
its latest one (the timeline holds the history).

A case that left a reader's subtree (its division changed), or left a
unit-bound reader's unit (the unit no longer leads it or cooperates on
it), is reported to that reader once, with no case, from
``CaseScopeExit``. The reader's scope is the one boundary's
(cases/scope.py).
"""

import functools
import heapq
from dataclasses import dataclass

from django.core import signing
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from .errors import CaseError
from .models import Case, CaseScopeExit
from .scope import scope_of

CURSOR_SALT = "cases.feed.cursor"
XMIN_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


class InvalidCursor(CaseError):
    code = "invalid_cursor"
    http_status = 400

    def __init__(self):
        super().__init__(_("This cursor is not one the feed gave out; start without a cursor or use the last one."))


class ExpiredCursor(CaseError):
    code = "expired_cursor"
    http_status = 410

    def __init__(self):
        super().__init__(
            _("This cursor belongs to another database or a state it no longer has; resynchronise from the start.")
        )


@dataclass(frozen=True, order=True)
class Position:
    xid: int
    id: int


START = Position(0, 0)


@dataclass
class FeedItem:
    position: Position
    id: int
    version: int
    row: dict | None  # the case's columns; None when it left the reader's scope
    left_scope: bool = False

    @property
    def deleted(self) -> bool:
        return self.row is not None and self.row["withdrawn_at"] is not None


@dataclass
class FeedPage:
    items: list[FeedItem]
    cursor: str
    has_more: bool


@functools.cache
def _identity_for(alias_name: str) -> str:
    """Identifies the database a cursor was issued by: a cursor from another
    database or an older restore of this one would skip or repeat changes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applied FROM django_migrations WHERE app = 'cases' AND name = '0004_feed_triggers'"
        )
        row = cursor.fetchone()
        applied = str(row[0]) if row else ""
        if connection.vendor != "postgresql":
            return f"{connection.vendor}:{alias_name}:{applied}"
        cursor.execute(
            "SELECT (SELECT system_identifier FROM pg_control_system()), oid "
            "FROM pg_database WHERE datname = current_database()"
        )
        system_identifier, oid = cursor.fetchone()
        return f"pg:{system_identifier}:{oid}:{applied}"


def database_identity() -> str:
    return _identity_for(str(connection.settings_dict["NAME"]))


def encode_cursor(position: Position) -> str:
    return signing.dumps([position.xid, position.id, database_identity()], salt=CURSOR_SALT, compress=False)


def decode_cursor(cursor: str) -> Position:
    try:
        xid, case_id, identity = signing.loads(cursor, salt=CURSOR_SALT)
        position = Position(int(xid), int(case_id))
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidCursor() from None
    if identity != database_identity() or position.xid >= _next_position():
        raise ExpiredCursor()
    return position


def _next_position() -> int:
    """A bound no delivered position can have reached yet."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        else:
            cursor.execute("SELECT value + 1 FROM cases_feedclock WHERE id = 1")
        return cursor.fetchone()[0]


def _after(queryset, position: Position, id_column: str, scope: tuple[str, str] | None = None):
    """Rows past ``position`` (within ``scope``, a (column, value) pair).

    A row-value comparison, so that the (feed_xid, id) index, or the
    (city, feed_xid, id) one, starts its scan right there: one transaction
    can stamp 50,000 rows with the same feed_xid, and "feed_xid >= x AND
    (feed_xid > x OR id > i)" would re-read the part of them already
    delivered on every page."""
    quote = connection.ops.quote_name
    table = quote(queryset.model._meta.db_table)
    where, params = [], []
    if scope is not None:
        where.append(f"{table}.{quote(scope[0])} = %s")
        params.append(scope[1])
    if position != START:
        key, values = [f"{table}.feed_xid", f"{table}.{quote(id_column)}"], [position.xid, position.id]
        if scope is not None:
            key, values = [f"{table}.{quote(scope[0])}", *key], [scope[1], *values]
        where.append(f"({', '.join(key)}) > ({', '.join(['%s'] * len(key))})")
        params += values
    # Django has no public row-value lookup; this is the one raw fragment.
    return queryset.extra(where=where, params=params) if where else queryset


def _settled(queryset):
    if connection.vendor == "postgresql":
        return queryset.filter(feed_xid__lt=RawSQL(XMIN_SQL, []))
    return queryset.filter(feed_xid__isnull=False)


def read_feed(*, user, cursor: str | None, limit: int, fields: tuple[str, ...], expressions: dict | None = None) -> FeedPage:
    """The next ``limit`` changes visible to ``user`` after ``cursor``
    (from the beginning when None). ``fields`` and ``expressions`` are the
    columns each item's row carries, as for ``.values()``."""
    after = decode_cursor(cursor) if cursor else START
    scope = scope_of(user)
    cases = Case.objects.in_scope_of(user)
    # The index that starts the scan where the cursor is: the county's or
    # the city's (same rows as the subtree condition), else (feed_xid, id).
    equal = None
    if scope is not None and scope.unit is None:
        if scope.is_county:
            equal = ("division_id", scope.division)
        elif scope.city:
            equal = ("city_id", scope.city)

    columns = tuple(dict.fromkeys(("id", "version", "withdrawn_at", "feed_xid", *fields)))
    rows = _settled(_after(cases, after, "id", equal)).order_by("feed_xid", "id").values(*columns, **(expressions or {}))[: limit + 1]
    items = [FeedItem(Position(r["feed_xid"], r["id"]), r["id"], r["version"], r) for r in rows]
    if scope is not None and scope.division is not None:
        left = scope.division_q("from_division__pk")
        if scope.unit is not None:
            left |= Q(from_unit=scope.unit)
        # A departure of a case the reader may still see is not one (it moved
        # inside the subtree, changed from one of the unit's roles to the
        # other, or came back): its row is or will be in the feed.
        exits = CaseScopeExit.objects.filter(left).exclude(Exists(cases.filter(pk=OuterRef("case_id"))))
        equal = ("from_division_id", scope.division) if scope.is_county and scope.unit is None else None
        departures = (
            _settled(_after(exits, after, "case_id", equal))
            .order_by("feed_xid", "case_id")
            .values_list("feed_xid", "case_id", "version")[: limit + 1]
        )
        items = list(
            heapq.merge(
                items,
                (
                    FeedItem(Position(xid, case_id), case_id, version, None, left_scope=True)
                    for xid, case_id, version in departures
                ),
                key=lambda item: item.position,
            )
        )
    has_more = len(items) > limit
    items = items[:limit]
    last = items[-1].position if items else after
    return FeedPage(items=items, cursor=encode_cursor(last), has_more=has_more)
