#!/usr/bin/env bash
# Provides kube-apiserver + etcd for the test environment.
# Order of preference:
#   1. $KUBEBUILDER_ASSETS (envtest convention) when it holds both binaries;
#   2. the cache, keyed by version (outside the work tree, so fresh clones on the same machine reuse it);
#   3. a build from the Go module proxy (k8s.io/kubernetes + etcd server), then cached.
# Prints the directory that holds both binaries on stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION="${KVRP_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${KVRP_ETCD_VERSION:-v3.6.16}"
CACHE_ROOT="${KVRP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kv-rotation-pusher}"
OUT="$CACHE_ROOT/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

log() { printf '[build-binaries] %s\n' "$*" >&2; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    echo "$KUBEBUILDER_ASSETS"; exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver and etcd"
  exit 1
fi

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ]; then
  echo "$OUT"; exit 0
fi

command -v go >/dev/null || { log "Go is needed to build kube-apiserver and etcd (or set KUBEBUILDER_ASSETS)"; exit 1; }
mkdir -p "$OUT" "$CACHE_ROOT/build"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# First run: say what happens, how long it takes and where it goes, then show progress (modules downloaded, packages
# compiled, elapsed time) so a fresh `npm run demo` or CI run is not silent for minutes. Measured on a 2-core machine
# (npm run demo, fresh cache): etcd ~2-3 min, kube-apiserver ~5-7 min; a slow network or busy cores take longer.
start=$SECONDS
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
todo=() expect=0
[ -x "$OUT/etcd" ] || { todo+=("etcd $ETCD_VERSION"); expect=$((expect + 3)); }
[ -x "$OUT/kube-apiserver" ] || { todo+=("kube-apiserver $K8S_VERSION"); expect=$((expect + 7)); }
log "first run on this machine: building ${todo[*]} from the Go module proxy; expected ~$expect min on 2 cores (longer on a slow network)."
log "cache: $OUT (kept across clones and runs; later runs start in seconds; delete it to rebuild, or set KUBEBUILDER_ASSETS to prebuilt binaries)"
log "Go module and build caches: $(go env GOMODCACHE), $(go env GOCACHE); full output in $CACHE_ROOT/build/*.log"

# A heartbeat while a step prints nothing for long (go list, linking). Its sleep holds no stdout/stderr, so callers
# reading them see EOF as soon as the script ends.
(while sleep 30 </dev/null >/dev/null 2>&1; do log "  ... still working ($(elapsed) elapsed)"; done) >/dev/null &
heartbeat=$!
trap 'kill "$heartbeat" 2>/dev/null || true' EXIT

# progress STEP TOTAL LOGFILE: reads go's stderr (`go: downloading …` lines, `go build -v` package paths); prints a
# count at most every 10 s and at the end; passes any other line (errors) through; keeps everything in LOGFILE.
progress() {
  local step=$1 total=$2 logfile=$3 n=0 last=$SECONDS line unit
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$logfile"
    case "$line" in
      "go: downloading "*) n=$((n + 1)); unit="modules downloaded" ;;
      "go: added "* | "go: upgraded "* | "go: finding "*) continue ;;
      *[[:space:]]* | "" | "#"*) printf '%s\n' "$line" >&2; continue ;;
      *) n=$((n + 1)); unit="packages compiled" ;;
    esac
    if ((SECONDS - last >= 10)); then
      log "  $step: $n${total:+/$total} $unit ($(elapsed) elapsed)"
      last=$SECONDS
    fi
  done
  log "  $step: done${unit:+, $n $unit} ($(elapsed) elapsed)"
}

# step NAME WHAT TOTAL LOGFILE CMD...: runs a go command with its stderr through progress (stdout stays clean).
step() {
  local name=$1 what=$2 total=$3 logfile=$4
  shift 4
  log "[$name] $what"
  "$@" 2>&1 >/dev/null | progress "$name" "$total" "$logfile"
}

# Packages a `go build` of PKG compiles at most (std included; a warm build cache compiles fewer).
package_count() { go list -deps "$1" 2>/dev/null | wc -l | tr -d ' '; }

if [ ! -x "$OUT/etcd" ]; then
  d="$CACHE_ROOT/build/etcd-$ETCD_VERSION"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init local/etcdbuild >/dev/null 2>&1
  step "etcd 1/2" "downloading go.etcd.io/etcd/server/v3@$ETCD_VERSION and its modules" "" "$d/build.log" \
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  step "etcd 2/2" "compiling etcd" "$(package_count go.etcd.io/etcd/server/v3)" "$d/build.log" \
    go build -v -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
fi

if [ ! -x "$OUT/kube-apiserver" ]; then
  d="$CACHE_ROOT/build/k8s-$K8S_VERSION"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init local/k8sbuild >/dev/null 2>&1
  pin="v0.${K8S_VERSION#v1.}"
  log "[kube-apiserver 1/3] resolving k8s.io/kubernetes@$K8S_VERSION"
  mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  # k8s.io/kubernetes requires its staging modules at v0.0.0 through replace directives that do not apply to
  # dependents: pin each to the matching published version instead.
  for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s\.io\//{print $1}' "$mod"); do
    go mod edit -replace="$m=$m@$pin"
  done
  step "kube-apiserver 2/3" "downloading k8s.io/kubernetes@$K8S_VERSION and its modules" "" "$d/build.log" \
    go get "k8s.io/kubernetes@$K8S_VERSION"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  step "kube-apiserver 3/3" "compiling kube-apiserver (then linking, ~1 min without output)" \
    "$(package_count k8s.io/kubernetes/cmd/kube-apiserver)" "$d/build.log" \
    go build -v -trimpath -o "$OUT/kube-apiserver.tmp" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
fi
log "binaries ready in $OUT after $(elapsed)"
echo "$OUT"
