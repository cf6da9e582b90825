"""Counting outcomes: rates overall and by tag, the text table, the Markdown table, the bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.cli.chat_eval.classify import IN_SCOPE_OUTCOMES, OUT_OF_SCOPE_OUTCOMES, Reading
from api.cli.chat_eval.examples import ChatExample


@dataclass(frozen=True)
class Outcome:
    example: ChatExample
    reading: Reading
    outcome: str  # see classify.judge
    seconds: float = 0.0


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rates(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Shares of in-scope questions per in-scope outcome, of out-of-scope questions per out-of-scope outcome."""
    inside = [o.outcome for o in outcomes if o.example.expected is not None]
    outside = [o.outcome for o in outcomes if o.example.expected is None]
    seconds = [o.seconds for o in outcomes]
    return {
        "n": len(outcomes), "in_scope": len(inside), "out_of_scope": len(outside),
        **{name: _rate(inside.count(name), len(inside)) for name in IN_SCOPE_OUTCOMES},
        **{name: _rate(outside.count(name), len(outside)) for name in OUT_OF_SCOPE_OUTCOMES},
        "errors": sum(o.reading.error is not None for o in outcomes),
        "p50_ms": None if not seconds else round(1000 * (_percentile(seconds, 50) or 0)),
        "p95_ms": None if not seconds else round(1000 * (_percentile(seconds, 95) or 0)),
    }


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    tags = sorted({tag for o in outcomes for tag in o.example.tags})
    return {"overall": rates(outcomes), "tags": {t: rates([o for o in outcomes if t in o.example.tags]) for t in tags}}


def items(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    return [{"question": o.example.question, "expected": o.example.expected, "tags": list(o.example.tags),
             "outcome": o.outcome, "kind": o.reading.kind, "procedure_ids": list(o.reading.procedure_ids),
             "reply": o.reading.text, "error": o.reading.error, "ms": round(1000 * o.seconds)} for o in outcomes]


# --- bars -----------------------------------------------------------------------------------------

BARS = {  # option -> (metric, direction: +1 at least, -1 at most)
    "min_right": ("right", 1),
    "max_wrong": ("wrong", -1),
    "max_none": ("none", -1),
    "min_oos_honest": ("oos_honest", 1),
}


def missed_bars(overall: dict[str, Any], bars: dict[str, float | None]) -> list[str]:
    missed = []
    for option, (metric, direction) in BARS.items():
        bar, value = bars.get(option), overall.get(metric)
        if bar is not None and (value is None or (value - bar) * direction < 0):
            missed.append(f"{metric}={value} {'<' if direction > 0 else '>'} {bar}")
    return missed


# --- tables ---------------------------------------------------------------------------------------

COLUMNS = [("right", "right"), ("clarify_right", "clarify+"), ("clarify_other", "clarify-"), ("wrong", "wrong"),
           ("none", "none"), ("oos_honest", "oos_honest"), ("oos_vague", "oos_vague"), ("oos_clarify", "oos_clar"),
           ("oos_answered", "oos_answ")]


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("ALL", summary["overall"]), *summary["tags"].items()]


def text_table(summary: dict[str, Any]) -> str:
    head = f"{'':16} {'n':>4} {'in':>4} {'oos':>4} " + " ".join(f"{label:>10}" for _, label in COLUMNS)
    lines = [head]
    for name, row in _rows(summary):
        cells = " ".join(f"{_cell(row[key]):>10}" for key, _ in COLUMNS)
        lines.append(f"{name[:16]:16} {row['n']:>4} {row['in_scope']:>4} {row['out_of_scope']:>4} {cells}")
    overall = summary["overall"]
    lines.append(f"in scope: shares of {overall['in_scope']} questions; oos_*: shares of {overall['out_of_scope']} "
                 f"out-of-scope ones. latency p50 {overall['p50_ms']} ms, p95 {overall['p95_ms']} ms; "
                 f"failed requests: {overall['errors']}")
    return "\n".join(lines)


def markdown_table(summary: dict[str, Any]) -> str:
    head = "| tag | n | in scope | oos | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (4 + len(COLUMNS))]
    for name, row in _rows(summary):
        cells = " | ".join(_cell(row[key]) for key, _ in COLUMNS)
        lines.append(f"| {'**all**' if name == 'ALL' else name} | {row['n']} | {row['in_scope']} | "
                     f"{row['out_of_scope']} | {cells} |")
    return "\n".join(lines)
