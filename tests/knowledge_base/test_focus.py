"""A long message's asking sentences and place names (knowledge_base/focus.py)."""

from __future__ import annotations

import yaml

from knowledge_base.focus import PLACES_FILE, asks, focus, place_table, strip_places
from knowledge_base.text import normalize


def test_places_file_lists_the_34_provinces_as_valid_yaml() -> None:
    data = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8"))
    provinces = {normalize(name) for name in data["provinces"]}
    official = {"hà nội", "huế", "lai châu", "điện biên", "sơn la", "lạng sơn", "quảng ninh", "thanh hóa", "nghệ an",
                "hà tĩnh", "cao bằng", "tuyên quang", "lào cai", "thái nguyên", "phú thọ", "bắc ninh", "hưng yên",
                "hải phòng", "ninh bình", "quảng trị", "đà nẵng", "quảng ngãi", "gia lai", "khánh hòa", "lâm đồng",
                "đắk lắk", "hồ chí minh", "đồng nai", "tây ninh", "cần thơ", "vĩnh long", "đồng tháp", "cà mau",
                "an giang"}
    assert len(official) == 34 and official <= provinces
    assert {"thái bình", "quảng nam", "bình dương", "long an"} <= {normalize(n) for n in data["old_provinces"]}
    assert len(place_table()) > 100


def test_place_names_are_dropped_with_or_without_diacritics() -> None:
    assert strip_places("đăng ký tạm trú tại Bắc Ninh") == "đăng ký tạm trú tại"
    assert strip_places("dang ky tam tru tai bac ninh") == "dang ky tam tru tai"
    assert strip_places("Tôi ở trọ tại Thủ Đức (TP.HCM), thường trú ở Cà Mau") == "tôi ở trọ tại thường trú ở"
    # the unit word stays, its capitalised name goes; a lower-case word after it is not a name
    assert strip_places("lên công an xã Mường Phăng hỏi") == "lên công an xã hỏi"
    assert strip_places("nộp ở Quận 3 hay phường Bến Nghé?") == "nộp ở quận hay phường"
    assert strip_places("ủy ban xã nơi thường trú") == "ủy ban xã nơi thường trú"
    # a diacritic-typed word that only folds like a place name is kept
    assert strip_places("hạ nấm") == "hạ nấm"


def test_asking_sentences() -> None:
    assert asks("Tôi có phải về tận Thái Bình để xin không?")
    assert asks("xin ban sao o dau")
    assert asks("thủ tục nhận con có phải xét nghiệm ADN không, mẹ bé có cần đi cùng")
    assert asks("Làm lại có mất tiền không")
    assert not asks("Bố mẹ đều đã có hộ chiếu.")
    assert not asks("Mẹ tôi không có lương hưu, cũng chưa nhận trợ cấp")


def test_a_long_letter_is_searched_on_its_question() -> None:
    letter = ("Con gái tôi 7 tuổi, tháng sau cả nhà định đi du lịch. Bố mẹ đều đã có giấy tờ đầy đủ. Nhà tôi ở "
              "Biên Hòa, Đồng Nai. Cho tôi hỏi làm hộ chiếu cho bé thì bé có phải đi cùng không?")
    found = focus(letter)
    assert found.narrowed
    assert found.asking == "cho tôi hỏi làm hộ chiếu cho bé thì bé có phải đi cùng không"
    assert "biên hòa" not in found.whole and "du lịch" in found.whole


def test_a_short_message_is_its_own_question() -> None:
    found = focus("Căn cước công dân bị mất thì phải làm sao? Ở Hà Nội.")
    assert not found.narrowed
    assert found.whole == "căn cước công dân bị mất thì phải làm sao ở"
