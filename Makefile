# Permit-to-work engine — developer entry points (GNU make).
#
#   make run     install, migrate, load the demo data and serve on $(HOST):$(PORT)
#   make test    Debian packages, install, then the whole suite on SQLite and PostgreSQL
#   make lint    ruff
#   make bench   benchmarks against SQLite and a throwaway PostgreSQL
#   make clean   remove the virtualenv and caches (keeps instance/, the local database)
#
# From a fresh clone this needs only python3, make and (for the Debian packages) root.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed

HOST        ?= 127.0.0.1
PORT        ?= 5000
PYTEST_ARGS ?=
BENCHES     ?= bench/engine.py bench/http.py bench/ledger.py bench/documents.py bench/readings.py bench/board.py bench/inspection.py bench/document_pack.py
BENCH_ARGS  ?=

# Commands run with the virtualenv first on PATH (tests may call the `permit` script).
VENV_PATH   := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: help venv install deps run test lint bench clean distclean

help:
	@echo "make run      serve the demo on http://$(HOST):$(PORT)/ (HOST=, PORT= to change)"
	@echo "make test     whole suite on SQLite and a throwaway PostgreSQL (PYTEST_ARGS=...)"
	@echo "make lint     ruff check"
	@echo "make bench    run $(BENCHES) (BENCH_ARGS=...)"
	@echo "make clean    remove .venv and caches; make distclean also removes instance/"

# --- Python environment ---------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "python3 -m venv failed: run scripts/system-deps" >&2; exit 1; }

# pip runs again only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

venv: $(BIN)/python

install: $(STAMP)

# --- Debian packages (PostgreSQL for the tests and benchmarks) -------------------------------

deps:
	bash scripts/system-deps

# --- Targets ---------------------------------------------------------------------------------

run: install
	$(BIN)/permit init-db
	$(BIN)/permit demo
	$(BIN)/permit serve --host $(HOST) --port $(PORT)

# One pytest run: every database test runs on SQLite and on the throwaway PostgreSQL
# (REQUIRE_POSTGRES=1 and REQUIRE_BROWSER=1 turn a missing PostgreSQL or Chromium into a
# failure instead of a skip).
test: deps install
	REQUIRE_POSTGRES=1 REQUIRE_BROWSER=1 $(VENV_PATH) bash scripts/with-postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Each benchmark gets its own fresh PostgreSQL cluster and prints JSON.
bench: deps install
	@for b in $(BENCHES); do \
	  echo "== $$b" >&2; \
	  $(VENV_PATH) bash scripts/with-postgres $(BIN)/python $$b $(BENCH_ARGS); \
	done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

distclean: clean
	rm -rf instance
