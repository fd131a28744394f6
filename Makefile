# The commands the README and CI use. Everything installs into .venv from the hash-locked
# requirements/*.txt, so a fresh machine needs only Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on every CPU (pytest-xdist); tests that share a Celery broker stay together.
# On the embedded default one worker more than the CPUs: the tests that run only there (the
# browser, the outages, servers started as processes) spend much of their time waiting, and
# the extra worker fills it (2 CPUs: 7.5 min instead of 10). On PostgreSQL the database
# server shares the CPUs, and an extra worker only slowed the run (5:47 against 5:22).
# The 30 slowest steps are listed at the end of each run: where CI's minutes go, every run.
CPUS := $(shell nproc 2>/dev/null || echo 2)
PYTEST_WORKERS ?= $(if $(DATABASE_URL),$(CPUS),$(shell echo $$(( $(CPUS) + 1 ))))
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadgroup --durations=30
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes

.PHONY: run serve test lint format migrations-check messages compilemessages deploy-check \
	worker beat lock bench bench-evidence bench-upload bench-identity bench-notify bench-record bench-replicas bench-search bench-misses bench-embed bench-exports bench-import \
	audit clean

# Locally, staff notifications are printed to the console (no mail server needed).
run: export STAFF_NOTIFY_EMAILS ?= hotline-duty@localhost
# The links in the demo's mail (and every mail) point at the address the site is served on.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.base ## set up, migrate, load the demo data and serve on http://$(HOST):$(PORT) (make run PORT=8011)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo --site http://$(HOST):$(PORT)
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev ## set up with the dev tools and run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: requirements/base.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements/base.txt
	touch $@

$(VENV)/.dev: requirements/dev.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements/dev.txt
	touch $@ $(VENV)/.base

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.base
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

messages: $(VENV)/.base ## refresh the catalogues in locale/ after changing texts
	DEBUG=1 $(BIN)/python manage.py makemessages -l uk -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(MAKE) compilemessages

compilemessages: $(VENV)/.base
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

deploy-check: $(VENV)/.base ## Django's deployment checklist with production-like settings
	DEBUG=0 ALLOWED_HOSTS=portal.example.org REDIS_URL=redis://redis:6379/0 \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	EVIDENCE_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

worker: $(VENV)/.base ## a Celery worker (needs REDIS_URL or CELERY_BROKER_URL)
	$(BIN)/celery -A imi_portal worker --loglevel=INFO

beat: $(VENV)/.base ## Celery beat, for the periodic jobs
	$(BIN)/celery -A imi_portal beat --loglevel=INFO

lock: $(VENV)/.dev ## re-pin requirements/*.txt from the ranges in pyproject.toml
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements/base.txt pyproject.toml
	# Extras kept here: pip-audit asks for cachecontrol[filecache], and pip's hash-checking
	# mode refuses an extra the lock does not pin (it fetched the newest cachecontrol instead).
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --extra dev -o requirements/dev.txt pyproject.toml

bench: $(VENV)/.dev ## the public pages at 100,000 incidents, cache on and off (needs PostgreSQL, Redis, wrk)
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

bench-search: $(VENV)/.dev ## the search at 100,000 incidents against the plain list (needs PostgreSQL)
	$(BIN)/python bench/search.py $(BENCH_ARGS)

bench-misses: $(VENV)/.dev ## the slowest pages on a cache miss (two filters, the barometer, a month's report) against the plain list (needs PostgreSQL, Redis)
	$(BIN)/python bench/misses.py $(BENCH_ARGS)

bench-embed: $(VENV)/.dev ## the barometer's embedded charts (SVG, iframe page, PNG) on a miss and a hit against the cached barometer page (needs PostgreSQL, Redis)
	$(BIN)/python bench/embed.py $(BENCH_ARGS)

bench-exports: $(VENV)/.dev ## the CSV exports of every listed incident, row by row in Python against PostgreSQL's COPY (needs PostgreSQL)
	$(BIN)/python bench/exports.py $(BENCH_ARGS)

bench-import: $(VENV)/.dev ## the archive import of a 20,000-item WordPress export against bulk_create of the same rows, and its memory (needs PostgreSQL)
	$(BIN)/python bench/archive_import.py $(BENCH_ARGS)

bench-record: $(VENV)/.dev ## the record's pages (timeline, filters, SDG export) against the plain list (needs PostgreSQL)
	$(BIN)/python bench/record.py $(BENCH_ARGS)

bench-evidence: $(VENV)/.dev ## the evidence vault on a 10 MB file, against an unencrypted copy
	$(BIN)/python bench/evidence.py $(BENCH_ARGS)

bench-upload: $(VENV)/.dev ## a 100 MB and a 1 GB evidence file sent in pieces through nginx and gunicorn with the vault, against cp; the worker's peak memory (needs nginx)
	$(BIN)/python bench/upload.py $(BENCH_ARGS)

bench-identity: $(VENV)/.dev ## the protected-identity check on one article against 1,000-20,000 protected people
	$(BIN)/python bench/identity.py $(BENCH_ARGS)

bench-notify: $(VENV)/.dev ## callback form to staff mail, with a real worker (needs PostgreSQL, Redis)
	$(BIN)/python bench/notify.py $(BENCH_ARGS)

bench-replicas: $(VENV)/.dev ## 3 web + 2 workers behind nginx, one of each killed mid-run (needs DATABASE_URL, REDIS_URL, nginx)
	$(BIN)/python bench/replicas.py $(BENCH_ARGS)

# Lighthouse, pinned by audit/package-lock.json; npm installs it beside run.py (no browser download).
audit/node_modules/.package-lock.json: audit/package.json audit/package-lock.json
	cd audit && npm ci --no-audit --no-fund --loglevel=error

audit: $(VENV)/.dev audit/node_modules/.package-lock.json ## Lighthouse (mobile) on every kind of page, behind nginx with production settings (needs nginx, chromium, npm); prints, never fails on scores
	$(BIN)/python audit/run.py $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
