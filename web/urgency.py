"""The default order of a city's work list: overdue cases first (most days
overdue first), then open cases by deadline, then the cases the city has
handed in, most recently changed first.

A single ORDER BY over a computed "is overdue" rank would sort every case
the viewer can see on every page view (1.4 s over a million cases). Each
segment here is instead an ordered range that an index already holds (the
partial indexes on open cases by deadline, the index on updated_at), so a
page reads only its own rows."""

from itertools import chain

from django.db.models import F, Q

from cases.constants import WITH_CITY_STATUSES
from cases.filters import NULLABLE_KEYS, ORDERINGS, order_cases


class SegmentedCases:
    """Querysets shown one after another as one list. The Paginator needs
    only ``count()`` and slicing; a slice counts and queries only the
    segments it touches, each only as far as the slice reaches, and the
    export iterates them in turn."""

    def __init__(self, segments, whole=None):
        self.segments = segments
        # The rows of all segments as one queryset, when there is one: the
        # list's count is then one count of it, not one per segment (a
        # search no index serves reads the table once, not three times).
        self.whole = whole
        self._whole_counted: tuple[int, bool] = (0, False)
        # Per segment: (rows counted, whether that is all of them).
        self._counted: list[tuple[int, bool]] = [(0, False)] * len(segments)

    def _size_up_to(self, index: int, limit: int) -> tuple[int, bool]:
        """Rows of segment ``index``, counted no further than ``limit``."""
        counted, complete = self._counted[index]
        if not complete and counted < limit:
            whole, whole_complete = self._whole_counted
            before = self._counted[:index]
            if index == len(self.segments) - 1 and whole_complete and all(done for _n, done in before):
                # The last segment is what the others leave of the whole.
                counted, complete = whole - sum(n for n, _done in before), True
            else:
                counted = count_up_to(self.segments[index], limit)
                complete = counted < limit
            self._counted[index] = (counted, complete)
        return min(counted, limit), complete

    def count_up_to(self, limit: int) -> int:
        """The number of rows, or ``limit`` when there are at least that
        many, counting no further than that."""
        if self.whole is not None:
            counted, complete = self._whole_counted
            if not complete and counted < limit:
                counted = count_up_to(self.whole, limit)
                self._whole_counted = (counted, counted < limit)
            return min(counted, limit)
        total = 0
        for index in range(len(self.segments)):
            size, _complete = self._size_up_to(index, limit - total)
            total += size
            if total >= limit:
                return limit
        return total

    def count(self) -> int:
        total = 0
        for index, segment in enumerate(self.segments):
            counted, complete = self._counted[index]
            if not complete:
                counted = segment.count()
                self._counted[index] = (counted, True)
            total += counted
        return total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        rows, offset = [], 0
        for number, segment in enumerate(self.segments):
            if offset >= stop:
                break
            size, _complete = self._size_up_to(number, stop - offset)
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                rows.extend(_rows(segment, low, high))
            offset += size
        return rows

    def iterator(self, chunk_size: int):
        return chain.from_iterable(segment.iterator(chunk_size=chunk_size) for segment in self.segments)

    def _each(self, method: str, *args, **kwargs) -> "SegmentedCases":
        """The same list with ``method`` applied to every segment, in the
        same order (for the exports)."""
        whole = None if self.whole is None else getattr(self.whole, method)(*args, **kwargs)
        return SegmentedCases([getattr(segment, method)(*args, **kwargs) for segment in self.segments], whole)

    def filter(self, *args, **kwargs) -> "SegmentedCases":
        return self._each("filter", *args, **kwargs)

    def select_related(self, *fields) -> "SegmentedCases":
        return self._each("select_related", *fields)

    def prefetch_related(self, *fields) -> "SegmentedCases":
        return self._each("prefetch_related", *fields)

    def values_list(self, *fields) -> "SegmentedCases":
        return self._each("values_list", *fields)


def _rows(segment, low: int, high: int) -> list:
    """``segment[low:high]``. Past the first rows, the ids are found first
    and the rows then fetched by id: skipping rows to reach an offset then
    reads only an index, not every skipped case (page 2,000 of the
    supervisor's list skips 45,000 of them)."""
    if low == 0:
        return list(segment[low:high])
    ids = list(segment.values_list("id", flat=True)[low:high])
    by_id = {case.id: case for case in segment.filter(id__in=ids).order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


def count_up_to(cases, limit: int) -> int:
    """``min(cases.count(), limit)``, reading no more than ``limit`` rows
    (``SELECT count(*) FROM (... LIMIT limit)``)."""
    if isinstance(cases, SegmentedCases):
        return cases.count_up_to(limit)
    return cases.order_by()[:limit].count()


def by_page_ordering(queryset, ordering: str):
    """A list ordered by the person's choice. Descending by deadline puts
    cases without one last, which no index holds in that order; as two
    segments (dated cases newest deadline first, then the undated ones)
    each is an index range."""
    if ordering not in ORDERINGS:
        return queryset  # a page's own ordering (the acceptance queue's), applied by its filter
    field, descending = ORDERINGS[ordering]
    if not (descending and field in NULLABLE_KEYS):
        return order_cases(queryset, ordering)
    return SegmentedCases(
        [
            queryset.filter(**{f"{field}__isnull": False}).order_by(f"-{field}", "-id"),
            queryset.filter(**{f"{field}__isnull": True}).order_by("-id"),
        ],
        whole=queryset,
    )


def by_urgency(queryset, today) -> SegmentedCases:
    is_open = Q(status__in=WITH_CITY_STATUSES)
    overdue = is_open & Q(deadline__lt=today)
    segments = (
        queryset.filter(overdue).order_by("deadline", "id"),
        queryset.filter(is_open).exclude(deadline__lt=today).order_by(F("deadline").asc(nulls_last=True), "id"),
        queryset.exclude(is_open).order_by("-updated_at", "-id"),
    )
    return SegmentedCases(segments, whole=queryset)
