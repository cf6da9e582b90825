"""The catalogue of other procedures: the shipped files are valid, the rules catch what they must, search finds the
procedure a question names (not scattered words of a story) and the reply points to the body and its record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from knowledge_base import catalogue
from knowledge_base.catalogue import CatalogueIndex, Entry, check_catalogue, load_catalogue
from knowledge_base.loader import load_dir
from knowledge_base.validate import validate

TODAY = dt.date(2026, 12, 6)
RECORD = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfb-d775-76cf-83da-dc00816c97e0"


def entry(**changes: Any) -> Entry:
    data: dict[str, Any] = {
        "id": "bhxh-mot-lan", "name": "Hưởng bảo hiểm xã hội một lần", "field": "Bảo hiểm xã hội",
        "levels": ["province", "commune"], "agency": "Cơ quan Bảo hiểm xã hội nơi bạn cư trú",
        "national_code": "1.001613", "record_url": RECORD, "aliases": ["rút bảo hiểm xã hội một lần"],
        "provenance": {"source": RECORD, "read_on": "2026-12-06", "at": "Tên thủ tục; Cơ quan thực hiện",
                       "as_read": {"code": "1.001613", "agency": "Bảo hiểm xã hội cấp Tỉnh"}},
    }
    data.update(changes)
    return Entry.model_validate(data)


def problems(*entries: Entry, guides: list[Any] | None = None) -> list[str]:
    cat = catalogue.Catalogue(tuple(entries), {}, {e.id: "procedures.yml" for e in entries})
    return [f"{p.field}: {p.message}" for _, _, p in check_catalogue(cat, guides or [], TODAY)]


def test_the_shipped_catalogue_is_valid_and_large_enough() -> None:
    cat = load_catalogue()
    guides = load_dir()
    assert check_catalogue(cat, guides, TODAY) == []
    assert len(cat.entries) >= 150
    guide_ids = {g.id for g in guides}
    assert not guide_ids & {e.id for e in cat.entries}
    courts = [e for e in cat.entries if "court" in e.levels]
    assert len(courts) >= 10 and all("Tòa án nhân dân khu vực" in e.agency for e in courts[1:])
    coded = [e for e in cat.entries if e.national_code]
    assert len(coded) >= 140 and all(e.provenance.as_read["code"] == e.national_code for e in coded)


def test_one_of_the_guides_is_refused_by_id_and_by_code() -> None:
    guide = load_dir()[0]
    found = problems(entry(id=guide.id, national_code=guide.national_codes[0],
                           provenance={"source": RECORD, "read_on": "2026-12-06", "at": "Tên thủ tục",
                                       "as_read": {"code": guide.national_codes[0], "agency": "x"}}),
                     guides=[guide])
    assert any(f.startswith("id:") for f in found) and any(f.startswith("national_code:") for f in found)


def test_no_code_needs_a_reason_and_a_code_needs_its_shape() -> None:
    with pytest.raises(ValidationError, match="no_code_reason"):
        entry(national_code=None)
    with pytest.raises(ValidationError, match=r"1\.001234"):
        entry(national_code="1001613")
    assert problems(entry(national_code=None, no_code_reason="Việc của Tòa án, không có mã thủ tục.",
                          provenance={"source": RECORD, "read_on": "2026-12-06", "at": "x",
                                      "as_read": {"agency": "Tòa án nhân dân khu vực"}})) == []


def test_pre_2025_names_unofficial_links_and_mismatched_codes_are_problems() -> None:
    assert any("01/7/2025" in p for p in problems(entry(agency="Bảo hiểm xã hội cấp huyện")))
    assert any(p.startswith("record_url") for p in problems(entry(record_url="https://example.com/thu-tuc-123")))
    home = problems(entry(record_url="https://dichvucong.gov.vn/"))
    assert any(p.startswith("record_url") for p in home)
    assert any(p.startswith("provenance.as_read.code") for p in problems(entry(
        provenance={"source": RECORD, "read_on": "2026-12-06", "at": "x", "as_read": {"code": "1.000001",
                                                                                      "agency": "x"}})))
    assert any(p.startswith("provenance.read_on") for p in problems(entry(
        provenance={"source": RECORD, "read_on": "2027-01-01", "at": "x", "as_read": {"code": "1.001613",
                                                                                      "agency": "x"}})))


def test_an_alias_shared_by_two_entries_is_a_problem() -> None:
    other = entry(id="bhxh-khac", national_code="1.001614", aliases=["rút bảo hiểm xã hội một lần"],
                  provenance={"source": RECORD, "read_on": "2026-12-06", "at": "x",
                              "as_read": {"code": "1.001614", "agency": "x"}})
    assert any(p.startswith("aliases") for p in problems(entry(), other))


def test_kb_validate_reports_a_broken_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = Path(catalogue.CATALOGUE_DIR)
    for name in catalogue.CATALOGUE_FILES:
        (tmp_path / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    data = yaml.safe_load((tmp_path / "courts.yml").read_text(encoding="utf-8"))
    data["entries"][1]["agency"] = "Tòa án nhân dân cấp huyện"
    (tmp_path / "courts.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    paths = sorted(Path("knowledge_base/procedures").glob("*.yml"))
    assert validate(paths, on=TODAY, strict=False, catalogue_dir=tmp_path) == 1
    err = capsys.readouterr()
    assert "courts.yml: record 'ly-hon-thuan-tinh', field agency" in err.err
    assert "the catalogue has 1 problems" in err.out
    assert validate(paths, on=TODAY, strict=False) == 0
    assert "catalogue: " in capsys.readouterr().out


# --- search -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "expected"), [
    ("thu tuc ly hon khi chong khong chiu ky don", "ly-hon-don-phuong"),
    ("Tôi làm công nhân 7 năm, đã nghỉ việc, không đóng BHXH tự nguyện. Giờ khó khăn tôi muốn rút BHXH một lần, "
     "nộp ở đâu?", "bhxh-mot-lan"),
    ("cho bạn vay tiền có giấy viết tay giờ không trả, kiện đòi nợ ở đâu", "doi-no-hop-dong-vay"),
    ("Xe ô tô ở Cần Thơ sắp hết hạn đăng kiểm, đặt lịch đăng kiểm ở đâu?", "dang-kiem-o-to"),
    ("tach thua dat de chia cho con can giay to gi", "tach-hop-thua-dat"),
])
def test_search_finds_the_procedure_a_question_names(question: str, expected: str) -> None:
    hit = catalogue.search(question)
    assert hit is not None and hit.entry.id == expected


def test_small_talk_and_unrelated_words_find_nothing() -> None:
    for question in ("thời tiết hôm nay thế nào", "cảm ơn bạn nhiều", "kể chuyện cười đi"):
        assert catalogue.search(question) is None


def test_a_run_beats_the_same_words_in_pieces_and_pieces_are_not_sure() -> None:
    index = CatalogueIndex([
        entry(id="tro-lai", name="Trở lại quốc tịch Việt Nam", national_code="2.002038",
              aliases=["trở lại quốc tịch việt nam"],
              provenance={"source": RECORD, "read_on": "2026-12-06", "at": "x",
                          "as_read": {"code": "2.002038", "agency": "Sở Tư pháp"}}),
        entry(id="thoi", name="Thôi quốc tịch Việt Nam", national_code="2.002036", aliases=["bỏ quốc tịch việt nam"],
              provenance={"source": RECORD, "read_on": "2026-12-06", "at": "x",
                          "as_read": {"code": "2.002036", "agency": "Sở Tư pháp"}}),
    ])
    hit = index.search("Tôi muốn xin trở lại quốc tịch Việt Nam, có phải bỏ quốc tịch Đức không?")
    assert hit is not None and hit.entry.id == "tro-lai" and hit.sure
    pieces = index.search("bỏ quốc tịch Đức để giữ quốc tịch Việt Nam")
    assert pieces is not None and pieces.entry.id == "thoi" and not pieces.sure


def test_a_near_phrase_offers_the_closest_procedure_as_such() -> None:
    hit = catalogue.search("Tôi 56 tuổi, đóng BHXH 31 năm, hồ sơ hưởng lương hưu do ai lập?")
    assert hit is not None and hit.near and not hit.sure
    assert "Thủ tục gần nhất" in catalogue.reply(hit).text


# --- the reply ----------------------------------------------------------------------------------------------


def test_the_reply_says_no_guide_names_the_body_links_the_record_and_has_no_procedure_button() -> None:
    hit = catalogue.search("rút bảo hiểm xã hội một lần ở đâu")
    assert hit is not None and hit.sure
    message = catalogue.reply(hit)
    assert message.text.startswith("Trợ lý chưa có hướng dẫn chi tiết cho thủ tục “Hưởng bảo hiểm xã hội một lần”")
    assert "cơ quan Bảo hiểm xã hội nơi bạn cư trú" in message.text and hit.entry.record_url in message.text
    assert "1.001613" in message.text
    assert message.buttons == [{"title": "Gặp cán bộ", "payload": "/request_human"}]


def test_a_court_matter_names_the_court() -> None:
    hit = catalogue.search("chồng tôi bỏ đi 4 năm không liên lạc, tôi muốn đơn phương ly hôn")
    assert hit is not None and "court" in hit.entry.levels
    text = catalogue.reply(hit).text
    assert "Tòa án nhân dân khu vực" in text and "không phải thủ tục hành chính" in text
    assert "https://dichvucong.gov.vn/" in text


def test_a_question_names_an_other_procedure_unless_it_names_a_guide_as_clearly() -> None:
    guides = catalogue.GuideNames([("xoa-dang-ky-thuong-tru", "xóa hộ khẩu"),
                                   ("xac-nhan-tinh-trang-hon-nhan", "xác nhận tình trạng hôn nhân"),
                                   ("huong-tro-cap-that-nghiep", "trợ cấp thất nghiệp")])
    hit = catalogue.names_other_procedure("Tôi nghỉ việc đã lâu, giờ muốn rút bhxh một lần thì làm sao?", guides)
    assert hit is not None and hit.entry.id == "bhxh-mot-lan"
    # a guide's name after the other procedure's (the letter's question comes last), or a longer one: not ours to say
    assert catalogue.names_other_procedure("Tôi đã thôi quốc tịch Việt Nam, công an gọi về xóa hộ khẩu ạ?", guides) \
        is None
    assert catalogue.names_other_procedure("Xin xác nhận tình trạng hôn nhân để cưới lại, bản ghi chú ly hôn cũ "
                                           "dùng được không?", guides) is None
    assert catalogue.names_other_procedure("thủ tục làm căn cước cho con", guides) is None  # no catalogue name
