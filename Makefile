# Every target installs what it needs on a fresh machine: a virtual environment with the Python
# packages, and the pinned npm toolchain (solc, anvil, OpenZeppelin) from package-lock.json.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP_PY  := $(VENV)/.installed
STAMP_NPM := node_modules/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: browser setup demo test check lint types mutate bench bench-gas bench-gateway bench-indexer build-contracts clean

setup: $(STAMP_PY) $(STAMP_NPM) browser

# The console's browser tests drive Debian's chromium through Playwright (no browser download):
# installed once when missing and we are root; otherwise say what to run.
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	  else \
	    echo "console browser tests need $(CHROMIUM): run 'apt-get install -y chromium' as root" >&2; \
	  fi; }

$(STAMP_PY): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# `npm install` honours package-lock.json; `npm ci` would refuse the lock here because the
# registry serves only this platform's anvil binary, not the other optional platform packages.
$(STAMP_NPM): package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

## The main job: the demo network on the embedded chain.
demo: setup
	$(BIN)/tracenet demo

## All tests: lint, types, unit and integration tiers.
test: setup lint types
	$(BIN)/python -m pytest

check: test

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: setup
	$(BIN)/mypy

## Rule mutations (tests/mutations.yaml): each planted bug must make a test fail. Some 20 min
## on 2 cores; run it before resolving an issue that touches a rule (README).
mutate: setup
	$(BIN)/python tests/mutate.py $(MUTATE_ARGS)

build-contracts: setup
	$(BIN)/tracenet contracts build

## Benchmarks print JSON and a table; run them on an otherwise quiet machine.
bench: bench-gas bench-gateway bench-indexer

bench-gas: setup
	$(BIN)/python benchmarks/gas.py

bench-gateway: setup
	$(BIN)/python benchmarks/gateway.py

bench-indexer: setup
	$(BIN)/python benchmarks/indexer.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
