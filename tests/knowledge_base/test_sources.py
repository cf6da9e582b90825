"""A fact's source must be the official record's own page: the URLs refused and accepted."""

from __future__ import annotations

import pytest

from knowledge_base.sources import deep_link, describe_source, is_record_source

REFUSED = [
    "",
    "dichvucong.gov.vn",
    "https://dichvucong.gov.vn",
    "https://dichvucong.gov.vn/",
    "https://dichvucong.bocongan.gov.vn",
    "https://vneid.gov.vn/",
    "https://thutuc.dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html",
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
    "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html?ma_thu_tuc=",
    "https://baohiemxahoi.gov.vn/tintuc/Pages/default.aspx",
    "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/",
    "ftp://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.115978",
    "1.11597",
    "https://vanban.chinhphu.vn/",
    "https://vanban.chinhphu.vn/?pageid=27160",
    "https://vanban.chinhphu.vn/?pageid=27160&docid=",
]
ACCEPTED = [
    "1.115978",
    "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.115978",
    "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
    "https://dichvucong.bocongan.gov.vn/bocongan/bothutuc/tthc?matt=61555",
    "https://congan.phutho.gov.vn/article/thu-tuc-hanh-chinh/Cap-ho-chieu-pho-thong-o-trong-nuoc-2357-17",
    "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
    "https://thuvienphapluat.vn/van-ban/Thue-Phi-Le-Phi/Thong-tu-64-2025-TT-BTC-654321.aspx",
    "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=166123",
    "https://vanban.chinhphu.vn/?pageid=27160&docid=219230",
]


@pytest.mark.parametrize("url", REFUSED)
def test_home_listing_and_search_pages_are_refused(url: str) -> None:
    assert not is_record_source(url)


@pytest.mark.parametrize("url", ACCEPTED)
def test_pages_that_carry_the_record_are_accepted(url: str) -> None:
    assert is_record_source(url)


def test_a_bare_code_reads_as_the_national_record_and_links_to_it() -> None:
    assert describe_source("1.115978") == "Cổng Dịch vụ công quốc gia, thủ tục 1.115978"
    assert deep_link("1.115978") == "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.115978"
    assert describe_source("https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.115978") == describe_source("1.115978")
    assert describe_source(ACCEPTED[4]) == "Cổng thông tin Công an tỉnh Phú Thọ"
