"""Celery tasks: the daily run (scheduled by beat in tracker/celery.py) and
one task per batch of digests. Both take plain values, never model
instances, use acks_late (a worker that dies mid-task leaves the message to
be delivered again) and are safe to run twice: the reminder log decides
what is sent."""

import datetime
from collections import Counter
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction

from cases.querysets import local_today

from .services import deliver_digests, retry_delay, run_reminders


@shared_task(bind=True, acks_late=True)
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
        for attempts, ids in _by_attempts(delivery.retry).items():
            send_digests.apply_async((ids,), countdown=retry_delay(attempts))
        if delivery.held:
            # A redelivered batch after a worker died mid-send (acks_late)
            # finds its rows still claimed: take them over once the dead
            # claim is stale.
            send_digests.apply_async((sorted(delivery.held),), countdown=max(delivery.held.values()) + 1)
    return dict(Counter(states.values()))


def _by_attempts(retry: dict[int, int]) -> dict[int, list[int]]:
    groups = {}
    for log_id, attempts in sorted(retry.items()):
        groups.setdefault(attempts, []).append(log_id)
    return groups


def batches(log_ids: list[int]) -> list[list[int]]:
    size = settings.REMINDER_BATCH_SIZE
    return [log_ids[start : start + size] for start in range(0, len(log_ids), size)]


def enqueue_digests(log_ids: list[int]) -> None:
    # After commit: a worker must find the claimed rows it is handed.
    for batch in batches(log_ids):
        transaction.on_commit(partial(send_digests.delay, batch))


@shared_task(acks_late=True)
def send_reminders(date: str | None = None) -> dict:
    """The day's run. ``date`` (YYYY-MM-DD) defaults to today in Asia/Shanghai."""
    today = datetime.date.fromisoformat(date) if date else local_today()
    report = run_reminders(today=today, dispatch=enqueue_digests)
    return {"date": today.isoformat(), "digests": len(report.lines)}
