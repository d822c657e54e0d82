# newsmirror developer commands. `make demo` and `make test` work on a fresh machine:
# they create .venv and install the project (with its test extras) on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

## Crawl the embedded demo upstream into ./demo-archive and print the summary.
demo: $(STAMP)
	$(BIN)/newsmirror demo --out demo-archive

## The whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

## Everything but the end-to-end crawls.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

## Speed and memory (benchmarks/RESULTS.md); BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-archive .pytest_cache .ruff_cache .mypy_cache
