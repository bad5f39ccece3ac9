"""Run by beat (tracker/celery.py)."""

from celery import shared_task

from tracker.resilience import DATABASE_ERRORS

from .schedule import open_due_rounds


@shared_task(acks_late=True, ignore_result=True, autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=3)
def open_scheduled_rounds() -> int:
    """Open the rounds the templates say are due; safe to run twice."""
    return len(open_due_rounds())
