# Trợ lý Giảm nghèo — two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The browser tests (tests/web) drive Debian's Chromium through Playwright, whose wheel carries
# its own driver: no browser is ever downloaded.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export CHROMIUM_PATH ?= /usr/bin/chromium

.PHONY: run test lint typecheck pytest chromium postgres bench clean migrate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $@

## Set everything up and start the assistant (Telegram if TELEGRAM_BOT_TOKEN is set, else console).
run: $(STAMP)
	$(BIN)/giamngheo db migrate
	$(BIN)/giamngheo start

migrate: $(STAMP)
	$(BIN)/giamngheo db migrate

## Install the dev tools and Chromium, then lint, typecheck and pytest (each also runs alone).
test: chromium postgres lint typecheck pytest

## Debian's Chromium for the browser tests: installed (apt-get, as root) when missing, else stop.
chromium:
	scripts/ensure_chromium.sh

## PostgreSQL's server programs for the throwaway test server (tests/pgserver.py): installed
## (apt-get, as root) when missing, else stop. No running cluster is needed or used.
postgres:
	scripts/ensure_postgres.sh

## ruff (rules and formatting) and the knowledge-base lint.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/giamngheo kb lint

## mypy --strict over every package, the tests, bench and scripts (files in pyproject.toml).
typecheck: $(DEV_STAMP)
	$(BIN)/mypy

## The whole test suite, including the wheel test (tests/test_wheel.py, about 30 s).
pytest: $(DEV_STAMP) chromium postgres
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q tests/handlers --database=postgresql

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.throughput --rounds 6
	$(BIN)/python -m bench.retrieval
	$(BIN)/python -m bench.heldout
	$(BIN)/python -m bench.classify
	$(BIN)/python -m bench.ledger

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
