"""Give the memory a server worker freed back to the system.

A feed page or an export builds thousands of short-lived rows; Python frees
them, but glibc keeps the freed pages inside its heap, scattered between
pages still in use, and hands back only what sits at the top. Walking the
change feed at 1,000,000 cases held a worker at 290 MB although what it
used after each page was about 150 MB (bench/RESULTS.md, figure 4b).
``malloc_trim(0)`` returns every whole free page in the heap; it costs a
few milliseconds, so it runs only after a request that left the worker
above ``MEMORY_TRIM_ABOVE_MB``. Elsewhere than Linux with glibc this does
nothing."""

import ctypes
import ctypes.util
import functools
import os

from django.conf import settings


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None where there is none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None


def resident_bytes() -> int | None:
    """This process's resident memory, from /proc (None where it is not)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def release_freed_memory(**kwargs) -> bool:
    """After a request (Django's ``request_finished``, connected by
    tracker.wsgi for the server's workers): trim the heap when the worker
    holds more than the threshold. Returns whether it trimmed."""
    trim = _malloc_trim()
    resident = resident_bytes()
    if trim is None or resident is None or resident <= settings.MEMORY_TRIM_ABOVE_MB * 1024 * 1024:
        return False
    trim(0)
    return True
