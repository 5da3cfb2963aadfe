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
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=mod

if [ ! -x "$OUT/etcd" ]; then
  log "building etcd $ETCD_VERSION from the Go module proxy"
  d="$CACHE_ROOT/build/etcd-$ETCD_VERSION"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init local/etcdbuild >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  mv "$OUT/etcd.tmp" "$OUT/etcd"
fi

if [ ! -x "$OUT/kube-apiserver" ]; then
  log "building kube-apiserver $K8S_VERSION from the Go module proxy (10-25 min cold on 2 cores)"
  d="$CACHE_ROOT/build/k8s-$K8S_VERSION"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init local/k8sbuild >/dev/null 2>&1
  pin="v0.${K8S_VERSION#v1.}"
  mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  # k8s.io/kubernetes requires its staging modules at v0.0.0 through replace directives that do not apply to
  # dependents: pin each to the matching published version instead.
  for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s\.io\//{print $1}' "$mod"); do
    go mod edit -replace="$m=$m@$pin"
  done
  go get "k8s.io/kubernetes@$K8S_VERSION" >&2
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  go build -trimpath -o "$OUT/kube-apiserver.tmp" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver >&2
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
fi
log "binaries ready in $OUT after $(( $(date +%s) - start ))s"
echo "$OUT"
