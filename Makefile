# Set-up and every routine task; CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

## run: install skillforge and build the example project shipped in this repository
run: $(VENV)/.installed
	$(BIN)/skillforge build

## test: lint, type-check and run the whole test suite
test: lint unit

lint: $(VENV)/.dev
	$(BIN)/ruff check skillforge tests benchmarks
	$(BIN)/ruff format --check skillforge tests benchmarks
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/python -m pytest -q

## bench: build a 1,000-spec corpus and report medians (see benchmarks/README.md)
bench: $(VENV)/.dev
	$(BIN)/python -m compileall -q skillforge
	$(BIN)/python benchmarks/run.py --specs 1000
	$(BIN)/python benchmarks/check.py --specs 1000
	$(BIN)/python benchmarks/sandbox.py --specs 300
	$(BIN)/python benchmarks/watch.py --specs 1000
	$(BIN)/python benchmarks/stats.py --specs 1000

clean:
	rm -rf $(VENV) .skillforge .mypy_cache .ruff_cache .pytest_cache dist
