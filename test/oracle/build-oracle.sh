#!/usr/bin/env bash
# Builds the differential oracle: the pinned Azure provider (pkg/provider) and the CSI driver's
# pkg/util/secretutil, from the Go module proxy, each with the Go toolchain its own go.mod's `go` directive names
# (fetched by the go command as golang.org/toolchain through the same proxy), plus our shims in test/oracle/go/.
# Upstream code is only ever copied into a temporary build directory, never into the work tree.
#
# Order of preference:
#   1. $KVRP_ORACLE_BIN: a directory holding provider-oracle and driver-oracle (e.g. built elsewhere);
#   2. the cache ~/.cache/kv-rotation-pusher/oracle/<versions>-<shim hash>/;
#   3. a build (about 2-4 min cold on 2 cores, most of it module downloads), then cached.
# Versions: KVRP_ORACLE_PROVIDER_VERSION (default v1.8.2); the driver defaults to the version the provider's
# go.mod requires (KVRP_ORACLE_DRIVER_VERSION overrides); toolchains default to each go.mod's `go` directive
# (KVRP_ORACLE_PROVIDER_GO / KVRP_ORACLE_DRIVER_GO override, e.g. go1.25.11; "local" = the installed go).
# Prints the directory that holds both binaries on stdout; progress goes to stderr.
set -euo pipefail

log() { printf '[build-oracle] %s\n' "$*" >&2; }

if [ -n "${KVRP_ORACLE_BIN:-}" ]; then
  if [ -x "$KVRP_ORACLE_BIN/provider-oracle" ] && [ -x "$KVRP_ORACLE_BIN/driver-oracle" ]; then
    echo "$KVRP_ORACLE_BIN"; exit 0
  fi
  log "KVRP_ORACLE_BIN=$KVRP_ORACLE_BIN lacks an executable provider-oracle and driver-oracle"
  exit 1
fi

here="$(cd "$(dirname "$0")" && pwd)"
PROVIDER_MOD=github.com/Azure/secrets-store-csi-driver-provider-azure
DRIVER_MOD=sigs.k8s.io/secrets-store-csi-driver
PROVIDER_VERSION="${KVRP_ORACLE_PROVIDER_VERSION:-v1.8.2}"
CACHE_ROOT="${KVRP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-rotation-pusher}"
shim_hash=$(cat "$here/build-oracle.sh" "$here"/go/provider/*.go "$here"/go/driver/*.go | sha256sum | cut -c1-12)

command -v go >/dev/null || { log "Go is needed to build the oracle (or set KVRP_ORACLE_BIN)"; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

# The module's go.mod, read through the proxy (cheap: no source download).
gomod_of() {
  local scratch; scratch=$(mktemp -d)
  (cd "$scratch" && go mod init kvrp/probe >/dev/null 2>&1 && go mod download -json "$1@$2" 2>/dev/null) \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p'
  rm -rf "$scratch"
}
provider_gomod=$(gomod_of "$PROVIDER_MOD" "$PROVIDER_VERSION")
[ -n "$provider_gomod" ] || { log "cannot fetch $PROVIDER_MOD@$PROVIDER_VERSION's go.mod from the module proxy"; exit 1; }
DRIVER_VERSION="${KVRP_ORACLE_DRIVER_VERSION:-$(awk -v m="$DRIVER_MOD" '$1==m{print $2; exit}' "$provider_gomod")}"
provider_go="${KVRP_ORACLE_PROVIDER_GO:-go$(awk '$1=="go"{print $2; exit}' "$provider_gomod")}"

OUT_BASE="$CACHE_ROOT/oracle/provider-$PROVIDER_VERSION-$provider_go+driver-$DRIVER_VERSION"
# the driver's toolchain is only known once its go.mod is read; the cache key is completed below
for d in "$OUT_BASE"-*-"$shim_hash"; do
  if [ -x "$d/provider-oracle" ] && [ -x "$d/driver-oracle" ]; then echo "$d"; exit 0; fi
done

start=$(date +%s)
build=$(mktemp -d "${TMPDIR:-/tmp}/kvrp-oracle-build.XXXXXX")
trap 'chmod -R u+w "$build" 2>/dev/null; rm -rf "$build"' EXIT

# Copy a module's source out of the module cache into the build directory (writable), printing its path.
checkout() { # module version dest
  local dir
  dir=$(cd "$build" && go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -n "$dir" ] || { log "cannot download $1@$2"; exit 1; }
  cp -r "$dir" "$3" && chmod -R u+w "$3"
}

# GOTOOLCHAIN value for a go-directive version, or "local" for the installed go.
toolchain() { if [ "$1" = local ]; then echo local; else echo "$1"; fi; }

log "provider $PROVIDER_MOD@$PROVIDER_VERSION with $provider_go"
printf 'module kvrp/oracle-build\n' >"$build/go.mod"
checkout "$PROVIDER_MOD" "$PROVIDER_VERSION" "$build/provider"
cp "$here/go/provider/kvrp_oracle_shim.go" "$build/provider/pkg/provider/"
mkdir -p "$build/provider/cmd/kvrp-oracle" && cp "$here/go/provider/main.go" "$build/provider/cmd/kvrp-oracle/"
# The driver module is fetched from inside the provider module, whose go.sum vouches for it.
driver_dir=$(cd "$build/provider" && GOTOOLCHAIN=$(toolchain "$provider_go") go mod download -json "$DRIVER_MOD@$DRIVER_VERSION" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -n "$driver_dir" ] || { log "cannot download $DRIVER_MOD@$DRIVER_VERSION"; exit 1; }
driver_go="${KVRP_ORACLE_DRIVER_GO:-go$(awk '$1=="go"{print $2; exit}' "$driver_dir/go.mod")}"
OUT="$OUT_BASE-$driver_go-$shim_hash"
cp -r "$driver_dir" "$build/driver" && chmod -R u+w "$build/driver"
mkdir -p "$build/driver/cmd/kvrp-oracle" && cp "$here/go/driver/main.go" "$build/driver/cmd/kvrp-oracle/"

mkdir -p "$OUT"
(cd "$build/provider" && GOTOOLCHAIN=$(toolchain "$provider_go") go version >&2 &&
  GOTOOLCHAIN=$(toolchain "$provider_go") go build -mod=mod -trimpath -o "$OUT/provider-oracle.tmp" ./cmd/kvrp-oracle >&2)
log "driver $DRIVER_MOD@$DRIVER_VERSION (pkg/util/secretutil) with $driver_go"
(cd "$build/driver" && GOTOOLCHAIN=$(toolchain "$driver_go") go version >&2 &&
  GOTOOLCHAIN=$(toolchain "$driver_go") go build -mod=mod -trimpath -o "$OUT/driver-oracle.tmp" ./cmd/kvrp-oracle >&2)
cat >"$OUT/versions.json" <<JSON
{"provider": "$PROVIDER_MOD@$PROVIDER_VERSION", "providerGo": "$provider_go", "driver": "$DRIVER_MOD@$DRIVER_VERSION", "driverGo": "$driver_go", "shim": "$shim_hash"}
JSON
mv "$OUT/provider-oracle.tmp" "$OUT/provider-oracle"
mv "$OUT/driver-oracle.tmp" "$OUT/driver-oracle"
log "oracle ready in $OUT after $(( $(date +%s) - start ))s"
echo "$OUT"
