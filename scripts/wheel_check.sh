#!/usr/bin/env bash
# Build the wheel, install it alone into a fresh venv, and run `paperbot demo` outside the checkout:
# the packaged config/ and samples/ must be enough.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" . 2>&1 | grep -v "check.warn\|^ *\**$\|!!\|importable\|^ *$" || true
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$work"/dist/paperbot-*.whl
cd "$work"
PAPERBOT_DATA_DIR="$work/data" "$work/venv/bin/paperbot" --version
PAPERBOT_DATA_DIR="$work/data" "$work/venv/bin/paperbot" demo --data-dir "$work/demo" > "$work/demo.log"
grep -q "👍" "$work/demo.log" || { echo "wheel check: the demo printed no picks" >&2; cat "$work/demo.log" >&2; exit 1; }
echo "wheel check: a fresh venv with only the wheel ran paperbot demo"
