# Two commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SQLITE_URL := sqlite:///$(CURDIR)/var/test.sqlite3
# PostgreSQL run: TEST_DATABASE_URL, else DATABASE_URL when it points at PostgreSQL.
PG_URL := $(or $(TEST_DATABASE_URL),$(filter postgres%,$(DATABASE_URL)))
PYTEST_ARGS ?=

.PHONY: demo test install install-test vendor lint test-sqlite test-postgres messages serve bench-unbind bench-admin bench-channel-api

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed vendor
install-test: $(VENV)/.installed-test vendor

# Apache ECharts for the supervisor dashboard, fetched at the pinned version from the npm
# registry (not committed): scripts/vendor_echarts.sh, docs/third-party.md.
vendor:
	./scripts/vendor_echarts.sh

# The web server and a task worker (scripts/worker.sh: batch jobs), stopped together.
demo: install
	./scripts/demo.sh

# Production configuration locally: PostgreSQL (DATABASE_URL, default database "yibao" on
# 127.0.0.1, created if missing), migrate, collectstatic, whitenoise, gunicorn with
# WEB_CONCURRENCY workers on 127.0.0.1:8000. See README "Deployment". Background jobs
# (批量处理) need a worker beside it: `./scripts/worker.sh` (same environment), one or more
# per host.
serve: install
	./scripts/serve.sh

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	$(MAKE) test-sqlite
	@if [ -n "$(PG_URL)" ]; then $(MAKE) test-postgres; \
	else echo "PostgreSQL run skipped: set TEST_DATABASE_URL (or DATABASE_URL=postgres://...)"; fi

test-sqlite: install-test
	mkdir -p var
	DATABASE_URL=$(SQLITE_URL) SECRET_KEY=test-only $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install-test
	DATABASE_URL=$(PG_URL) REQUIRE_POSTGRES=1 SECRET_KEY=test-only $(VENV)/bin/pytest $(PYTEST_ARGS)

messages: install-test
	$(PY) scripts/messages.py

# Batch-unbind benchmark on PostgreSQL (scratch databases bench_unbind*, dropped after).
bench-unbind: install
	DATABASE_URL=$(or $(PG_URL),$(error set DATABASE_URL=postgres://... or TEST_DATABASE_URL)) \
	$(PY) bench/batch_unbind.py --links $(or $(LINKS),100000)

# Admin pages at scale (issue 8): databases bench_admin_small / bench_admin_large on the
# server of DATABASE_URL, generated once and reused (bench/admin_pages.py --rebuild).
bench-admin: install
	DATABASE_URL=$(or $(PG_URL),$(error set DATABASE_URL=postgres://... or TEST_DATABASE_URL)) \
	$(PY) bench/admin_pages.py --persons $(or $(PERSONS),1000000)

# Channel API (issue 16): gunicorn on 127.0.0.1:8116 over database i16_bench (100,000
# persons, generated once and reused), the client kit at 1/10/50 clients vs a signed no-op.
bench-channel-api: install
	DATABASE_URL=$(or $(PG_URL),$(error set DATABASE_URL=postgres://... or TEST_DATABASE_URL)) \
	$(PY) bench/channel_api.py --persons $(or $(PERSONS),100000)
