# Two commands on a fresh machine:
#   make synth   set everything up, then show what the dev stack declares (offline)
#   make test    set everything up, then lint and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: venv node synth check test lint bench bench-update clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The real open-source Portkey gateway (npm) for the end-to-end routing test; skipped if no node.
node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the gateway end-to-end test will be skipped"; \
	fi

synth: venv
	$(BIN)/python -m jobs.synth --stack $(STACK)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: venv node lint
	$(BIN)/python -m pytest

# `make bench` prints the measurements; `make bench-update` also rewrites BENCHMARKS.md.
bench: venv
	$(BIN)/python -m bench

bench-update: venv
	$(BIN)/python -m bench --output BENCHMARKS.md

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
