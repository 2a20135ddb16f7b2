# One task runner for people and CI. `make run` and `make test` do all set-up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

export RAGAS_DO_NOT_TRACK := true
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run chat ingest test test-fast pytest lint format bench services eval clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the project with its dev tools

ingest: setup ## Ingest the guides in seeds/
	$(BIN)/coach ingest

run: ingest ## Set up, ingest the seeds and serve the coach at http://$(HOST):$(PORT)
	$(BIN)/coach serve --host $(HOST) --port $(PORT)

chat: ingest ## Chat with the coach in the terminal
	$(BIN)/coach chat

services: ## Debian packages the tests use for real: Chromium, PostgreSQL, Redis (apt, when missing)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing through apt for the tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "warning: could not install$$missing (needs root); those tests will fail"; \
	fi

lint: setup ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pytest: setup services
	$(BIN)/python -m pytest -q

eval: setup ## Offline eval of every corpus in eval/corpora/ (test split); fails under eval/thresholds.toml
	$(BIN)/coach eval --gate --quiet --no-baseline

test: setup services lint pytest eval ## Lint, the whole test suite and the eval gate

test-fast: setup services ## The inner loop: tests neither slow nor browser (no lint, no eval gate)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

BENCH_SCALE_ARGS ?=

bench: setup ## Benchmarks: ingestion, embeddings, ask latency, HTTP load, scale, insights (bench/results/)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_scale.py $(BENCH_SCALE_ARGS)
	$(BIN)/python bench/bench_insights.py
	$(BIN)/python bench/bench_formats.py

clean:
	rm -rf .coach .pytest_cache .mypy_cache .ruff_cache
