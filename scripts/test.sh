#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, Rasa data validation, unit + integration tests,
# the retrieval and NLU evaluations with their quality bars, and Rasa test stories.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-model
PY=.venv/bin/python
# The NLU evaluation trains its own model on a held-out split. Both trainings run TensorFlow on one thread, so the
# evaluation's runs beside the served model's, each on its own core (about 8 minutes saved on a 2-core machine).
mkdir -p var/logs
TF_INTRA_OP_PARALLELISM_THREADS=1 TF_INTER_OP_PARALLELISM_THREADS=1 \
  $PY scripts/eval_nlu.py --min-f1 0.90 --min-f1-no-diacritics 0.85 >var/logs/eval_nlu.out 2>&1 &
eval_pid=$!
# Every command in an EXIT trap must succeed: under set -e a failing one (pkill finding nothing) becomes the exit code.
trap 'pkill -P "$eval_pid" 2>/dev/null || true; kill "$eval_pid" 2>/dev/null || true' EXIT
$PY -m api.cli train
bash scripts/install_browser.sh
bash scripts/install_nginx.sh
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
echo "== NLU evaluation (held-out split; started beside the model's training)"
eval_status=0
wait "$eval_pid" || eval_status=$?
cat var/logs/eval_nlu.out
[[ $eval_status == 0 ]] || exit "$eval_status"
echo "== Rasa test stories"
$PY -m api.cli test-stories
# Issue 14's bars (right >= 0.92, wrong <= 0.01, none <= 0.03, out of scope honest >= 0.95) are not met yet; these
# catch a fall from the numbers measured on 2026-12-07 (0.795 / 0.079 / 0.058 / 0.457, docs/evaluation.md).
echo "== end-to-end answers on the frozen test part (regression bars, through the real stack)"
$PY -m api.cli eval-chat tests/data/chat_eval/test.jsonl --min-right 0.77 --max-wrong 0.10 --max-none 0.08 \
  --min-oos-honest 0.40
echo "== pytest"
$PY -m pytest --durations=25 "$@"
