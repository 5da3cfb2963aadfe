#!/usr/bin/env bash
# Builds the rollout-status oracle (main.go here) against k8s.io/kubectl from the Go module proxy, once per kubectl and
# Go version, into ~/.cache/kv-rotation-pusher/oracle/. Prints the binary's path. KVRP_ROLLOUT_ORACLE=/path/to/binary
# skips the build (like KUBEBUILDER_ASSETS for the control plane). A cold build takes about 2.5 minutes on 2 cores.
set -euo pipefail
if [[ -n "${KVRP_ROLLOUT_ORACLE:-}" ]]; then
  [[ -x "$KVRP_ROLLOUT_ORACLE" ]] || { echo "KVRP_ROLLOUT_ORACLE=$KVRP_ROLLOUT_ORACLE is not an executable" >&2; exit 1; }
  echo "$KVRP_ROLLOUT_ORACLE"
  exit 0
fi
KUBECTL_VERSION="${KVRP_KUBECTL_MODULE_VERSION:-v0.36.3}" # kubectl of Kubernetes 1.36.3, the API server the tests run
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gov="$(go env GOVERSION)"
dir="${HOME}/.cache/kv-rotation-pusher/oracle/kubectl-rollout-status-${KUBECTL_VERSION}-${gov}-$(sha256sum "$here/main.go" | cut -c1-12)"
if [[ -x "$dir/oracle" ]]; then echo "$dir/oracle"; exit 0; fi
echo "[rollout-oracle] building kubectl ${KUBECTL_VERSION} StatusViewer with ${gov} into $dir (first run only, ~2.5 min)" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$here/main.go" "$tmp/main.go"
(
  cd "$tmp"
  go mod init kvrp.local/rollout-oracle >/dev/null 2>&1
  GOFLAGS=-mod=mod go get "k8s.io/kubectl@${KUBECTL_VERSION}" >&2
  go mod tidy >&2
  go build -o oracle . >&2
)
mkdir -p "$dir"
mv "$tmp/oracle" "$dir/oracle"
echo "$dir/oracle"
