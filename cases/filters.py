"""The one FilterSet for case lists, shared by the API and the web pages.

Bind it to ``Case.objects.for_user(user)``; it never widens that queryset.
Every unknown value is a form error naming the parameter, so a typo in a
query string is a 400 (API) or a message (pages), never a silently
unfiltered list.
"""

import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django import forms
from django.db import connections
from django.db.models import BooleanField, Expression, F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .constants import Kind, Status
from .divisions import subtree_bounds
from .models import Campaign, Case, City, Division
from .querysets import local_today

# Whitelisted orderings: each maps to a nullable-aware key and is always
# followed by id, so that keyset pagination has a total, stable order.
ORDERINGS = {
    "id": ("id", False),
    "-id": ("id", True),
    "deadline": ("deadline", False),
    "-deadline": ("deadline", True),
    "updated_at": ("updated_at", False),
    "-updated_at": ("updated_at", True),
    "reference": ("reference", False),
    "-reference": ("reference", True),
}
DEFAULT_ORDERING = "id"
NULLABLE_KEYS = frozenset({"deadline"})  # ordering keys a case may leave empty
TRIGRAM = 3  # characters: a search term any shorter has no trigram to look up
BIGRAM = 2  # characters: a search term of this length is looked up in the bigram index


COMMON_BIGRAM = 0.05  # share of cases: a bigram in more is found sooner by reading the cases in order


class CommonBigrams:
    """The bigrams in more than COMMON_BIGRAM of the cases, from the bigram
    index's statistics (ANALYZE), read at most every few minutes. Such a
    term (案件 in every case of the benchmark) is searched as before, by
    reading cases in order: a page stops at its 50th, the count at its cap,
    where the index would read every matching entry first, and a plan
    outside the index would compute the bigrams of every matching row
    (an export of such a search: 8 s instead of 0.5 s at 1,000,000
    cases). The planner cannot choose for itself: it takes the LIKE and
    the bigrams, which always agree, for independent conditions."""

    def __init__(self):
        self.read = {}  # database alias: (when, bigrams)

    def __call__(self, using: str) -> frozenset:
        read_at, bigrams = self.read.get(using, (0.0, frozenset()))
        if time.monotonic() - read_at > CODES_TTL:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                    "WHERE schemaname = current_schema() AND tablename = 'case_search_bigram_idx'"
                )
                row = cursor.fetchone()
            # The frequencies list ends with three summary numbers: zip drops them.
            bigrams = frozenset(
                bigram for bigram, share in zip(row[0], row[1]) if share >= COMMON_BIGRAM
            ) if row and row[0] else frozenset()  # fmt: skip
            self.read[using] = (time.monotonic(), bigrams)
        return bigrams

    def forget(self):
        self.read.clear()


common_bigrams = CommonBigrams()


class HasBigram(Expression):
    """PostgreSQL only: the case's reference or title, lower-cased, contains
    ``term``, a lower-cased two-character string. Written as the bigram
    index's expression (cases/migrations/0020) so that the index serves
    it; a bigram of either field on its own, so that no match spans the
    two. The same cases as ``LOWER(col) LIKE '%term%'`` on either field."""

    output_field = BooleanField()

    def __init__(self, term: str):
        super().__init__()
        self.term = term

    def __repr__(self):
        return f"{self.__class__.__name__}({self.term!r})"

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        resolved.fields = [query.resolve_ref(name) for name in ("reference", "title")]
        return resolved

    def as_sql(self, compiler, connection):
        reference, title = (compiler.compile(field)[0] for field in self.fields)
        return f"case_search_bigrams({reference}::text, {title}::text) @> ARRAY[%s]::text[]", [self.term]


def order_cases(queryset, ordering: str = DEFAULT_ORDERING):
    """Order by a whitelisted key, then id in the same direction. Empty
    deadlines (long-term cases) come last either way."""
    field, descending = ORDERINGS[ordering]
    if field == "id":
        return queryset.order_by("-id" if descending else "id")
    if field not in NULLABLE_KEYS:
        # Plain ASC/DESC, so that an index on (field, id) serves either
        # direction; NULLS LAST on a column without nulls would defeat it.
        return queryset.order_by(f"-{field}" if descending else field, "-id" if descending else "id")
    key = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return queryset.order_by(key, "-id" if descending else "id")


class CommaSeparatedChoiceField(forms.Field):
    """``a,b,c`` where each item must be one of ``choices``."""

    def __init__(self, *, choices, **kwargs):
        self.valid = [value for value, _label in choices]
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        return [item.strip() for item in str(value).split(",") if item.strip()]

    def validate(self, value):
        super().validate(value)
        unknown = [item for item in value if item not in self.valid]
        if unknown:
            raise forms.ValidationError(
                _("Unknown value: %(values)s. Known: %(known)s."),
                code="invalid_choice",
                params={"values": ", ".join(unknown), "known": ", ".join(self.valid)},
            )


class OffsetDateTimeField(forms.DateTimeField):
    """An ISO 8601 timestamp that must carry its UTC offset: a sync client's
    "since" must not depend on the server's time zone."""

    # In a query string an unescaped "+" arrives as a space.
    _SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")

    def to_python(self, value):
        if isinstance(value, str):
            value = self._SPACED_OFFSET.sub(r"+\1", value.strip())
            if not value:  # empty, as a form sends it: no filter
                return None
            if not re.search(r"(Z|[+-]\d{2}:?\d{2})$", value):
                raise forms.ValidationError(
                    _("Give a timestamp with its offset, e.g. 2024-03-01T08:00:00+08:00."), code="invalid"
                )
        value = super().to_python(value)
        if value is None:
            return None
        # In UTC, so that no database is handed an offset it refuses
        # (PostgreSQL takes at most ±15:59) or a moment past year 9999.
        try:
            return value.astimezone(datetime.timezone.utc)
        except OverflowError:
            raise forms.ValidationError(
                _("Give a timestamp between the years 1 and 9999, e.g. 2024-03-01T08:00:00+08:00."), code="invalid"
            ) from None


CODES_TTL = 300  # seconds; cities and divisions are reference data that almost never change


class KnownCodes:
    """The codes of a reference table, read at most every few minutes:
    every list request checks its city or division, and this saves it a
    query."""

    def __init__(self, model):
        self.model = model
        self.read_at, self.codes = 0.0, frozenset()

    def __call__(self) -> frozenset:
        if time.monotonic() - self.read_at > CODES_TTL or not self.codes:
            self.codes = frozenset(self.model.objects.values_list("code", flat=True))
            self.read_at = time.monotonic()
        return self.codes


city_codes = KnownCodes(City)
division_codes = KnownCodes(Division)


class KnownCodeField(forms.CharField):
    """A code from ``known`` (or one of ``words``), else an error with
    ``message``."""

    known: KnownCodes
    words: tuple[str, ...] = ()
    message: str

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None) or value in self.words:
            return value
        if value not in self.known():
            raise forms.ValidationError(self.message, code="invalid_choice", params={"value": value})
        return value


class CityCodeField(KnownCodeField):
    """A GB/T 2260 city code, or ``province`` for province-level cases."""

    known = city_codes
    words = ("province",)
    message = _("Unknown city code “%(value)s”; use a GB/T 2260 code such as 360100, or “province”.")


class DivisionCodeField(KnownCodeField):
    """A GB/T 2260 division code: its whole subtree."""

    known = division_codes
    message = _("Unknown division code “%(value)s”; use a GB/T 2260 code such as 360403.")


class CampaignCodeField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value and not Campaign.objects.filter(code=value).exists():
            raise forms.ValidationError(
                _("Unknown campaign “%(value)s”."), code="invalid_choice", params={"value": value}
            )
        return value


class StatusListFilter(django_filters.Filter):
    field_class = CommaSeparatedChoiceField


class CityFilter(django_filters.Filter):
    field_class = CityCodeField


class DivisionFilter(django_filters.Filter):
    field_class = DivisionCodeField


class OffsetDateTimeFilter(django_filters.Filter):
    field_class = OffsetDateTimeField


class CampaignFilter(django_filters.Filter):
    field_class = CampaignCodeField


def _by_city(queryset, value):
    if value == "province":
        return queryset.filter(city__isnull=True)
    return queryset.filter(city_id=value)


def _by_division(queryset, value, today=None):
    # The subtree as the boundary writes it: a range of division codes.
    return queryset.filter(division__pk__range=subtree_bounds(value))


def _by_overdue(queryset, value, today=None):
    # The rule lives in the queryset; only the choice is made here.
    today = today or local_today()
    return queryset.overdue(today) if value == "true" else queryset.not_overdue(today)


class CaseFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"))
    status = StatusListFilter(
        field_name="status",
        lookup_expr="in",
        label=_("Status"),
        choices=Status.choices,
        help_text=_("One or more statuses, separated by commas."),
    )
    city = CityFilter(
        method="filter_city",
        label=_("City"),
        help_text=_("GB/T 2260 code, or “province” for province-level cases."),
    )
    division = DivisionFilter(
        method="filter_division",
        label=_("Division"),
        help_text=_("GB/T 2260 code: the division and everything below it."),
    )
    campaign = CampaignFilter(field_name="campaign__code", label=_("Campaign"), help_text=_("Campaign code."))
    overdue = django_filters.ChoiceFilter(
        choices=[("true", _("Overdue")), ("false", _("Not overdue"))], method="filter_overdue", label=_("Overdue")
    )
    due_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label=_("Due on or before"), help_text=_("YYYY-MM-DD")
    )
    due_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", label=_("Due on or after"), help_text=_("YYYY-MM-DD")
    )
    updated_since = OffsetDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Updated since"),
        help_text=_("ISO 8601 timestamp with offset, e.g. 2024-03-01T08:00:00+08:00."),
    )
    q = django_filters.CharFilter(method="search", label=_("Search"), help_text=_("Reference or title contains."))
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="order", label=_("Order by")
    )

    class Meta:
        model = Case
        fields = []

    def filter_city(self, queryset, name, value):
        return _by_city(queryset, value)

    def filter_division(self, queryset, name, value):
        return _by_division(queryset, value)

    def filter_overdue(self, queryset, name, value):
        return _by_overdue(queryset, value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if len(value) >= TRIGRAM:
            # UPPER(col) LIKE UPPER('%value%'): what the trigram indexes cover
            # (cases/migrations/0006).
            return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))
        # A shorter term (排污, FK) has no trigram, so those indexes would be
        # read whole, slower than the table: LOWER(col) LIKE '%term%'.
        term = value.lower()
        queryset = queryset.alias(search_reference=Lower("reference"), search_title=Lower("title"))
        contains = Q(search_reference__contains=term) | Q(search_title__contains=term)
        if (
            len(term) == BIGRAM
            and connections[queryset.db].vendor == "postgresql"
            and term not in common_bigrams(queryset.db)
        ):
            # The same cases, found in the bigram index (cases/migrations/0020).
            # The LIKE stays, tested first on any row read outside the index,
            # and the bigrams (20 times dearer a row) only of the rows it
            # lets through.
            return queryset.filter(HasBigram(term), contains)
        # One character (or SQLite): every case is read, as before; a
        # single character is in too many cases for an index to pay.
        return queryset.filter(contains)

    def order(self, queryset, name, value):
        return order_cases(queryset, value)

    @property
    def ordering_key(self) -> str:
        """The validated ordering (the default when none was asked for)."""
        if self.is_bound and self.is_valid():
            return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING
        return DEFAULT_ORDERING


@dataclass(frozen=True)
class SimpleFilter:
    """One of the commonest API filters as CaseFilter would apply it:
    ``accepts`` only a value its form field takes unchanged, ``apply``
    builds the same condition. ``parameter`` says how a value reaches the
    SQL, for the lists compiled once per shape (api/v1/compiled.py): the
    kind of placeholder it is a parameter as, or None when every value
    writes different SQL; ``fixed`` lists values that write their own SQL
    even so."""

    accepts: Callable[[str], bool]
    apply: Callable
    parameter: str | None
    fixed: tuple[str, ...] = ()

    def variant(self, value: str) -> str:
        """The part of ``value`` that changes the SQL ("" when none does)."""
        return value if self.parameter is None or value in self.fixed else ""


SIMPLE_FILTERS = {
    "kind": SimpleFilter(lambda value: value in Kind.values, lambda q, value, today: q.filter(kind__exact=value), "text"),
    "city": SimpleFilter(
        lambda value: value == "province" or value in city_codes(),
        lambda q, value, today: _by_city(q, value),
        "text",
        fixed=("province",),
    ),
    "division": SimpleFilter(lambda value: value in division_codes(), _by_division, "division"),
    "overdue": SimpleFilter(lambda value: value in ("true", "false"), _by_overdue, None),
}


def simple_filters(data) -> dict | None:
    """The filters ``data`` (a QueryDict) asks for, by name in the order the
    FilterSet applies them, when it asks only for valid simple ones (kind,
    city, division, overdue; no ordering); None otherwise, and then the caller uses
    CaseFilter, which also words any error."""
    asked = [name for name in CaseFilter.base_filters if name in data]  # declared order, as the form applies them
    if any(name not in SIMPLE_FILTERS or len(data.getlist(name)) != 1 for name in asked):
        return None
    values = {name: data[name] for name in asked}
    if not all(SIMPLE_FILTERS[name].accepts(value) for name, value in values.items()):
        return None
    return values


def apply_simple_filters(queryset, filters: dict, today=None):
    """``queryset`` filtered as CaseFilter would by ``filters`` (from
    simple_filters); ``today`` for the overdue rule, Shanghai's by default."""
    queryset = queryset.all()
    for name, value in filters.items():
        queryset = SIMPLE_FILTERS[name].apply(queryset, value, today)
    return queryset
