#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, Rasa data validation, unit + integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check .
echo "== rasa data validate"
.venv/bin/python -m api.cli validate-rasa-data
echo "== pytest"
.venv/bin/python -m pytest "$@"
