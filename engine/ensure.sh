#!/usr/bin/env bash
# Build the real Pulumi engine, or reuse the cached build, within a time budget; never fail.
# `make test` (the README's test command, which `.ci/run` runs) calls this first. If the build
# fails or overruns, the tests still run and print one line saying the real-engine tests were
# not run, and why (docs/engine.md). Cold it took 46 min on the shared 2-core machine; warm < 1 s.
# SOPHIA_SKIP_ENGINE_BUILD=1 skips the build (the engine tests then run only if an engine exists).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "${SOPHIA_SKIP_ENGINE_BUILD:-}" ]; then
  echo "engine: build skipped (SOPHIA_SKIP_ENGINE_BUILD is set)"
  exit 0
fi
budget=${ENGINE_BUILD_BUDGET_SECONDS:-3300}
started=$SECONDS
if timeout --kill-after=30 "$budget" bash engine/build.sh all; then
  echo "engine: ready after $((SECONDS - started)) s"
else
  echo "engine: build failed or exceeded its ${budget} s budget after $((SECONDS - started)) s; the real-engine tests will not run"
fi
exit 0
