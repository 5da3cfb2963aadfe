#!/usr/bin/env bash
# Builds the real Secrets Store Sync Controller from a source tree you already have (a release's source snapshot;
# the Go module proxy refuses the module, see build-sync.sh), its dependencies through the proxy, into
# $KVRP_CACHE_DIR/build/sync-controller-from-source/. Then run the tests against it:
#   KVRP_SYNC_CONTROLLER_BIN=<printed path> npx vitest run --project e2e test/e2e/secretsync.test.ts
# Nothing of the source is kept in this repository.
set -euo pipefail
src="${1:?usage: build-from-source.sh <secrets-store-sync-controller source dir>}"
CACHE_ROOT="${KVRP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-rotation-pusher}"
out="$CACHE_ROOT/build/sync-controller-from-source"
grep -q '^module sigs.k8s.io/secrets-store-sync-controller$' "$src/go.mod" || { echo "$src is not the sync controller's module" >&2; exit 1; }
mkdir -p "$out"
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$out/secrets-store-sync-controller" ./cmd/ >&2)
echo "$out/secrets-store-sync-controller"
