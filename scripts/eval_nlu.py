"""Held-out NLU evaluation: intent macro-F1 overall and on the examples typed without diacritics.

    .venv/bin/python scripts/eval_nlu.py                       # split, train, test, report
    .venv/bin/python scripts/eval_nlu.py --json var/eval_nlu.json --min-f1 0.9 --min-f1-no-diacritics 0.85
    .venv/bin/python scripts/eval_nlu.py --work-dir /tmp/eval --show-errors

Runs in .venv (Python 3.11) and shells out to Rasa in .venv-rasa:
1. `rasa data split nlu` on data/nlu with a fixed seed (deterministic, stratified by intent);
2. `rasa train nlu` on the training part into a temporary directory (models/ is not touched);
3. `rasa test nlu --successes` on the held-out part;
4. intent macro-F1 (scikit-learn) over all held-out examples and over those written without
   diacritics (the text equals its folded form, `knowledge_base.text.fold`), averaged over the intents
   present in each subset. Low-confidence predictions count as the intent DIET predicted (Rasa's
   evaluation undoes the FallbackClassifier), so the numbers measure the classifier itself.

Exit status: 0 when both scores reach their thresholds, 1 when one is below, 2 when Rasa fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sklearn.metrics import f1_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.runtime.rasa_model import RASA_BIN, rasa_env  # noqa: E402
from knowledge_base.text import fold  # noqa: E402

NLU_DIR = ROOT / "data" / "nlu"
CONFIG = ROOT / "config.yml"


class RasaError(RuntimeError):
    pass


def run_rasa(args: list[str], log: Path) -> None:
    """Run `rasa <args>` from the project root; its output goes to `log`."""
    env = rasa_env()
    env.update(TF_CPP_MIN_LOG_LEVEL="3", RASA_TELEMETRY_ENABLED="false")
    if args[0] == "train":  # TensorFlow's pools are kept at 1 thread for serving; training uses the cores (same
        threads = str(min(os.cpu_count() or 1, 4))  # scores here, 539 s instead of 691 s on 2 cores)
        for name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS"):
            env[name] = os.environ.get(name, threads)  # a value set by the caller wins
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ rasa {' '.join(args)}\n")
        out.flush()
        result = subprocess.run([str(RASA_BIN), *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise RasaError(f"rasa {args[0]} {args[1]} failed (exit {result.returncode}); end of {log}:\n{tail}")


def load_predictions(results_dir: Path) -> list[dict]:
    """Every held-out example as {text, intent, predicted, confidence}."""
    rows: list[dict] = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results_dir / name
        if not path.exists():  # Rasa writes no file when the list would be empty
            continue
        for item in json.loads(path.read_text(encoding="utf-8")):
            prediction = item.get("intent_prediction") or {}
            rows.append({"text": item["text"], "intent": item["intent"],
                         "predicted": prediction.get("name") or "", "confidence": prediction.get("confidence")})
    return rows


def without_diacritics(text: str) -> bool:
    return fold(text) == text


def macro_f1(rows: list[dict]) -> float:
    if not rows:
        return float("nan")
    labels = sorted({row["intent"] for row in rows})
    return float(f1_score([r["intent"] for r in rows], [r["predicted"] for r in rows], labels=labels,
                          average="macro", zero_division=0))


def per_intent(rows: list[dict]) -> dict[str, dict]:
    labels = sorted({row["intent"] for row in rows})
    truth = [r["intent"] for r in rows]
    predicted = [r["predicted"] for r in rows]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                                     zero_division=0)
    table = {}
    for i, label in enumerate(labels):
        subset = [r for r in rows if r["intent"] == label and without_diacritics(r["text"])]
        table[label] = {"support": int(support[i]), "precision": round(float(precision[i]), 4),
                        "recall": round(float(recall[i]), 4), "f1": round(float(f1[i]), 4),
                        "support_no_diacritics": len(subset),
                        "recall_no_diacritics": (round(sum(r["predicted"] == label for r in subset) / len(subset), 4)
                                                 if subset else None)}
    return table


def format_table(table: dict[str, dict]) -> str:
    lines = [f"{'intent':<16} {'n':>4} {'prec':>6} {'recall':>6} {'f1':>6}   {'n_nd':>4} {'rec_nd':>6}"]
    for label, row in table.items():
        rec_nd = "-" if row["recall_no_diacritics"] is None else f"{row['recall_no_diacritics']:.3f}"
        lines.append(f"{label:<16} {row['support']:>4} {row['precision']:>6.3f} {row['recall']:>6.3f} "
                     f"{row['f1']:>6.3f}   {row['support_no_diacritics']:>4} {rec_nd:>6}")
    return "\n".join(lines)


def evaluate(work: Path, seed: int, fraction: float, config: Path, nlu: Path) -> tuple[list[dict], float]:
    log = work / "rasa.log"
    split_dir, model_dir, results_dir = work / "split", work / "models", work / "results"
    started = time.perf_counter()
    run_rasa(["data", "split", "nlu", "--nlu", str(nlu), "--random-seed", str(seed),
              "--training-fraction", str(fraction), "--out", str(split_dir)], log)
    train_file, test_file = split_dir / "training_data.yml", split_dir / "test_data.yml"
    print(f"split: {train_file} / {test_file}", flush=True)
    print("training the NLU model …", flush=True)
    run_rasa(["train", "nlu", "--nlu", str(train_file), "--config", str(config), "--out", str(model_dir),
              "--fixed-model-name", "eval-nlu"], log)
    model = model_dir / "eval-nlu.tar.gz"
    print("testing …", flush=True)
    run_rasa(["test", "nlu", "--nlu", str(test_file), "--model", str(model), "--out", str(results_dir),
              "--successes", "--no-plot"], log)
    return load_predictions(results_dir), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=42, help="random seed of the split (default 42)")
    parser.add_argument("--training-fraction", type=float, default=0.8, help="share used for training (0.8)")
    parser.add_argument("--min-f1", type=float, default=0.90, help="minimum intent macro-F1 (0.90)")
    parser.add_argument("--min-f1-no-diacritics", type=float, default=0.85,
                        help="minimum intent macro-F1 on examples typed without diacritics (0.85)")
    parser.add_argument("--json", type=Path, help="write a JSON summary to this file")
    parser.add_argument("--config", type=Path, default=CONFIG, help="Rasa config (default config.yml)")
    parser.add_argument("--nlu", type=Path, default=NLU_DIR, help="NLU data file or directory (default data/nlu)")
    parser.add_argument("--work-dir", type=Path,
                        help="keep the split, model, results and rasa.log here (default: a temporary directory)")
    parser.add_argument("--show-errors", action="store_true", help="print every misclassified held-out example")
    args = parser.parse_args()

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="eval_nlu_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rows, seconds = evaluate(work, args.seed, args.training_fraction, args.config.resolve(), args.nlu.resolve())
    except RasaError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if not rows:
        print("no predictions found in the rasa test output", file=sys.stderr)
        return 2

    plain = [row for row in rows if without_diacritics(row["text"])]
    errors = [row for row in rows if row["intent"] != row["predicted"]]
    f1_all, f1_plain = macro_f1(rows), macro_f1(plain)
    table = per_intent(rows)
    passed = f1_all >= args.min_f1 and f1_plain >= args.min_f1_no_diacritics

    print(format_table(table))
    print("\n(n_nd / rec_nd: examples without diacritics and their recall)")
    if args.show_errors and errors:
        print("\nmisclassified:")
        for row in sorted(errors, key=lambda r: r["intent"]):
            print(f"  {row['intent']:<15} -> {row['predicted']:<15} {row['confidence'] or 0:.2f}  {row['text']}")
    accuracy = 1 - len(errors) / len(rows)
    print(f"\nheld-out examples: {len(rows)} ({len(plain)} without diacritics), errors: {len(errors)}, "
          f"accuracy {accuracy:.3f}")
    print(f"intent macro-F1: {f1_all:.4f} (min {args.min_f1})")
    print(f"intent macro-F1 without diacritics: {f1_plain:.4f} (min {args.min_f1_no_diacritics})")
    print(f"{'PASS' if passed else 'FAIL'} in {seconds:.0f}s")

    if args.json:
        summary = {
            "passed": passed,
            "intent_macro_f1": round(f1_all, 4),
            "intent_macro_f1_no_diacritics": round(f1_plain, 4),
            "min_f1": args.min_f1,
            "min_f1_no_diacritics": args.min_f1_no_diacritics,
            "accuracy": round(accuracy, 4),
            "n_test": len(rows),
            "n_test_no_diacritics": len(plain),
            "seed": args.seed,
            "training_fraction": args.training_fraction,
            "seconds": round(seconds, 1),
            "per_intent": table,
            "errors": [{k: row[k] for k in ("text", "intent", "predicted", "confidence")} for row in errors],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"summary written to {args.json}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
