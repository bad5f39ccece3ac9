"""Riding out a database connection or a broker that is briefly gone.

Two helpers shared by the background work (reminders, imports):

- ``retry_database`` repeats one database step, with doubling pauses, when
  the connection was lost (a restarted server, a terminated backend). The
  step must be safe to repeat: a conditional UPDATE, a read.
- ``publish`` hands a task to the broker and says whether it could. Work is
  always recorded in the database first; when the broker cannot be reached
  the record stays "queued" and a periodic sweep (beat) hands it on once
  the broker is back.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

# What a lost connection raises through Django: OperationalError for the
# statement that found it gone, InterfaceError for a use after that.
DATABASE_ERRORS = (OperationalError, InterfaceError)

T = TypeVar("T")


def retry_database(step: Callable[[], T], *, what: str, tries: int = 8, first_pause: float = 0.2) -> T:
    """``step()``, again on a fresh connection after a lost one, pausing
    0.2, 0.4, 0.8 ... seconds (about 50 s over 8 tries); the last error is
    raised. Not inside a transaction: a lost connection ends it, and only
    the caller knows what to redo."""
    pause = first_pause
    for attempt in range(1, tries + 1):
        try:
            return step()
        except DATABASE_ERRORS as error:
            if attempt == tries or connection.in_atomic_block:
                raise
            logger.warning("Database connection lost while %s (try %d of %d): %s", what, attempt, tries, error)
            connection.close()  # the next query opens a new one
            time.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


def broker_errors() -> tuple[type[BaseException], ...]:
    """What publishing raises when the broker cannot be reached."""
    from kombu.exceptions import OperationalError as BrokerUnreachable

    errors: tuple[type[BaseException], ...] = (BrokerUnreachable, OSError)
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is a pinned dependency
        return errors
    return (*errors, RedisConnectionError, RedisTimeout)


def publish(task, *args, **options) -> bool:
    """Send ``task`` with ``args``; False (and a warning) when the broker
    cannot be reached. The caller's record of the work stays as it is, for
    the sweep to hand on later."""
    try:
        task.apply_async(args, **options)
    except broker_errors() as error:
        logger.warning("The broker could not be reached; %s%r waits for the sweep: %s", task.name, args, error)
        return False
    return True
