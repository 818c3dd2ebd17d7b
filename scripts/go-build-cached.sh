#!/usr/bin/env bash
# Builds a Go program of this repository once and prints the binary's path; later calls reuse it.
#   scripts/go-build-cached.sh <module folder> <package> <binary name>
# The binary lands in $AGENTSIGHT_GO_BIN (default ~/.cache/agentsight-otel/go-bin), named with a
# hash of the folder's go.mod and go.sum, so a version change builds anew. Go's own module and
# build caches (~/go/pkg/mod, ~/.cache/go-build) make a rebuild quick.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
folder="$root/$1"
package="$2"
name="$3"
bin_dir="${AGENTSIGHT_GO_BIN:-$HOME/.cache/agentsight-otel/go-bin}"
hash=$( (cat "$folder/go.mod" "$folder/go.sum"; find "$folder" -maxdepth 1 -name '*.go' -exec cat {} +) | sha256sum | cut -c1-12)
bin="$bin_dir/$name-$hash"
if [ ! -x "$bin" ]; then
  mkdir -p "$bin_dir"
  started=$(date +%s)
  echo "building $name ($package) into $bin ..." >&2
  (cd "$folder" && go build -trimpath -o "$bin.partial" "$package")
  mv "$bin.partial" "$bin"
  echo "built $name in $(($(date +%s) - started)) s" >&2
fi
echo "$bin"
