#!/usr/bin/env bash
# The whole test suite. Set PAPERBOT_TEST_DATABASE_URL to run the store tests on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
