# Two commands on a fresh machine:
#   make synth   set everything up, then show what the dev stack declares (offline)
#   make test    set everything up, then lint and run the whole test suite (what CI runs)
# and one for the real-engine tests (tests/engine), which `make test` runs when an engine exists:
#   make engine  build the Pulumi CLI and plugins from Go modules into a cache outside the clone
#                (${SOPHIA_ENGINE_HOME:-~/.cache/sophia-infra/engine}; docs/engine.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: venv node synth check test lint bench bench-update clean engine

venv: $(VENV)/.installed

# The venv also gets a .pth naming this checkout, so `.venv/bin/python -m jobs.synth ...` works
# from any directory (without it, Python says only "No module named 'jobs'").
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "venv: creating $(VENV) with $(PYTHON) ..."
	$(PYTHON) -m venv $(VENV)
	@echo "venv: installing the pinned packages of requirements-dev.txt (1-3 min with a cold pip cache) ..."
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -c "$$SITE_PTH" "$(CURDIR)"
	@echo "venv: ready ($(BIN)/python)"
	touch $@

# Writes <site-packages>/sophia_infra.pth holding the checkout's path (Python's site module adds
# each line of a .pth file to sys.path: docs.python.org/3/library/site.html).
define SITE_PTH
import pathlib, sys, sysconfig
pathlib.Path(sysconfig.get_paths()["purelib"], "sophia_infra.pth").write_text(sys.argv[1] + "\n")
endef
export SITE_PTH

# The real open-source Portkey gateway (npm) for the end-to-end routing test; skipped if no node.
node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the gateway end-to-end test will be skipped"; \
	fi

synth: venv
	@echo "synth: stack $(STACK) under Pulumi's mocks, no credentials (seconds; a first run compiles the SDKs, up to a minute) ..."
	$(BIN)/python -m jobs.synth --stack $(STACK)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The real-engine tests need the engine: built here first (cached outside the clone, budgeted,
# never failing the run; SOPHIA_SKIP_ENGINE_BUILD=1 skips the build). See engine/ensure.sh.
test: venv node lint
	bash engine/ensure.sh
	@echo "test: the whole suite (3-10 min) ..."
	$(BIN)/python -m pytest

engine:
	bash engine/build.sh all

# `make bench` prints the measurements; `make bench-update` also rewrites BENCHMARKS.md.
bench: venv
	@echo "bench: about 5 min; one progress line per round on stderr ..."
	$(BIN)/python -m bench

bench-update: venv
	$(BIN)/python -m bench --output BENCHMARKS.md

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
