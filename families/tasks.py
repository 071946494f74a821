"""Background work of the families app on Django's Tasks interface (the django-tasks
backport; django-tasks-db's `manage.py db_worker` runs them). Each task calls the same
service the management command calls."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.csv_input import data_rows
from families.services.batch.jobs import batch_job_run
from families.services.registry import import_persons


@task()
def batch_job_task(job_id: int) -> str:
    """Run (or go on with) a confirmed 批量处理 job: see families.services.batch.jobs."""
    return batch_job_run(job_id, workers=settings.BATCH_JOB_WORKERS,
                         chunk_size=settings.BATCH_JOB_CHUNK_SIZE, pause=settings.BATCH_JOB_PAUSE)


@task()
def import_persons_task(upload: str, actor_id: int, start_line: int = 0) -> dict[str, int]:
    """The registry feed in the background: `upload` names a CSV file in the private
    storage (the `import_persons` format); the same service as the command
    (families.services.registry.import_persons: committed chunks, refused rows reported,
    re-running finishes an interrupted import). Returns the counts by outcome."""
    actor = get_user_model().objects.get(pk=actor_id, is_active=True)
    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
        with default_storage.open(upload, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                tmp.write(block)
        tmp.flush()
        result = import_persons(
            actor=actor, rows=data_rows(Path(tmp.name)), start_line=start_line,
            reason=_("参保登记导入:%(file)s") % {"file": Path(upload).name})
    return {str(k): v for k, v in result.outcomes.items()} | {"last_line": result.last_line}
