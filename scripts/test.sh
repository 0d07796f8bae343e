#!/usr/bin/env bash
# The whole test suite, one worker per core (pytest-xdist). Set PAPERBOT_TEST_DATABASE_URL to run the store tests on
# PostgreSQL too. Extra arguments go to pytest ("-n 0" runs in one process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -n auto "$@"
