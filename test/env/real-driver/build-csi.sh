#!/usr/bin/env bash
# Provides the Secrets Store CSI driver and its Azure provider for the end-to-end tests, built from their upstream
# Go modules at pinned versions (no upstream code is kept in this repository): the current driver, the legacy one
# (v1.5.x: rotation reconciler, no republish) for the tests of that behaviour, and the provider.
# Order of preference:
#   1. $KVRP_CSI_ASSETS (like KUBEBUILDER_ASSETS) when it holds both binaries (names below);
#   2. the cache, keyed by version (~/.cache/kv-rotation-pusher/bin/csi-…, shared by fresh clones on this machine);
#   3. a build through the Go module proxy, then cached (about 2-4 min cold on 2 cores).
# Beside the binaries, upstream/ holds files the tests read from the same module versions (never committed here):
# csi.proto (the CSI spec the driver is built against, for the kubelet stand-in's gRPC client) and the drivers'
# ClusterRoles (config/rbac*/role.yaml; the legacy driver's under upstream/legacy/). A KVRP_CSI_ASSETS directory
# needs the same layout.
# Prints the directory that holds the binaries on stdout (last line); progress goes to stderr.
#
# The driver imports monis.app/mlog, which the module proxy refuses to serve (403); ./mlog is our own small module
# with that import path and only the calls the driver makes, wired in with `go mod edit -replace`.
set -euo pipefail

DRIVER_VERSION="${KVRP_CSI_DRIVER_VERSION:-v1.6.1}"
LEGACY_DRIVER_VERSION="${KVRP_CSI_LEGACY_DRIVER_VERSION:-v1.5.6}"
PROVIDER_VERSION="${KVRP_AZURE_PROVIDER_VERSION:-v1.8.2}"
CACHE_ROOT="${KVRP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-rotation-pusher}"
OUT="$CACHE_ROOT/bin/csi-driver-$DRIVER_VERSION-legacy-$LEGACY_DRIVER_VERSION-provider-azure-$PROVIDER_VERSION"
DRIVER_BIN=secrets-store-csi-driver
LEGACY_DRIVER_BIN=secrets-store-csi-driver-legacy
LEGACY_ROLES="rbac rbac-syncsecret rbac-tokenrequest rbac-rotation"
PROVIDER_BIN=csi-secrets-store-provider-azure
here="$(cd "$(dirname "$0")" && pwd)"

log() { printf '[build-csi] %s\n' "$*" >&2; }

complete() {
  [ -x "$1/$DRIVER_BIN" ] && [ -x "$1/$LEGACY_DRIVER_BIN" ] && [ -x "$1/$PROVIDER_BIN" ] && [ -f "$1/upstream/csi.proto" ] &&
    [ -f "$1/upstream/rbac/role.yaml" ] && [ -f "$1/upstream/rbac-syncsecret/role.yaml" ] &&
    for r in $LEGACY_ROLES; do [ -f "$1/upstream/legacy/$r/role.yaml" ] || return 1; done
}

if [ -n "${KVRP_CSI_ASSETS:-}" ]; then
  if complete "$KVRP_CSI_ASSETS"; then
    log "using KVRP_CSI_ASSETS=$KVRP_CSI_ASSETS"
    echo "$KVRP_CSI_ASSETS"; exit 0
  fi
  log "KVRP_CSI_ASSETS=$KVRP_CSI_ASSETS lacks an executable $DRIVER_BIN, $LEGACY_DRIVER_BIN or $PROVIDER_BIN, or a" \
    "file under upstream/ (csi.proto, rbac*/role.yaml, legacy/rbac*/role.yaml): lay it out like $OUT"
  exit 1
fi

if complete "$OUT"; then
  echo "$OUT"; exit 0
fi

command -v go >/dev/null || { log "Go is needed to build the CSI driver and Azure provider (or set KVRP_CSI_ASSETS)"; exit 1; }
mkdir -p "$OUT" "$CACHE_ROOT/build"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# A throwaway wrapper module per binary: `go install mod@version` would ask the proxy for a version list (refused);
# `go get mod@exact` in a wrapper resolves the module's own requirements and needs no copy of its tree.
wrapper() {
  local dir="$1"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init "local/$(basename "$dir")" >/dev/null 2>&1
}

# build_driver VERSION BINARY: the driver at VERSION into $OUT/BINARY (its wrapper module stays for the file copies).
build_driver() {
  [ -x "$OUT/$2" ] && return 0
  log "building sigs.k8s.io/secrets-store-csi-driver $1 from the Go module proxy"
  wrapper "$CACHE_ROOT/build/csi-driver-$1"
  go mod edit -replace="monis.app/mlog=$here/mlog"
  go get "sigs.k8s.io/secrets-store-csi-driver@$1" >&2
  go build -trimpath -o "$OUT/$2.tmp" \
    -ldflags "-s -w -X sigs.k8s.io/secrets-store-csi-driver/pkg/version.BuildVersion=$1" \
    sigs.k8s.io/secrets-store-csi-driver/cmd/secrets-store-csi-driver >&2
  mv "$OUT/$2.tmp" "$OUT/$2"
}
build_driver "$DRIVER_VERSION" "$DRIVER_BIN"
build_driver "$LEGACY_DRIVER_VERSION" "$LEGACY_DRIVER_BIN"

if [ ! -x "$OUT/$PROVIDER_BIN" ]; then
  log "building github.com/Azure/secrets-store-csi-driver-provider-azure $PROVIDER_VERSION from the Go module proxy"
  wrapper "$CACHE_ROOT/build/csi-provider-azure-$PROVIDER_VERSION"
  # The provider requires sigs.k8s.io/secrets-store-csi-driver v1.5.4, which the proxy serves but the checksum
  # database does not list (404): verify it against the provider's own go.sum instead of skipping verification.
  src=$(go mod download -json "github.com/Azure/secrets-store-csi-driver-provider-azure@$PROVIDER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  cat "$src/go.sum" > go.sum
  go get "github.com/Azure/secrets-store-csi-driver-provider-azure@$PROVIDER_VERSION" >&2
  go build -trimpath -o "$OUT/$PROVIDER_BIN.tmp" \
    -ldflags "-s -w -X github.com/Azure/secrets-store-csi-driver-provider-azure/pkg/version.BuildVersion=$PROVIDER_VERSION" \
    github.com/Azure/secrets-store-csi-driver-provider-azure/cmd >&2
  mv "$OUT/$PROVIDER_BIN.tmp" "$OUT/$PROVIDER_BIN"
fi
if ! complete "$OUT"; then
  # module_dir VERSION MODULE: where the driver VERSION's module graph has MODULE (downloads it if needed).
  module_dir() {
    cd "$CACHE_ROOT/build/csi-driver-$1" 2>/dev/null && [ -f go.mod ] || {
      wrapper "$CACHE_ROOT/build/csi-driver-$1"
      go mod edit -replace="monis.app/mlog=$here/mlog"
      go get "sigs.k8s.io/secrets-store-csi-driver@$1" >&2
    }
    go list -m -f '{{.Dir}}' "$2"
  }
  rm -rf "$OUT/upstream.tmp"
  mkdir -p "$OUT/upstream.tmp/rbac" "$OUT/upstream.tmp/rbac-syncsecret"
  cp "$(module_dir "$DRIVER_VERSION" github.com/container-storage-interface/spec)/csi.proto" "$OUT/upstream.tmp/csi.proto"
  d=$(module_dir "$DRIVER_VERSION" sigs.k8s.io/secrets-store-csi-driver)
  for r in rbac rbac-syncsecret; do cp "$d/config/$r/role.yaml" "$OUT/upstream.tmp/$r/role.yaml"; done
  d=$(module_dir "$LEGACY_DRIVER_VERSION" sigs.k8s.io/secrets-store-csi-driver)
  for r in $LEGACY_ROLES; do mkdir -p "$OUT/upstream.tmp/legacy/$r"; cp "$d/config/$r/role.yaml" "$OUT/upstream.tmp/legacy/$r/role.yaml"; done
  chmod -R u+w "$OUT/upstream.tmp"
  rm -rf "$OUT/upstream"; mv "$OUT/upstream.tmp" "$OUT/upstream"
fi
log "CSI driver $DRIVER_VERSION (legacy $LEGACY_DRIVER_VERSION) + Azure provider $PROVIDER_VERSION ready in $OUT after $(( $(date +%s) - start ))s"
echo "$OUT"
