"""The import's Celery tasks: one job in a worker, and the sweep (beat)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tracker.resilience import publish

from . import running


@shared_task(
    name="imports.process_import",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=settings.IMPORT_TIME_LIMIT_SECONDS,
    time_limit=settings.IMPORT_TIME_LIMIT_SECONDS + 60,
)
def process_import(job_id: int) -> None:
    """Run a large import in a worker; the job records the outcome."""
    running.run_import_job(job_id=job_id)


@shared_task(name="imports.sweep_imports", ignore_result=True)
def sweep_imports() -> dict:
    """Hand on queued jobs whose task never reached a worker (the broker
    was down) and mark failed those whose worker died; beat runs this every
    IMPORT_SWEEP_SECONDS."""
    queued, died = running.stranded_jobs(now=timezone.now())
    handed = 0
    for job_id in queued:
        if not publish(process_import, job_id):
            break
        handed += 1
    return {"queued": len(queued), "handed_on": handed, "marked_failed": died}
