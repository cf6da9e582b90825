"""The Vietnamese tokenizer, run by the real Rasa runtime (.venv-rasa) on real Vietnamese samples."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from knowledge_base.text import normalize

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = [pytest.mark.rasa, pytest.mark.skipif(not RASA_PYTHON.exists(), reason="run scripts/setup.sh first")]

SAMPLES = [
    "Thủ tục làm căn cước công dân cho con dưới 14 tuổi?",
    "thu tuc lam can cuoc cong dan cho con duoi 14 tuoi",
    "Uỷ ban nhân dân xã ở đâu",
    "Ủy ban nhân dân xã ở đâu",
    "làm CCCD mất bao lâu 😀😀 ???",
    "Đăng ký kết hôn cần giấy tờ gì!!!",
    "dang ky ket hon can giay to gi",
    "😀",
    "Hộ chiếu (passport) giá bao nhiêu? 200.000đ à",
    "  nhiều   khoảng   trắng  ",
    "Cho mình hỏi:làm sổ đỏ ở đâu…",
    "giấy CT07 xin ở đâu vậy ạ",
    "Thu\u0309 tu\u0323c",  # decomposed (NFD) input
]


@pytest.fixture(scope="module")
def tokenized() -> dict[str, list[list]]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [str(RASA_PYTHON), str(Path(__file__).with_name("tokenize_samples.py"))],
        input="\n".join(json.dumps(s, ensure_ascii=False) for s in SAMPLES) + "\n",
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True,
    )
    lines = result.stdout.strip().splitlines()[-len(SAMPLES):]
    return {sample: json.loads(line) for sample, line in zip(SAMPLES, lines, strict=True)}


@pytest.mark.parametrize("sample", SAMPLES)
def test_offsets_always_point_into_the_original_text(tokenized: dict, sample: str) -> None:
    previous_end = 0
    for text, start, end, _lemma in tokenized[sample]:
        assert 0 <= previous_end <= start < end <= len(sample)
        previous_end = end
        if sample != "😀":  # the token text is the normal form of exactly the span it points at
            assert text == normalize(sample[start:end]).replace(" ", "_")



def test_segmentation_groups_syllables_into_words(tokenized: dict) -> None:
    texts = [t[0] for t in tokenized["Thủ tục làm căn cước công dân cho con dưới 14 tuổi?"]]
    assert "thủ_tục" in texts and "căn_cước" in texts and "công_dân" in texts
    assert "?" not in "".join(texts)


def test_lemmas_are_the_same_with_or_without_diacritics(tokenized: dict) -> None:
    with_marks = "".join(t[3].replace("_", "") for t in tokenized["Đăng ký kết hôn cần giấy tờ gì!!!"])
    without = "".join(t[3] for t in tokenized["dang ky ket hon can giay to gi"])
    assert with_marks == without == "dangkykethoncangiaytogi"


def test_old_and_new_tone_placement_give_the_same_tokens(tokenized: dict) -> None:
    old = [t[0] for t in tokenized["Uỷ ban nhân dân xã ở đâu"]]
    new = [t[0] for t in tokenized["Ủy ban nhân dân xã ở đâu"]]
    assert old == new
    assert old[0] in ("ủy", "ủy_ban", "ủy_ban_nhân_dân")


def test_emoji_and_punctuation_are_dropped(tokenized: dict) -> None:
    texts = [t[0] for t in tokenized["làm CCCD mất bao lâu 😀😀 ???"]]
    assert texts[:2] == ["làm", "cccd"]
    assert all("😀" not in t and "?" not in t for t in texts)


def test_only_emoji_still_gives_one_valid_token(tokenized: dict) -> None:
    assert tokenized["😀"] == [["😀", 0, 1, "😀"]]


def test_decomposed_input_is_normalised(tokenized: dict) -> None:
    tokens = tokenized["Thu\u0309 tu\u0323c"]
    assert "".join(t[0] for t in tokens).replace("_", "") == "thủtục"
    assert tokens[-1][2] == len("Thu\u0309 tu\u0323c")


def test_punctuation_between_words_splits_them(tokenized: dict) -> None:
    texts = [t[0] for t in tokenized["Cho mình hỏi:làm sổ đỏ ở đâu…"]]
    assert "hỏi" in texts and "làm" in texts
