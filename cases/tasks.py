"""Periodic upkeep of the case tables, run by beat (tracker/celery.py)."""

from celery import shared_task

from tracker.resilience import DATABASE_ERRORS

from .statistics import compact_tallies


@shared_task(ignore_result=True, autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=3)
def compact_case_tallies() -> bool:
    """Fold the statistics' delta rows once they are many (every
    TALLY_COMPACT_SECONDS); reading the statistics never writes."""
    return compact_tallies(only_if_worth_it=True)


@shared_task(ignore_result=True, autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=3)
def end_publicity_periods() -> dict:
    """Daily: the cases whose publicity ended with no objection become ready
    for sign-off (or close, where their campaign says so); see cases.publicity."""
    from .publicity import end_publicity_periods as end

    return end()
