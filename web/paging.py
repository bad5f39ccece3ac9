"""Pages of a case list that count only as far as they show.

Counting every matching case on every page view is what made the lists
slow at national scale (the supervisor's /cases/ counted a million rows,
about 300 ms, before showing 50). A list page needs to know only that its
own rows exist and whether there are more: the count stops at
``COUNT_AT_LEAST`` rows or ten pages past the page asked for, whichever is
further. Up to there the count is exact; beyond it the page says "more
than N cases", and the pagination offers the next page without a total."""

from functools import cached_property

from django.core.paginator import Paginator

from .urgency import count_up_to

COUNT_AT_LEAST = 2_000  # rows: counting this many costs a few ms at most
PAGES_AHEAD = 10


class CountingPaginator(Paginator):
    """A Paginator whose ``count`` stops at ``limit`` (``capped`` says it
    did); ``get_page(number)`` then serves any page up to that limit."""

    def __init__(self, object_list, per_page, *, number=None):
        super().__init__(object_list, per_page)
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        self.limit = max(COUNT_AT_LEAST, (wanted + PAGES_AHEAD) * per_page)
        self.capped = False

    @cached_property
    def count(self) -> int:
        counted = count_up_to(self.object_list, self.limit + 1)
        self.capped = counted > self.limit
        return min(counted, self.limit)
