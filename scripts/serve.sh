#!/bin/sh
# `make serve`: the production configuration on this machine (see README "Deployment").
#   DEBUG off, PostgreSQL from DATABASE_URL (default: database "yibao" on the local
#   server, created when missing), migrate, collectstatic (hashed + compressed, served by
#   whitenoise), gunicorn with WEB_CONCURRENCY workers (default 2) on 127.0.0.1:8000.
#   SECRET_KEY from the environment, else generated once into var/secret_key (never
#   committed: var/ is ignored).
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
mkdir -p var

if [ -z "${SECRET_KEY:-}" ]; then
    if [ ! -s var/secret_key ]; then
        (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key)
    fi
    SECRET_KEY=$(cat var/secret_key)
fi
export SECRET_KEY
export DEBUG=0
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yibao}"
export STATIC_MANIFEST=1
# Plain HTTP on the loopback only; behind a TLS proxy leave SECURE_COOKIES unset (on).
export SECURE_COOKIES="${SECURE_COOKIES:-0}"
BIND="${BIND:-127.0.0.1:8000}"

"$PY" scripts/ensure_database.py
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
exec .venv/bin/gunicorn config.wsgi:application \
    --bind "$BIND" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --access-logfile - \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --no-control-socket
