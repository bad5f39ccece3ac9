from celery import shared_task

from . import services


@shared_task(name="imports.process_import")
def process_import(job_id: int) -> None:
    """Run a large import in a worker; the job records the outcome."""
    services.run_import_job(job_id=job_id)
