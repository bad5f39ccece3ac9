"""Celery tasks: the daily run and the sweep (both scheduled by beat in
tracker/celery.py) and one task per batch of digests. All take plain
values, never model instances, use acks_late (a worker that dies mid-task
leaves the message to be delivered again), retry with back-off when the
database connection is lost, and are safe to run twice: the reminder log
decides what is sent."""

import datetime
from collections import Counter
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.querysets import local_today
from tracker.resilience import DATABASE_ERRORS, publish

from .models import ReminderLog
from .services import deliver_digests, retry_delay, run_reminders, stranded_digests


# A lost database connection fails the task; it runs again, doubling the
# pause up to a minute. Rows it had claimed and not finished are its own to
# finish only within the claim's life: after that the sweep hands them on.
RETRY_ON_DATABASE_ERRORS = {
    "acks_late": True,
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 12,
}


# Nobody waits for a batch's or a sweep's result: not storing it also
# keeps publishing from needing the result backend (Redis too).
@shared_task(bind=True, ignore_result=True, **RETRY_ON_DATABASE_ERRORS)
def send_digests(self, log_ids: list[int]) -> dict[str, int]:
    """Send these digests; a digest whose sending failed comes back in its
    own task after its backoff, until the reminder log's attempt limit
    records it as failed. Returns how many digests ended in each state."""
    delivery = deliver_digests(log_ids=log_ids)
    states = dict(delivery.states)
    if self.request.is_eager:
        # In process (no broker) nothing would come back later: try again
        # at once. A digest held by another claim is left to that claim's
        # run in this process.
        while delivery.retry:
            delivery = deliver_digests(log_ids=list(delivery.retry))
            states |= delivery.states
    else:
        # A retry lost on the way (the broker down) is found by the sweep,
        # and so are the rows another claim holds (``delivery.held``): a
        # redelivered batch whose worker died mid-send finds them claimed,
        # and the sweep hands them on once that claim is stale.
        for attempts, ids in _by_attempts(delivery.retry).items():
            publish(send_digests, ids, countdown=retry_delay(attempts))
    return dict(Counter(states.values()))


def _by_attempts(retry: dict[int, int]) -> dict[int, list[int]]:
    groups = {}
    for log_id, attempts in sorted(retry.items()):
        groups.setdefault(attempts, []).append(log_id)
    return groups


def batches(log_ids: list[int]) -> list[list[int]]:
    """Batches of at most REMINDER_BATCH_SIZE, one lane each: the accounts'
    own e-mails together, each configured channel on its own, so that a
    robot that paces itself or a service that hangs holds back nobody else."""
    size = settings.REMINDER_BATCH_SIZE
    lanes = {}
    for log_id, channel_id in ReminderLog.objects.filter(pk__in=log_ids).order_by("pk").values_list("pk", "channel_id"):
        lanes.setdefault(channel_id, []).append(log_id)
    return [ids[start : start + size] for ids in lanes.values() for start in range(0, len(ids), size)]


def hand_on(log_ids: list[int]) -> int:
    """Send these digests' batches to the workers; stops at the first the
    broker refuses (it is down: the rest would wait as long each). Returns
    how many digests were handed on; the others stay as they are in the
    reminder log, for the sweep."""
    handed = 0
    for batch in batches(log_ids):
        if not publish(send_digests, batch):
            break
        handed += len(batch)
    return handed


def enqueue_digests(log_ids: list[int]) -> None:
    # After commit: a worker must find the claimed rows it is handed.
    transaction.on_commit(partial(hand_on, log_ids))


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def send_reminders(date: str | None = None) -> dict:
    """The day's run. ``date`` (YYYY-MM-DD) defaults to today in Asia/Shanghai."""
    today = datetime.date.fromisoformat(date) if date else local_today()
    report = run_reminders(today=today, dispatch=enqueue_digests)
    return {"date": today.isoformat(), "digests": len(report.lines)}


@shared_task(ignore_result=True, **RETRY_ON_DATABASE_ERRORS)
def sweep_reminders() -> dict:
    """Hand on the digests nobody would send otherwise (see
    ``services.stranded_digests``): beat runs this every
    REMINDER_SWEEP_SECONDS."""
    stranded = stranded_digests(now=timezone.now())
    return {"stranded": len(stranded), "handed_on": hand_on(stranded)}
