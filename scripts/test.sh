#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, Rasa data validation, unit + integration tests,
# the retrieval and NLU evaluations with their quality bars, and Rasa test stories.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_browser.sh
bash scripts/install_nginx.sh
PY=.venv/bin/python
echo "== ruff"
.venv/bin/ruff check .
echo "== import contracts (who may import whom)"
.venv/bin/lint-imports
echo "== mypy"
.venv/bin/mypy
echo "== knowledge base: every fact traced to its official record, today and after the 31/12/2026 cut"
$PY -m api.cli kb validate --strict-provenance
$PY -m api.cli kb validate --strict-provenance --on 2027-01-02
echo "== knowledge base answers: ≤ 5% say anything is unconfirmed, none quotes an expired amount"
$PY scripts/kb_answer_audit.py
echo "== rasa data validate"
$PY -m api.cli validate-rasa-data
echo "== retrieval evaluation (tests/data/retrieval_eval.jsonl)"
$PY -m knowledge_base.eval tests/data/retrieval_eval.jsonl --min-recall-at-1 0.92 --min-recall-at-3 0.98 \
  --min-oos-none 0.90 --max-false-none 0.03 --max-fold-gap 0.03 --min-none-accuracy 0.95
echo "== NLU evaluation (held-out split)"
$PY scripts/eval_nlu.py --min-f1 0.90 --min-f1-no-diacritics 0.85
echo "== Rasa test stories"
$PY -m api.cli test-stories
echo "== pytest"
$PY -m pytest --durations=25 "$@"
