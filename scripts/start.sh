#!/usr/bin/env bash
# Set up (if needed) and start the assistant. Default: the embedded layout (SQLite, one process each).
# --scaled: nginx in front of two app replicas and two Rasa servers with an action server each; needs
# DATABASE_URL and RASA_TRACKER_URL on PostgreSQL and REDIS_URL (docs/operations.md, "Scaled layout").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for arg in "$@"; do
  if [[ "$arg" == "--scaled" ]]; then bash scripts/install_nginx.sh; fi
done
exec .venv/bin/python -m api.cli serve "$@"
