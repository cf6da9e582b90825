#!/usr/bin/env bash
# Set up (if needed) and start the assistant on its embedded default: SQLite, one process each.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m api.cli serve "$@"
