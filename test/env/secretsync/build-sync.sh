#!/usr/bin/env bash
# Provides what the end-to-end tests need for SecretSync targets (Secrets Store Sync Controller):
#   - the provider API's service.proto (v1alpha1, from the Secrets Store CSI driver's Go module: the same proto the
#     sync controller uses to call providers), for the controller stand-in's gRPC client;
#   - the real sync controller when one can be had: $KVRP_SYNC_CONTROLLER_BIN (a prebuilt binary), else a build of
#     sigs.k8s.io/secrets-store-sync-controller@$KVRP_SYNC_CONTROLLER_VERSION through the Go module proxy, cached by
#     version. The proxy refuses that module today (403 for v0.0.1…v0.0.4 and for pseudo-versions, checked once
#     per machine and remembered in the cache), so the tests use the stand-in (test/env/secretsync/standin.ts),
#     which follows v0.0.4's controller code.
# Prints two lines on stdout: `proto <path>` and `controller real <path>` or `controller standin <why>`.
set -euo pipefail

DRIVER_VERSION="${KVRP_CSI_DRIVER_VERSION:-v1.6.1}"
SYNC_VERSION="${KVRP_SYNC_CONTROLLER_VERSION:-v0.0.4}"
CACHE_ROOT="${KVRP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-rotation-pusher}"
PROTO_DIR="$CACHE_ROOT/bin/provider-proto-csi-driver-$DRIVER_VERSION"
SYNC_DIR="$CACHE_ROOT/bin/secrets-store-sync-controller-$SYNC_VERSION"
log() { printf '[build-sync] %s\n' "$*" >&2; }

if [ ! -f "$PROTO_DIR/service.proto" ]; then
  command -v go >/dev/null || { log "Go is needed once to fetch the provider API's service.proto"; exit 1; }
  src=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/secrets-store-csi-driver@$DRIVER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  mkdir -p "$PROTO_DIR"
  cp "$src/provider/v1alpha1/service.proto" "$PROTO_DIR/service.proto.tmp" && chmod u+w "$PROTO_DIR/service.proto.tmp"
  mv "$PROTO_DIR/service.proto.tmp" "$PROTO_DIR/service.proto"
fi
echo "proto $PROTO_DIR/service.proto"

if [ -n "${KVRP_SYNC_CONTROLLER_BIN:-}" ]; then
  [ -x "$KVRP_SYNC_CONTROLLER_BIN" ] || { log "KVRP_SYNC_CONTROLLER_BIN=$KVRP_SYNC_CONTROLLER_BIN is not an executable"; exit 1; }
  echo "controller real $KVRP_SYNC_CONTROLLER_BIN"; exit 0
fi
if [ -x "$SYNC_DIR/secrets-store-sync-controller" ]; then
  echo "controller real $SYNC_DIR/secrets-store-sync-controller"; exit 0
fi
if [ -f "$SYNC_DIR/refused" ]; then
  echo "controller standin $(cat "$SYNC_DIR/refused")"; exit 0
fi
mkdir -p "$SYNC_DIR" "$CACHE_ROOT/build"
wrapper="$CACHE_ROOT/build/secrets-store-sync-controller-$SYNC_VERSION"
rm -rf "$wrapper"; mkdir -p "$wrapper"; cd "$wrapper"
go mod init local/sync-controller >/dev/null 2>&1
if out=$(GOFLAGS=-mod=mod go get "sigs.k8s.io/secrets-store-sync-controller@$SYNC_VERSION" 2>&1); then
  log "building sigs.k8s.io/secrets-store-sync-controller $SYNC_VERSION from the Go module proxy"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$SYNC_DIR/secrets-store-sync-controller.tmp" \
    sigs.k8s.io/secrets-store-sync-controller/cmd >&2
  mv "$SYNC_DIR/secrets-store-sync-controller.tmp" "$SYNC_DIR/secrets-store-sync-controller"
  echo "controller real $SYNC_DIR/secrets-store-sync-controller"
else
  why="the Go module proxy refuses sigs.k8s.io/secrets-store-sync-controller@$SYNC_VERSION: $(printf '%s' "$out" | grep -m1 -o '[0-9][0-9][0-9] [A-Za-z ]*' || printf '%s' "$out" | head -c 200)"
  printf '%s' "$why" > "$SYNC_DIR/refused"
  log "$why; using the stand-in (delete $SYNC_DIR/refused to ask again)"
  echo "controller standin $why"
fi
