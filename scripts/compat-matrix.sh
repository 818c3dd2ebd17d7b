#!/usr/bin/env bash
# The compatibility matrix: agentsight-otel's packed tarball, installed the way users install it
# (their OpenTelemetry set-up first, then the package), in one consumer project per row, each
# running test/compat/scenario.cjs. Node 24 comes from the npm registry (scripts/node-binary.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball="$work/$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"

# The folder of Node <major>'s binary (installed from npm for 22 and 24, cached).
node_bindir() {
  dirname "$(bash "$root/scripts/node-binary.sh" "$1")"
}

row() {
  local name=$1 major=$2
  shift 2
  local bindir dir="$work/$name"
  bindir=$(node_bindir "$major")
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
# The README's quick start in a new project, as a newcomer follows it: npm's default package (CommonJS),
# the README's two install lines (TypeScript as `npm install` gives it today), its tsconfig for each
# decorator mode and its code, verbatim; compiled with `npx tsc`, run under NodeSDK's defaults.
readme_block() { # the fenced block after the README comment that starts with "<!-- $1:"
  node -e '
    const readme = require("fs").readFileSync(process.argv[1], "utf8");
    const marker = "<!-- " + process.argv[2] + ":";
    const at = readme.indexOf(marker);
    if (at < 0) { console.error("README has no block " + process.argv[2]); process.exit(1); }
    const block = /```\w*\n([\s\S]*?)```/.exec(readme.slice(at));
    process.stdout.write(block[1]);
  ' "$root/README.md" "$1"
}
quickstart() {
  local major=$1 bindir dir="$work/quickstart-node$1"
  bindir=$(node_bindir "$major")
  mkdir -p "$dir"
  (
    cd "$dir"
    export PATH="$bindir:$PATH"
    npm init -y >/dev/null
    # The README's install lines, with the packed tarball in place of the published package.
    readme_block quickstart-install | sed "s#agentsight-otel#$tarball#" | while read -r line; do
      eval "$line --no-audit --no-fund --silent"
    done
    readme_block quickstart > app.ts
    cp "$root/test/compat/quickstart-check.cjs" .
    for mode in tsconfig tsconfig-legacy; do
      readme_block "$mode" > tsconfig.json
      rm -f app.js
      npx tsc
      node quickstart-check.cjs "node$major $mode (TypeScript $(npx tsc --version | sed 's/Version //'))"
    done
    cp "$root/test/compat/footprint-check.cjs" .
    node footprint-check.cjs
  )
}
quickstart 20
quickstart 24
# A Next.js app's install line, one command with no version named, as a new user types it next to
# @vercel/otel and the Vercel AI SDK (issue 27: ERESOLVE on Node 22 and 24 from an optional peer).
next_install() {
  local major=$1 bindir dir="$work/next-install-node$1"
  bindir=$(node_bindir "$major")
  mkdir -p "$dir"
  (
    cd "$dir"
    export PATH="$bindir:$PATH"
    echo '{ "name": "next-app", "private": true }' > package.json
    npm install --no-audit --no-fund --silent next react react-dom @vercel/otel @opentelemetry/api ai @ai-sdk/openai @ai-sdk/otel "$tarball"
    node -e 'require("agentsight-otel"); console.log("next install on node " + process.versions.node + ": no ERESOLVE, package loads")'
  )
}
next_install 20
next_install 22
next_install 24
echo "compat matrix: 5 of 5 rows, 4 quick starts and 3 Next.js installs passed"
