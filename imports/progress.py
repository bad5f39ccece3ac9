"""How far a running import has got, kept in the cache: the job's own row
is written only when the transaction that applies the rows commits.

Best effort: with the cache unreachable (Redis down) a page or the API
shows the job's last saved count, and the job runs on."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(job) -> str:
    return f"imports:job:{job.pk}:progress"


def read(job) -> int:
    try:
        return cache.get(_key(job), 0)
    except Exception as error:  # the cache is an optimisation, never a failure
        logger.warning("Import progress unavailable (cache unreachable): %s", error)
        return 0


def note(job, done: int) -> None:
    try:
        cache.set(_key(job), done, timeout=3600)
    except Exception as error:
        logger.warning("Import progress not recorded (cache unreachable): %s", error)


def forget(job) -> None:
    try:
        cache.delete(_key(job))
    except Exception as error:
        logger.warning("Import progress not cleared (cache unreachable; it expires by itself): %s", error)
