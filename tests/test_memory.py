"""A server worker gives back the memory a large answer freed: glibc keeps
freed pages scattered inside its heap until ``malloc_trim`` (tracker/memory.py)."""

import pytest

from tracker.memory import _malloc_trim, release_freed_memory, resident_bytes

needs_glibc = pytest.mark.skipif(_malloc_trim() is None or resident_bytes() is None, reason="needs Linux with glibc")
MB = 1024 * 1024


def fragment_the_heap():
    """About 200 MB of rows freed but for one in forty, as a feed page's
    rows are: the survivors pin the pages between them in the heap."""
    rows = [bytes(3000) for _ in range(70_000)]
    survivors = rows[::40]
    del rows
    return survivors


@needs_glibc
def test_a_worker_above_the_threshold_returns_what_it_freed(settings):
    settings.MEMORY_TRIM_ABOVE_MB = 0
    survivors = fragment_the_heap()
    held = resident_bytes()

    assert release_freed_memory() is True
    assert held - resident_bytes() > 100 * MB
    assert len(survivors) == 1750  # what is still in use stays


@needs_glibc
def test_a_worker_below_the_threshold_is_left_alone(settings):
    survivors = fragment_the_heap()
    settings.MEMORY_TRIM_ABOVE_MB = resident_bytes() // MB + 500
    held = resident_bytes()

    assert release_freed_memory() is False
    assert abs(resident_bytes() - held) < 20 * MB
    del survivors


def test_the_servers_workers_release_after_each_request():
    from django.core.signals import request_finished

    import tracker.wsgi  # noqa: F401 - connects the handler, as the server's import does

    # It was connected (and is not left connected for the other tests,
    # whose client requests need no trimming).
    assert request_finished.disconnect(dispatch_uid="tracker-release-freed-memory")
