#!/usr/bin/env bash
# Build the real Pulumi engine for tests/engine/ from Go modules, into a cache outside the clone:
#   ${SOPHIA_ENGINE_HOME:-$HOME/.cache/sophia-infra/engine}/bin/{pulumi,pulumi-resource-*,...}
# Versions come from engine/versions.env. Each part is rebuilt only when its stamp (the pinned
# versions) changed, so a second run takes seconds. Usage: engine/build.sh [cli|kubernetes|shims|all]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
ENGINE_HOME=${SOPHIA_ENGINE_HOME:-$HOME/.cache/sophia-infra/engine}
BIN=$ENGINE_HOME/bin
SRC=$ENGINE_HOME/src
mkdir -p "$BIN" "$SRC"
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--p=2} -trimpath -buildvcs=false"

log(){ printf '[engine %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
stamp_ok(){ [ -f "$ENGINE_HOME/stamps/$1" ] && [ "$(cat "$ENGINE_HOME/stamps/$1")" = "$2" ] && [ -x "$BIN/$3" ]; }
stamp_write(){ mkdir -p "$ENGINE_HOME/stamps"; printf '%s' "$2" >"$ENGINE_HOME/stamps/$1"; }
moddir(){ go mod download -json "$1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])'; }

build_cli(){
  local want="cli $PULUMI_CLI_VERSION"
  if stamp_ok cli "$want" pulumi; then log "cli $PULUMI_CLI_VERSION: cached"; return; fi
  log "cli $PULUMI_CLI_VERSION: building"
  local t0=$SECONDS d=$SRC/cli
  rm -rf "$d" && mkdir -p "$d" && cd "$d"
  # A wrapper module: pkg/go.mod has replace directives, so `go install ...@version` refuses it.
  go mod init local/pulumi-cli >/dev/null 2>&1
  go mod edit -go=1.26
  go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_CLI_VERSION"
  go get "github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION"
  go mod tidy
  # The version ldflag is what `pulumi version` prints (.goreleaser.yml); the Automation API checks it.
  go build -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
    -o "$BIN/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.new" "$BIN/pulumi"
  stamp_write cli "$want"
  log "cli $PULUMI_CLI_VERSION: built in $((SECONDS - t0))s"
}

# pulumi-kubernetes: a wrapper module with our own main.go, because the upstream main embeds
# schema-embed.json / terraform-mapping-embed.json, which `go generate` writes and git ignores
# (pulumi-kubernetes provider/cmd/pulumi-resource-kubernetes/main.go + generate.go, .gitignore).
build_kubernetes(){
  local want="kubernetes $KUBERNETES_PROVIDER_MODULE_VERSION $KUBERNETES_PROVIDER_VERSION"
  if stamp_ok kubernetes "$want" pulumi-resource-kubernetes; then log "kubernetes $KUBERNETES_PROVIDER_VERSION: cached"; return; fi
  log "kubernetes $KUBERNETES_PROVIDER_VERSION: building"
  local t0=$SECONDS d=$SRC/kubernetes m=github.com/pulumi/pulumi-kubernetes/provider/v4
  rm -rf "$d" && mkdir -p "$d" && cd "$d"
  go mod init local/pulumi-resource-kubernetes >/dev/null 2>&1
  go mod edit -go=1.26
  go get "$m@$KUBERNETES_PROVIDER_MODULE_VERSION"
  local cmd; cmd=$(moddir "$m@$KUBERNETES_PROVIDER_MODULE_VERSION")/cmd/pulumi-resource-kubernetes
  # What upstream generate.go does: schema.json with "version" set, and the tf mapping re-marshalled.
  python3 - "$cmd" "$KUBERNETES_PROVIDER_VERSION" <<'PY'
import json, sys
src, version = sys.argv[1], sys.argv[2]
schema = json.load(open(f"{src}/schema.json"))
schema["version"] = version
json.dump(schema, open("schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(f"{src}/terraform-mapping.json")), open("terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
  cp "$here/kubernetes_main.go.txt" main.go
  go mod tidy
  go build -ldflags "-s -w -X $m/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes.new" .
  mv "$BIN/pulumi-resource-kubernetes.new" "$BIN/pulumi-resource-kubernetes"
  stamp_write kubernetes "$want"
  log "kubernetes $KUBERNETES_PROVIDER_VERSION: built in $((SECONDS - t0))s"
}

# The launcher the engine runs for Python dynamic providers: upstream's own script, shipped in
# the sdk/v3 module zip (python/dist/), unchanged. It runs $PULUMI_RUNTIME_VIRTUALENV/bin/python
# (the tests point it at the project's .venv). Found next to the pulumi binary as a bundled
# plugin (sdk/go/common/workspace/plugins.go). Policy packs need no file here: see docs/engine.md.
install_shims(){
  local sdk; sdk=$(moddir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION")
  install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
  log "shims: pulumi-resource-pulumi-python installed"
}

# The braces make bash read the whole dispatch before running it (safe to edit while building).
{
part=${1:-all}
case $part in
  cli) build_cli ;;
  kubernetes) build_kubernetes ;;
  shims) install_shims ;;
  all) build_cli; install_shims; build_kubernetes ;;
  *) echo "usage: $0 [cli|kubernetes|shims|all]" >&2; exit 2 ;;
esac
exit
}
