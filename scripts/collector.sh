#!/usr/bin/env bash
# The agentsight-otel Collector distribution (collector/): built once and cached.
# `scripts/collector.sh --build-only` builds and prints the binary's path; otherwise it runs it,
# e.g. `scripts/collector.sh --config collector/config.yaml`, after checking the variables that
# configuration needs (the Collector itself would start without them and drop the data).
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-build-cached.sh" collector . agentsight-collector)
if [ "${1:-}" = "--build-only" ]; then echo "$bin"; exit 0; fi
missing=()
case " $* " in
  *grpc.yaml*) [ -n "${AGENTSIGHT_BRIDGE_GRPC_ENDPOINT:-}" ] || missing+=("AGENTSIGHT_BRIDGE_GRPC_ENDPOINT (the bridge's gRPC address, e.g. 127.0.0.1:4320)") ;;
  *) [ -n "${AGENTSIGHT_BRIDGE_URL:-}" ] || missing+=("AGENTSIGHT_BRIDGE_URL (the bridge, e.g. http://127.0.0.1:4319)") ;;
esac
token=${AGENTSIGHT_BRIDGE_TOKEN:-}
[ "${#token}" -ge 16 ] || missing+=("AGENTSIGHT_BRIDGE_TOKEN (the bridge's bearer token, 16+ characters)")
if [ "${#missing[@]}" -gt 0 ]; then
  for variable in "${missing[@]}"; do echo "scripts/collector.sh: set $variable" >&2; done
  exit 2
fi
exec "$bin" "$@"
