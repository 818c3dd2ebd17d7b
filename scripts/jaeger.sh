#!/usr/bin/env bash
# `npm run jaeger`: Jaeger v2 all-in-one, built from its Go module (v1.76.0 is the v2 binary's
# module version) once and cached: in-memory storage, OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on
# 4317, the UI and query API on http://127.0.0.1:16686.
#
#   npm run jaeger -- --ui <folder>   serve the Jaeger UI from <folder>: the assets of a Jaeger UI
#                                     release (a source build has none; examples/jaeger/README.md)
#   npm run jaeger -- --build-only    build, and print the binary's path
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-build-cached.sh" tools/jaeger github.com/jaegertracing/jaeger/cmd/jaeger jaeger)
if [ "${1:-}" = "--build-only" ]; then echo "$bin"; exit 0; fi
if [ "${1:-}" = "--ui" ]; then
  ui=${2:-}
  if [ -z "$ui" ] || [ ! -f "$ui/index.html" ]; then
    echo "npm run jaeger -- --ui <folder>: <folder> must hold a Jaeger UI build (its index.html); got '${ui}'" >&2
    exit 2
  fi
  shift 2
  exec "$bin" "--set=extensions.jaeger_query.ui.assets_path=$(cd "$ui" && pwd)" "$@"
fi
exec "$bin" "$@"
