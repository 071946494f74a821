#!/bin/sh
# A background-task worker (django-tasks-db): first re-enqueue the batch jobs a killed
# worker left (safe at any time, on any host), then run `manage.py db_worker` until
# stopped (SIGTERM/SIGINT: it finishes the running task's current step and exits).
# Run one or more per host beside the web server; they share the queue in the database.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" manage.py batch_jobs_resume
exec "$PY" manage.py db_worker --no-reload "$@"
