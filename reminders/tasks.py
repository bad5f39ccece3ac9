"""Celery tasks: the daily run (scheduled by beat in tracker/celery.py) and
one task per digest. Both take plain values, never model instances, use
acks_late (a worker that dies mid-task leaves the message to be delivered
again) and are safe to run twice: the reminder log decides what is sent."""

import datetime
from functools import partial

from celery import shared_task
from django.db import transaction

from cases.querysets import local_today

from .services import ClaimHeld, DeliveryFailed, deliver_digest, retry_delay, run_reminders


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_digest(self, log_id: int) -> str | None:
    # The reminder log counts the attempts and records the final failure
    # (deliver_digest stops raising then), so Celery's own retry limit stays
    # out of the way (max_retries=None).
    while True:
        try:
            return deliver_digest(log_id=log_id)
        except ClaimHeld as held:
            if self.request.is_eager:
                return None  # the other run in this process finishes it
            # A redelivered message after a worker died mid-send (acks_late)
            # lands here: take the digest over once the dead claim is stale.
            raise self.retry(exc=held, countdown=held.seconds_left + 1) from held
        except DeliveryFailed as error:
            if not self.request.is_eager:
                raise self.retry(exc=error, countdown=retry_delay(error.attempts)) from error
            # In process (no broker) nothing would come back later: try
            # again at once.


def enqueue_digests(log_ids: list[int]) -> None:
    # After commit: a worker must find the claimed rows it is handed.
    for log_id in log_ids:
        transaction.on_commit(partial(send_digest.delay, log_id))


@shared_task(acks_late=True)
def send_reminders(date: str | None = None) -> dict:
    """The day's run. ``date`` (YYYY-MM-DD) defaults to today in Asia/Shanghai."""
    today = datetime.date.fromisoformat(date) if date else local_today()
    report = run_reminders(today=today, dispatch=enqueue_digests)
    return {"date": today.isoformat(), "digests": len(report.lines)}
