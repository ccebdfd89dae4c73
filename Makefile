# Two commands to start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_DEBUG ?= 1

.PHONY: run test lint install install-dev migrate seed bench secrets prod loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# requirements.txt is what the server runs on; requirements-dev.txt adds the tests and lint.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Local development settings, so that `.venv/bin/python manage.py ...` works after `make run` too.
# Only when there is no .env: an existing one is never touched. The settings' own default stays DEBUG off.
.env:
	printf '# Local development, written by `make run` (git-ignored); see .env.example.\nDJANGO_DEBUG=1\n' > $@

migrate: install .env
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## Dev server on SQLite at http://127.0.0.1:$(PORT) (default 8000) with demo data; prints the demo credentials.
run: seed
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The test suite. Set DATABASE_URL and REDIS_URL to run the PostgreSQL and Redis tests too.
test: install-dev
	@# pytest exits 5 when it collects nothing: a broken suite, reported as such, never a pass.
	DJANGO_DEBUG=0 $(BIN)/pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; exit $$status

## Lint and formatting (ruff; configuration in pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Per-layer cost relative to the health baseline, with queries and cache round trips.
bench: install-dev
	DJANGO_DEBUG=0 $(BIN)/python -m benchmarks.run

## Write every production secret and key file under var/secrets/ (owner-only); print the variables.
secrets: install
	$(BIN)/python -m deploy.secrets

## The production stack on this machine: nginx (TLS 1.3, mTLS) on https://127.0.0.1:8443, HTTP on
## 8080, gunicorn workers, PostgreSQL and Redis (DATABASE_URL, REDIS_URL). Ctrl-C stops it.
prod: install
	$(BIN)/python -m deploy.prod

## Load benchmark through make prod's stack (nginx, gunicorn, PostgreSQL, Redis) with wrk: req/s, p50, p99 per layer.
loadtest: install-dev
	$(BIN)/python -m benchmarks.loadtest

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
