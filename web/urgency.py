"""The default order of a city's work list: overdue cases first (most days
overdue first), then open cases by deadline, then the cases the city has
handed in, most recently changed first.

A single ORDER BY over a computed "is overdue" rank would sort every case
the viewer can see on every page view (1.4 s over a million cases). Each
segment here is instead an ordered range that an index already holds (the
partial indexes on open cases by deadline, the index on updated_at), so a
page reads only its own rows."""

from itertools import chain

from django.db.models import Count, F, Q

from cases.constants import WITH_CITY_STATUSES


class SegmentedCases:
    """Querysets shown one after another as one list. The Paginator needs
    only ``count()`` and slicing; a slice queries just the segments it
    touches, and the export iterates them in turn."""

    def __init__(self, segments, *, count_segments):
        self.segments = segments
        # Counting each segment apart would scan the cases once per segment;
        # the caller counts them all in one aggregate.
        self._count_segments = count_segments
        self._counts = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = self._count_segments()
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        rows, offset = [], 0
        for segment, size in zip(self.segments, self.counts()):
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                rows.extend(segment[low:high])
            offset += size
            if offset >= stop:
                break
        return rows

    def iterator(self, chunk_size: int):
        return chain.from_iterable(segment.iterator(chunk_size=chunk_size) for segment in self.segments)

    def _each(self, method: str, *args, **kwargs) -> "SegmentedCases":
        """The same list with ``method`` applied to every segment, in the
        same order (for the exports; not counted again)."""
        segments = [getattr(segment, method)(*args, **kwargs) for segment in self.segments]
        return SegmentedCases(segments, count_segments=lambda: [segment.count() for segment in segments])

    def filter(self, *args, **kwargs) -> "SegmentedCases":
        return self._each("filter", *args, **kwargs)

    def select_related(self, *fields) -> "SegmentedCases":
        return self._each("select_related", *fields)

    def values_list(self, *fields) -> "SegmentedCases":
        return self._each("values_list", *fields)


def by_urgency(queryset, today) -> SegmentedCases:
    is_open = Q(status__in=WITH_CITY_STATUSES)
    overdue = is_open & Q(deadline__lt=today)

    def count_segments() -> list[int]:
        counts = queryset.order_by().aggregate(
            overdue=Count("id", filter=overdue), open=Count("id", filter=is_open), total=Count("id")
        )
        return [counts["overdue"], counts["open"] - counts["overdue"], counts["total"] - counts["open"]]

    segments = (
        queryset.filter(overdue).order_by("deadline", "id"),
        queryset.filter(is_open).exclude(deadline__lt=today).order_by(F("deadline").asc(nulls_last=True), "id"),
        queryset.exclude(is_open).order_by("-updated_at", "-id"),
    )
    return SegmentedCases(segments, count_segments=count_segments)
