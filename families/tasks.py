"""Background work of the families app on Django's Tasks interface (the django-tasks
backport; django-tasks-db's `manage.py db_worker` runs them). Each task calls the same
service the management command calls."""

from django.conf import settings
from django_tasks import task

from families.services.batch.jobs import batch_job_run


@task()
def batch_job_task(job_id: int) -> str:
    """Run (or go on with) a confirmed 批量处理 job: see families.services.batch.jobs."""
    return batch_job_run(job_id, workers=settings.BATCH_JOB_WORKERS,
                         chunk_size=settings.BATCH_JOB_CHUNK_SIZE, pause=settings.BATCH_JOB_PAUSE)
