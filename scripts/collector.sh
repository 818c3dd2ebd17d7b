#!/usr/bin/env bash
# The agentsight-otel Collector distribution (collector/): built once and cached.
# `scripts/collector.sh --build-only` builds and prints the binary's path; otherwise it runs it,
# e.g. `scripts/collector.sh --config collector/config.yaml`.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-build-cached.sh" collector . agentsight-collector)
if [ "${1:-}" = "--build-only" ]; then echo "$bin"; exit 0; fi
exec "$bin" "$@"
