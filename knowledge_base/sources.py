"""Is a source the official record's own page? A fact's source must let anyone open the record it was read from:
a portal's home, listing or search page does not.

Accepted: a bare national record code ("1.115978"); a URL carrying the record: `/dich-vu-cong-truc-tuyen/<code>`,
a `ma_thu_tuc=` or `matt=` parameter (`ItemID=` or `docid=` for a legal text), or a record id ending the path (a
provincial portal's `…-2357-17`, the national portal's `/thu-tuc-hanh-chinh/<uuid>`, a legal text's `…-123456.aspx`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

CODE_RE = re.compile(r"^\d\.\d{6}$")
LISTING_PATHS = {"/p/home/dvc-tthc-thu-tuc-hanh-chinh.html", "/p/home/dvc-trang-chu.html"}
RECORD_PATH_RE = re.compile(r"/dich-vu-cong-truc-tuyen/\d\.\d{6}(?:/|$)")
# itemid: a legal text's page on vbpl.vn; docid: on vanban.chinhphu.vn (the government's legal texts)
RECORD_PARAMS = ("ma_thu_tuc", "matt", "itemid", "docid")
# a record id ending the last path segment: "-2357-17", "-123456.aspx", a bare number or a UUID-like hex id
RECORD_ID_RE = re.compile(r"(?:-\d+(?:-\d+)?|^\d+|^[0-9a-f]{8}-[0-9a-f-]{8,})(?:\.(?:html?|aspx))?$", re.IGNORECASE)


def source_problem(source: str) -> str | None:
    """Why `source` is not a record's page (in Vietnamese, for the admin), or None when it is one."""
    source = source.strip()
    if CODE_RE.match(source):
        return None
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "phải là đường dẫn https:// tới trang của thủ tục, hoặc mã thủ tục quốc gia (ví dụ 1.115978)"
    path = parts.path.rstrip("/")
    query = {key.lower(): values for key, values in parse_qs(parts.query).items()}
    if RECORD_PATH_RE.search(parts.path) or any(query.get(name, [""])[0].strip() for name in RECORD_PARAMS):
        return None
    if not path:
        return "là trang chủ của cổng, không phải trang của thủ tục; hãy dẫn tới trang riêng của thủ tục"
    if path in LISTING_PATHS:
        return "là trang danh sách hoặc tìm kiếm thủ tục, không phải trang của thủ tục"
    if RECORD_ID_RE.search(path.rsplit("/", 1)[-1]):
        return None
    return ("không cho biết thủ tục nào: cần đường dẫn có mã thủ tục (/dich-vu-cong-truc-tuyen/<mã>, ma_thu_tuc=, "
            "matt=) hoặc mã bản ghi ở cuối đường dẫn")


def is_record_source(source: str) -> bool:
    return source_problem(source) is None


def describe_source(source: str) -> str:
    """A short name of where a fact was read, for the citizen: 'Cổng Dịch vụ công quốc gia, thủ tục 1.115978'."""
    source = source.strip()
    if CODE_RE.match(source):
        return f"Cổng Dịch vụ công quốc gia, thủ tục {source}"
    parts = urlsplit(source)
    host = parts.netloc.lower().removeprefix("www.")
    code = RECORD_PATH_RE.search(parts.path)
    if host.endswith("dichvucong.gov.vn") and code:
        return f"Cổng Dịch vụ công quốc gia, thủ tục {code.group(0).strip('/').rsplit('/', 1)[-1]}"
    if host == "dichvucong.bocongan.gov.vn":
        return "Cổng Dịch vụ công Bộ Công an"
    if host.endswith("dichvucong.gov.vn"):
        return "Cổng Dịch vụ công quốc gia"
    if host.startswith("congan.") and host.endswith(".gov.vn"):
        province = host.removeprefix("congan.").removesuffix(".gov.vn")
        return {"phutho": "Cổng thông tin Công an tỉnh Phú Thọ"}.get(province, f"Cổng thông tin Công an ({host})")
    return host or source


def deep_link(source: str) -> str:
    """The URL to show for a source: a bare national code becomes its record page on the national portal."""
    source = source.strip()
    return f"https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/{source}" if CODE_RE.match(source) else source
