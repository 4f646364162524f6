# RADNAC Leads — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# `make run` is a local demo: development settings, the SQLite default under instance/, and marketing email
# sent to maildev, a local mail catcher whose web inbox shows every email the demo sent (nothing leaves the machine).
MAIL_PORT ?= 1025
MAIL_WEB_PORT ?= 1080
DEV_ENV := APP_ENV=development MAIL_URL=smtp://127.0.0.1:$(MAIL_PORT) PUBLIC_URL=http://127.0.0.1:$(PORT) PRIVACY_PAGE=1 \
	PRIVACY_CONTACT='The privacy team, coreMem Limited|privacy@radnac.example'

.PHONY: run test test-any-date lint setup setup-test chromium faketime clean vendor bench

# It runs what the Procfile runs (web and worker, through honcho), so the sync, the sweeper and the grant lapse
# work as in production; the Procfile's commands find gunicorn and flask on the venv's PATH.
run: $(BIN)/.installed node_modules/.installed
	$(DEV_ENV) $(BIN)/flask --app app db upgrade
	$(DEV_ENV) $(BIN)/flask --app app demo load
	@echo
	@$(DEV_ENV) $(BIN)/flask --app app demo admin --port $(PORT)
	@echo
	@echo "Starting the Procfile's web and worker with honcho (Ctrl-C stops both):"
	@echo "  web:    gunicorn on http://127.0.0.1:$(PORT)"
	@echo "  worker: the lead sync every 5 minutes, the retention sweep hourly and at each deadline, grant lapses,"
	@echo "          marketing email every minute (the demo's is queued: it goes out within a minute)"
	@echo "  mail:   maildev, a local mail catcher (not in the Procfile: development only)."
	@echo "          Its inbox, with every email the app sent: http://127.0.0.1:$(MAIL_WEB_PORT)"
	@echo
	node_modules/.bin/maildev --ip 127.0.0.1 --smtp $(MAIL_PORT) --web-ip 127.0.0.1 --web $(MAIL_WEB_PORT) \
	  --mail-directory instance/maildev \
	  >instance/maildev.log 2>&1 & maildev=$$!; trap 'kill $$maildev' EXIT; \
	  PATH="$(CURDIR)/$(BIN):$$PATH" $(DEV_ENV) $(BIN)/honcho start --port $(PORT) web worker

test: $(BIN)/.installed-dev node_modules/.installed chromium lint
	$(BIN)/python -m pytest

# The suite on other dates: the wall clock of every process of the run moved a year and a half ahead and a year
# back (tests/clock_shift.py: Python's by time-machine through tests/shifted_clock/sitecustomize.py, Node's by
# Debian's faketime, Chromium's by Playwright's clock). SQLite only: a PostgreSQL server keeps the real clock.
# `.ci/run` runs it after `make test`.
SHIFTS ?= +548d -365d
# sitecustomize imports time_machine before pytest can rewrite it as the plugin it also is: harmless, said once.
SHIFT_PYTEST_ARGS := -W "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"
test-any-date: $(BIN)/.installed-dev node_modules/.installed chromium faketime
	@for shift in $(SHIFTS); do \
	  echo "== make test-any-date: the wall clock moved $$shift"; \
	  env -u TEST_DATABASE_URL RADNAC_TEST_SHIFT=$$shift PYTHONPATH=$(CURDIR)/tests/shifted_clock \
	    $(BIN)/python -m pytest -p no:cacheprovider $(SHIFT_PYTEST_ARGS) $(PYTEST_ARGS) || exit $$?; \
	done

# The benchmark suite (issue #10): a million leads on SQLite and, with BENCH_DATABASE_URL, PostgreSQL;
# writes BENCHMARKS.md. Sizes and repetitions: bench/suite.py. Generated data is cached in bench/data/.
bench: $(BIN)/.installed-dev node_modules/.installed
	BENCH_COMMAND="make bench" $(BIN)/python -m bench run

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/bandit -q -r leads migrations app.py -c pyproject.toml

setup: $(BIN)/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BIN)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(BIN)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests"; exit 1; fi; \
	fi

# Debian's faketime (libfaketime) for `make test-any-date`.
faketime:
	@if ! command -v faketime >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq faketime; \
	  else echo "Install Debian's faketime package (sudo apt-get install faketime) for make test-any-date"; exit 1; fi; \
	fi

# Copy htmx from the pinned npm package into static/ (committed: the app never loads it from a CDN).
vendor: node_modules/.installed
	cp node_modules/htmx.org/dist/htmx.min.js static/htmx-$$(node -p "require('htmx.org/package.json').version").min.js

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache test-artifacts
