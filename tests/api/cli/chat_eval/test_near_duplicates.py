"""The near-copy finder behind the set's separation test."""

from __future__ import annotations

from pathlib import Path

from tests.utils.near_duplicates import NearDuplicateIndex, tree_texts, words

REFERENCES = [
    ("nlu", "- làm lại [căn cước](procedure) bị mất ở đâu\n- đổi bằng lái xe hết hạn cần gì"),
    ("kb", "Khi bằng đã quá hạn, bạn không làm thủ tục đổi mà phải xin cấp lại. Tùy thời gian quá hạn, bạn có thể "
           "phải thi lại lý thuyết."),
]


def test_words_fold_diacritics_case_punctuation_and_entities() -> None:
    assert words("Làm lại [CĂN CƯỚC](procedure), ở ĐÂU?") == ["lam", "lai", "can", "cuoc", "o", "dau"]


def test_a_reworded_copy_is_found_by_jaccard() -> None:
    index = NearDuplicateIndex(REFERENCES)
    found = index.matches("Lam lai can cuoc bi mat thi o dau?")  # 7 of 8 words in common
    assert [m.source for m in found] == ["nlu"] and found[0].why.startswith("jaccard 0.8")
    assert index.matches("căn cước bị mất làm lại ở công an xã hay tỉnh, mất bao lâu") == []


def test_a_shared_run_of_eight_words_is_found_inside_a_long_letter() -> None:
    index = NearDuplicateIndex(REFERENCES)
    letter = ("Tôi đi làm xa nên quên mất hạn, nghe nói tùy thời gian quá hạn bạn có thể phải thi lại, "
              "vậy tôi nên làm gì?")
    found = index.matches(letter)
    assert found and found[0].source == "kb" and "8 words in common" in found[0].why
    assert index.matches("Tùy thời gian quá hạn mà thi lại phần nào?") == []  # 6 words only


def test_jaccard_threshold_is_inclusive_and_exact() -> None:
    index = NearDuplicateIndex([("r", "a b c d e f g h i j")])
    assert index.matches("a b c d e f g x y z") == []  # 7/13
    assert index.matches("a b c d e f g") != []  # 7/10 = 0.7


def test_tree_texts_reads_every_string_of_yaml_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("id: x\nfaqs:\n  - question: Câu hỏi một\n    paraphrases: [câu hai]\n",
                                    encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"question": "câu ba", "tags": ["t"]}\n', encoding="utf-8")
    texts = [text for _, text in tree_texts(tmp_path, sorted(tmp_path.iterdir()))]
    assert texts == ["x", "Câu hỏi một", "câu hai", "câu ba", "t"]
