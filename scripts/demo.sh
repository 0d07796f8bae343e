#!/usr/bin/env bash
# The main job on the bundled sample digests: SQLite, console adapter, no chat account.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/paperbot demo "$@"
