#!/usr/bin/env bash
# Installs k6 (pinned) from the Go module proxy into .tools/bin, once: k6 ships no npm package
# that runs (the npm "k6" is a stub), and downloading release binaries is not possible everywhere.
set -euo pipefail
K6_VERSION="${K6_VERSION:-v1.8.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
if [ -x "$bin/k6" ] && "$bin/k6" version 2>/dev/null | grep -q "${K6_VERSION#v}"; then
  echo "k6 ${K6_VERSION} already installed in .tools/bin"
  exit 0
fi
command -v go >/dev/null || { echo "Go is needed to build k6 (apt-get install golang, or https://go.dev/dl)" >&2; exit 1; }
echo "building k6 ${K6_VERSION} with $(go version) (a few minutes the first time)"
mkdir -p "$bin"
GOBIN="$bin" CGO_ENABLED=0 go install "go.k6.io/k6@${K6_VERSION}"
"$bin/k6" version
