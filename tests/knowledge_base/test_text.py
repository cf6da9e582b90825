from __future__ import annotations

import pytest

from knowledge_base.aspects import AspectDetector, detect_aspect
from knowledge_base.text import (
    SynonymDictionary,
    analyze,
    canon_syllable,
    default_dictionary,
    expand,
    fold,
    has_diacritics,
    normalize,
    same_syllable,
    syllables,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Làm CCCD ở đâu?", "làm cccd ở đâu"),
        ("  nhiều   khoảng\ttrắng\n", "nhiều khoảng trắng"),
        ("Mất sổ đỏ 😭😭 thì sao!!!", "mất sổ đỏ thì sao"),
        ("hoà, hoá, khoẻ, thuỷ, Uỷ ban, tuý", "hòa hóa khỏe thủy ủy ban túy"),
        ("hòa khỏe thủy ủy", "hòa khỏe thủy ủy"),  # already canonical
        ("quý, hoàn, khuyên, thuế", "quý hoàn khuyên thuế"),  # tone stays where both spellings agree
        ("Mẫu_CT07/TK-1.2", "mẫu ct07 tk 1 2"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_composes_decomposed_unicode() -> None:
    decomposed = "Đa\u0306ng ky\u0301"  # "Đăng ký" typed with combining marks
    assert normalize(decomposed) == "đăng ký"


def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("Đăng ký thường trú ở Điện Biên") == "Dang ky thuong tru o Dien Bien"
    assert not has_diacritics("lam can cuoc") and has_diacritics("làm căn cước")


def test_i_y_spelling_and_syllable_matching() -> None:
    assert canon_syllable("ký") == canon_syllable("kí") == "ki"
    assert canon_syllable("quy") == "qui" and canon_syllable("thuy") == "thuy"
    assert same_syllable("do", "đỏ")  # typed without diacritics
    assert same_syllable("kí", "ký")
    assert not same_syllable("đồ", "đỏ")  # typed with other diacritics: another word


def test_syllables_are_folded_and_canonical() -> None:
    assert syllables("Đăng kí Tạm trú!") == ["dang", "ki", "tam", "tru"]


@pytest.mark.parametrize(
    ("text", "contains"),
    [
        ("làm CCCD", "căn cước công dân"),
        ("lam cccd", "căn cước công dân"),
        ("sổ đỏ", "giấy chứng nhận quyền sử dụng đất"),
        ("so do", "giấy chứng nhận quyền sử dụng đất"),
        ("xin giấy độc thân", "xác nhận tình trạng hôn nhân"),
        ("nhập hộ khẩu cho con", "thường trú"),
        ("làm KT3", "tạm trú"),
        ("làm passport", "hộ chiếu"),
        ("đổi GPLX", "giấy phép lái xe"),
        ("bang lai het han", "giấy phép lái xe"),
        ("xin LLTP", "lý lịch tư pháp"),
        ("đăng ký HKD", "hộ kinh doanh"),
        ("thẻ BHYT", "bảo hiểm y tế"),
        ("công ty TNHH", "trách nhiệm hữu hạn"),
        ("giấy CT07", "xác nhận thông tin về cư trú"),
        ("giấy chứng tử", "khai tử"),
        ("sao y bản chính", "chứng thực bản sao"),
        ("kich hoat VNeID", "định danh điện tử"),
    ],
)
def test_expand_abbreviations_and_everyday_words(text: str, contains: str) -> None:
    expanded = expand(text)
    assert contains in expanded
    assert expanded.startswith(normalize(text).split()[0])  # the variant itself is kept


def test_expand_never_matches_a_differently_accented_word() -> None:
    assert expand("vẽ sơ đồ nhà") == "vẽ sơ đồ nhà"


def test_longest_variant_wins() -> None:
    assert expand("cắt hộ khẩu") == "cắt hộ khẩu xóa đăng ký thường trú"


@pytest.mark.parametrize("text", ["làm hộ chiếu ở đâu", "lam ho chieu o dau", "nop ho so o dau", "làm hộ kinh doanh"])
def test_a_variant_never_cuts_a_phrase_kept_together(text: str) -> None:
    # "làm hộ" / "nộp hộ" (on someone's behalf) must not take the "hộ" of "hộ chiếu" or, typed bare, of "hồ sơ"
    assert "ủy quyền" not in expand(text)
    assert expand("nhờ người nhà nộp hộ được không").endswith("nộp hộ ủy quyền được không")
    assert expand("lam ho khau cho con") == "lam ho khau đăng ký thường trú cho con"


def test_chat_shorthand_is_replaced() -> None:
    assert expand("lam cccd mat bn tien ko") == "lam cccd thẻ căn cước công dân mat bao nhiêu tien không"


def test_dictionary_from_entries() -> None:
    dictionary = SynonymDictionary({"giấy phép lái xe": ["bằng lái"]}, {"không": ["ko"]})
    assert dictionary.expand_words(["mat", "bang", "lai", "ko"]) == [
        "mat",
        "bang",
        "lai",
        "giấy",
        "phép",
        "lái",
        "xe",
        "không",
    ]
    assert len(dictionary) == 2
    assert len(default_dictionary()) > 100


def test_analyze_returns_every_form() -> None:
    analysis = analyze("Làm CCCD ở đâu?")
    assert analysis.normalized == "làm cccd ở đâu"
    assert analysis.expanded == "làm cccd thẻ căn cước công dân ở đâu"
    assert analysis.folded == "lam cccd the can cuoc cong dan o dau"
    assert analysis.tokens == tuple(analysis.folded.split())


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Làm căn cước mất bao nhiêu tiền?", "fee"),
        ("lam can cuoc mat bn tien", "fee"),
        ("Đăng ký kết hôn bao lâu thì có?", "time"),
        ("gia han tam tru can giay to gi", "documents"),
        ("Đổi bằng lái ở đâu?", "agency"),
        ("có làm online được không", "online"),
        ("mẫu tờ khai đăng ký khai sinh", "forms"),
        ("căn cứ pháp lý của thủ tục này", "legal"),
        ("các bước đăng ký tạm trú", "steps"),
        ("đăng ký thường trú", None),
        ("xin giấy không tiền án tiền sự", None),  # "tiền" alone is not a fee question
    ],
)
def test_detect_aspect(question: str, aspect: str | None) -> None:
    assert detect_aspect(question) == aspect


def test_aspect_priority_and_validation() -> None:
    detector = AspectDetector({"fee": ["lệ phí"], "agency": ["ở đâu"]})
    assert detector.detect_all("nộp lệ phí ở đâu") == ["fee", "agency"]
    with pytest.raises(ValueError, match="unknown aspects"):
        AspectDetector({"weather": ["mưa"]})
