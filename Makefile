# spyglass: `make run` builds the pipeline on the offline sample data, `make test` runs the full suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# First working Python 3.12 on this machine (a pyenv shim that cannot run 3.12 is skipped).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# dvc runs stage commands through the shell: make sure `python` is the project's interpreter.
export PATH := $(BIN):$(PATH)
export GRADIO_ANALYTICS_ENABLED := False
export DVC_NO_ANALYTICS := 1

.PHONY: help venv run test test-dates browser bench app daily lint deps params lock clean

help:
	@echo "make run    - set up .venv and run the whole pipeline (dvc repro) on offline sample data"
	@echo "make test   - set up .venv (and Debian's chromium for the app's browser test), run the full test suite"
	@echo "make test-dates - the full test suite once per date of tests/clock.py's sweep, the clock moved there"
	@echo "make bench  - speed benchmarks (JSON in benchmarks/results/)"
	@echo "make app    - serve the Gradio app on http://127.0.0.1:7860 (after make run; TICKER=<name> picks one)"
	@echo "make daily  - score each ticker's latest day with its saved models and record it in its journal"
	@echo "make lint   - ruff"
	@echo "make deps   - rewrite dvc.yaml's per-stage code dependencies from the stages' imports"
	@echo "make params - recompose params.yaml from conf/ (what 'dvc exp run' does)"

# The locked set is installed with uv (bootstrapped into the venv with pip: seconds instead of minutes); where
# uv cannot be installed, pip installs the same lock, slower, and says so.
UV_VERSION := 0.13.8
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.12 not found; install it or pass PYTHON=/path/to/python3.12" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock && \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . ; \
	else \
		echo "uv $(UV_VERSION) could not be installed: installing the lock with pip (a few minutes)"; \
		$(BIN)/python -m pip install --quiet -r requirements.lock && \
		$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . ; \
	fi
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/dvc repro
	@echo
	@$(BIN)/spyglass-report
	@echo
	@echo "Where the time went (seconds; timings/*.json, 'dvc metrics show'; a stage not rerun keeps its last time):"
	@$(BIN)/spyglass-timings
	@echo
	@echo "Results, per ticker under tickers/<name>/: metrics/*.json (backtest, models; 'dvc metrics show'),"
	@echo "         data/allocations.parquet (daily positions), plots/*.csv ('dvc plots show'), data/ (all stage outputs)"

# One pytest worker per core (pytest-xdist); a test file stays on one worker, so module fixtures are built once.
test: venv browser
	$(BIN)/python -m pytest -n auto --dist loadfile

# The whole suite with the clock moved to each sweep date (tests/clock.py; subprocesses too): a test that passes
# only on today's date fails here. About ten minutes a date on 2 cores; `make test` keeps a cheap run of it (the
# tests marked any_date run on every sweep date).
SWEEP_DATES := $(shell sed -n 's/^SWEEP_DATES = (\(.*\))$$/\1/p' tests/clock.py | tr -d '",')
test-dates: venv browser
	set -e; for day in $(SWEEP_DATES); do echo "== the suite on $$day"; \
		$(BIN)/python -m pytest -n auto --dist loadfile -q --clock $$day; done

# Debian's Chromium for the Playwright test of the app (Playwright never downloads a browser). Where apt-get
# cannot install it, the browser test is skipped (CI sets SPYGLASS_REQUIRE_BROWSER=1 to make that a failure).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; } \
		|| echo "warning: could not install chromium (apt-get); the app's browser test will be skipped" >&2

bench: venv
	$(BIN)/python benchmarks/bench_options.py --out benchmarks/results/options.json
	$(BIN)/python benchmarks/bench_store.py --out benchmarks/results/store.json
	$(BIN)/python benchmarks/bench_backtest.py --out benchmarks/results/backtest.json
	$(BIN)/python benchmarks/bench_scoring.py --out benchmarks/results/scoring.json
	$(BIN)/python benchmarks/bench_daily.py --out benchmarks/results/daily.json
	$(BIN)/python benchmarks/bench_app.py --out benchmarks/results/app.json
	$(BIN)/python benchmarks/bench_tuning.py --out benchmarks/results/tuning.json
	$(BIN)/python benchmarks/bench_pipeline.py --out benchmarks/results/pipeline.json
	$(BIN)/python benchmarks/bench_signal.py --out benchmarks/results/signal.json

# glibc gives each serving thread its own malloc arena and keeps what they free: two arenas keep the app's
# memory flat under many sessions (benchmarks/bench_app.py measures it).
app: venv
	MALLOC_ARENA_MAX=2 $(BIN)/spyglass-app $(if $(TICKER),--ticker $(TICKER))

# After `make run`: score each ticker's latest day with its saved models and record it in its signal journal
# (TICKER=<name> for one ticker of the portfolio).
daily: venv
	$(BIN)/spyglass-daily $(if $(TICKER),--ticker $(TICKER))

lint: venv
	$(BIN)/ruff check src stages tests benchmarks tools
	$(BIN)/ruff format --check src stages tests benchmarks tools

deps: venv
	$(BIN)/python tools/stage_deps.py

params: venv
	$(BIN)/spyglass-params > params.yaml

lock: venv
	{ head -n 1 requirements.lock; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^spyglass\|^uv=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
