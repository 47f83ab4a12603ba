# Set-up and every routine task; CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit fuzz bench bench-10k upgrade-deps clean

# Set-up installs the pinned, hashed versions in requirements/ (a new release of a dependency
# cannot change what CI runs); the package itself keeps the ranges of pyproject.toml.
PIP_PINNED := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
PIP_SELF := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml requirements/run.txt | $(BIN)/python
	$(PIP_PINNED) -r requirements/run.txt
	$(PIP_SELF)
	touch $@

$(VENV)/.dev: pyproject.toml requirements/dev.txt | $(BIN)/python
	$(PIP_PINNED) -r requirements/dev.txt
	$(PIP_SELF)
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

## fuzz: the cache property and fault tests with many more examples (FUZZ_EXAMPLES, default 500)
FUZZ_EXAMPLES ?= 500
fuzz: $(VENV)/.dev
	SKILLFORGE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q \
		tests/test_cache_properties.py tests/test_faults.py -k "cached_builds or random_damage"

## bench: build a 1,000-spec corpus and report medians (see benchmarks/README.md)
bench: $(VENV)/.dev
	$(BIN)/python -m compileall -q skillforge
	$(BIN)/python benchmarks/run.py --specs 1000
	$(BIN)/python benchmarks/check.py --specs 1000
	$(BIN)/python benchmarks/targets.py --specs 1000
	$(BIN)/python benchmarks/sandbox.py --specs 300
	$(BIN)/python benchmarks/watch.py --specs 1000
	$(BIN)/python benchmarks/stats.py --specs 1000
	$(BIN)/python benchmarks/remote.py --specs 1000  # skipped, with a message, without nginx
	$(BIN)/python benchmarks/authoring.py --specs 1000
	$(BIN)/python benchmarks/agent.py

## bench-10k: issue 17's 10,000-spec scenarios (cold, no-op, one-section edit, peak RSS);
## no plain-script or rulesync baseline (a re-render of 10,000 specs per run takes minutes)
bench-10k: $(VENV)/.dev
	$(BIN)/python -m compileall -q skillforge
	$(BIN)/python benchmarks/run.py --specs 10000 --agents-large 3 --repeat 3 \
		--scenarios cold,noop,section_edit --targets 10k --no-baseline --no-rulesync \
		--json-out .bench/results-10k.json

## upgrade-deps: refresh the pins in requirements/ to the newest versions pyproject.toml allows
upgrade-deps: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml requirements/build.in --upgrade --generate-hashes \
		--universal --python-version 3.11 -q -o requirements/run.txt
	$(BIN)/python -m uv pip compile pyproject.toml requirements/build.in --extra dev --upgrade \
		--generate-hashes --universal --python-version 3.11 -q -o requirements/dev.txt
	rm -f $(VENV)/.installed $(VENV)/.dev

clean:
	rm -rf $(VENV) .skillforge .mypy_cache .ruff_cache .pytest_cache dist
