#!/usr/bin/env bash
# The compatibility matrix: agentsight-otel's packed tarball, installed the way users install it
# (their OpenTelemetry set-up first, then the package), in one consumer project per row, each
# running test/compat/scenario.cjs. Node 24 comes from the npm registry (scripts/node-binary.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball="$work/$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"

row() {
  local name=$1 major=$2
  shift 2
  local node bindir dir="$work/$name"
  node=$(bash "$root/scripts/node-binary.sh" "$major")
  bindir=$(dirname "$node")
  mkdir -p "$dir"
  echo '{ "name": "consumer", "private": true }' > "$dir/package.json"
  cp "$root/test/compat/scenario.cjs" "$dir/"
  (
    cd "$dir"
    export PATH="$bindir:$PATH"
    npm install --no-audit --no-fund --silent "$@"
    npm install --no-audit --no-fund --silent "$tarball"
    OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none OTEL_TRACES_EXPORTER=none \
      OTEL_NODE_RESOURCE_DETECTORS=none node scenario.cjs "$name"
  )
}

row node20-otel1.30 20 @opentelemetry/api@1.9.0 @opentelemetry/sdk-node@0.57.2 @opentelemetry/sdk-trace-base@1.30.1 \
  @opentelemetry/instrumentation-http@0.57.2 @opentelemetry/instrumentation-undici@0.10.1
row node20-otel2.0 20 @opentelemetry/api@1.9.0 @opentelemetry/sdk-node@0.200.0 @opentelemetry/sdk-trace-base@2.0.0 \
  @opentelemetry/instrumentation-http@0.200.0 @opentelemetry/instrumentation-undici@0.11.0
row node20-otel2.12 20 @opentelemetry/api@1.9 @opentelemetry/sdk-node@0.223 @opentelemetry/sdk-trace-base@2.12 \
  @opentelemetry/instrumentation-http@0.223 @opentelemetry/instrumentation-undici@0.33
row node24-otel2.12 24 @opentelemetry/api@1.9 @opentelemetry/sdk-node@0.223 @opentelemetry/sdk-trace-base@2.12 \
  @opentelemetry/instrumentation-http@0.223 @opentelemetry/instrumentation-undici@0.33
row node24-otel3 24 @opentelemetry/api@1.10 @opentelemetry/sdk-node@0.301 @opentelemetry/sdk-trace@3.1 \
  @opentelemetry/instrumentation-http@0.301 @opentelemetry/instrumentation-undici@0.34
echo "compat matrix: 5 of 5 rows passed"
