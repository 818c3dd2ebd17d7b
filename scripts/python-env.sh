#!/usr/bin/env bash
# A Python virtual environment with the packages of test/fixtures/python/requirements.txt, made
# once (keyed by the file's hash) under ~/.cache/agentsight-otel; prints its python's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
requirements="$root/test/fixtures/python/requirements.txt"
hash=$(sha256sum "$requirements" | cut -c1-12)
venv="${AGENTSIGHT_PYTHON_ENV:-$HOME/.cache/agentsight-otel/python-$hash}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv.partial"
  "$venv.partial/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  mv "$venv.partial" "$venv"
fi
echo "$venv/bin/python"
