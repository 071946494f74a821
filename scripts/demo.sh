#!/bin/sh
# `make demo`: SQLite demo with the web server and one task worker (批量处理 jobs);
# Ctrl-C (or the end of either) stops both.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DEBUG=1
mkdir -p var
"$PY" manage.py migrate --noinput
"$PY" manage.py seed_demo
./scripts/worker.sh --interval 1 &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null; wait "$WORKER" 2>/dev/null || true' EXIT INT TERM
"$PY" manage.py runserver 127.0.0.1:8000
