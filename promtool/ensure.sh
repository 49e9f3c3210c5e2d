#!/usr/bin/env bash
# Install the real promtool into a cache outside the clone, or reuse it; never fail.
#   ${SOPHIA_PROMTOOL_HOME:-$HOME/.cache/sophia-infra/promtool}/bin/promtool
# `make test` calls this before pytest; the rule tests (tests/components/k8s/test_slo_rules.py)
# skip with one line when no promtool is there. Sources (promtool/versions.env):
#   debian (default): Debian bookworm's `prometheus` .deb from the Debian mirror, checked against
#     its pinned SHA256, unpacked with `dpkg-deb --fsys-tarfile` (nothing installed, no service);
#     only usr/bin/promtool is kept. promtool 2.42.
#   go (SOPHIA_PROMTOOL_SOURCE=go): `go install github.com/prometheus/prometheus/cmd/promtool@<v>`
#     from the module proxy, promtool 3.x; ~20 min cold on a loaded 2-core machine (docs/slo.md).
# Times measured here: docs/slo.md "Installing promtool".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
HOME_DIR=${SOPHIA_PROMTOOL_HOME:-$HOME/.cache/sophia-infra/promtool}
SOURCE=${SOPHIA_PROMTOOL_SOURCE:-debian}
BIN=$HOME_DIR/bin
want="$SOURCE $(sha256sum "$here/versions.env" | cut -c1-16)"
log(){ printf 'promtool: %s\n' "$*"; }
mkdir -p "$BIN" "$HOME_DIR/stamps" || { log "cannot create $HOME_DIR; the rule tests will not run"; exit 0; }
if [ -x "$BIN/promtool" ] && [ "$(cat "$HOME_DIR/stamps/promtool" 2>/dev/null)" = "$want" ]; then
  log "cached ($SOURCE) at $BIN/promtool"
  exit 0
fi
started=$SECONDS
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

install_debian(){
  command -v dpkg-deb >/dev/null || { log "dpkg-deb not found"; return 1; }
  command -v curl >/dev/null || { log "curl not found"; return 1; }
  curl -fsSL --retry 3 -o "$tmp/p.deb" "$DEBIAN_MIRROR/$DEBIAN_PROMETHEUS_DEB" || return 1
  echo "$DEBIAN_PROMETHEUS_SHA256  $tmp/p.deb" | sha256sum -c --quiet || { log "checksum mismatch"; return 1; }
  dpkg-deb --fsys-tarfile "$tmp/p.deb" | tar -x -C "$tmp" ./usr/bin/promtool || return 1
  mv "$tmp/usr/bin/promtool" "$BIN/promtool.new"
}

install_go(){
  command -v go >/dev/null || { log "go not found"; return 1; }
  GOBIN=$tmp/gobin GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -trimpath -buildvcs=false" \
    go install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_GO_MODULE_VERSION" || return 1
  mv "$tmp/gobin/promtool" "$BIN/promtool.new"
}

case $SOURCE in
  debian) install_debian ;;
  go) install_go ;;
  *) log "SOPHIA_PROMTOOL_SOURCE=$SOURCE: must be debian or go"; false ;;
esac
if [ $? -eq 0 ] && "$BIN/promtool.new" --version >/dev/null 2>&1; then
  mv "$BIN/promtool.new" "$BIN/promtool"
  printf '%s' "$want" >"$HOME_DIR/stamps/promtool"
  log "installed ($SOURCE) in $((SECONDS - started)) s at $BIN/promtool"
else
  rm -f "$BIN/promtool.new"
  log "install ($SOURCE) failed after $((SECONDS - started)) s; the rule tests will not run"
fi
exit 0
