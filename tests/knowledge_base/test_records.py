"""Links in records: only http(s) (a record's links are shown to citizens and in the console)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from knowledge_base.records import Form, Online, Provenance, check_http_url

BAD = ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "data:text/html,<script>x</script>",
       "file:///etc/passwd", "vbscript:msgbox", "//evil.example/x", "dichvucong.gov.vn", "https://a b.vn",
       "https://x.vn/\nSet-Cookie:a", "ftp://x.vn"]


@pytest.mark.parametrize("url", BAD)
def test_anything_but_http_links_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"http\(s\)"):
        check_http_url(url)
    with pytest.raises(ValidationError):
        Form(code="CT01", name="Tờ khai", url=url)
    with pytest.raises(ValidationError):
        Online(level="toan_trinh", url=url)
    with pytest.raises(ValidationError):
        Provenance(source=url, read_on="2026-12-01", at="Lệ phí")


def test_http_links_and_national_codes_are_accepted() -> None:
    assert Form(code="CT01", name="Tờ khai", url="https://dichvucong.gov.vn/p/home/dvc-tthc-bieu-mau.html").url
    assert Online(level="khong").url is None
    assert Provenance(source="1.115978", read_on="2026-12-01", at="Lệ phí").source == "1.115978"
    assert Provenance(source="http://vbpl.vn/x", read_on="2026-12-01", at="Điều 5").source == "http://vbpl.vn/x"
