#!/usr/bin/env bash
# `npm run jaeger`: Jaeger v2 all-in-one, built from its Go module (v1.76.0 is the v2 binary's
# module version) once and cached: in-memory storage, OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on
# 4317, the query API on http://127.0.0.1:16686. A source build has no UI (see
# examples/jaeger/README.md). `--build-only` builds and prints the binary's path.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-build-cached.sh" tools/jaeger github.com/jaegertracing/jaeger/cmd/jaeger jaeger)
if [ "${1:-}" = "--build-only" ]; then echo "$bin"; exit 0; fi
exec "$bin" "$@"
