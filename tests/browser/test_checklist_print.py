"""Every procedure's printable checklist as Chromium prints it, A4 and 80 mm: exactly one A4 page, body text of at
least 10 pt, and the printed text holds every required paper, the fee in force on the print date, the agency, the
print date and the source; the QR code, read back from the rendered page, is the record's deep official link.

The pages come from the app (its test client, the module's database of seeded records) and are printed from their
HTML (the page is self-contained: its own CSS, the QR code inline, no script). With UPDATE_DOCS_SCREENSHOTS=1 one
checklist is also saved as docs/console/phieu-huong-dan.png (docs/console.md).
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from knowledge_base.answers import money
from knowledge_base.checklist import record_link
from knowledge_base.records import Procedure
from knowledge_base.sources import is_record_source
from tests.utils.browser import ROOT, artifact_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

A4 = (595.28, 841.89)  # pt
RECEIPT_WIDTH = 80 / 25.4 * 72  # 226.77 pt
MIN_TEXT_PT = 10.0
SHOWN = "dang-ky-khai-sinh"  # the checklist pictured in docs/console.md


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def sheets(migrated: None) -> Iterator[dict[str, Any]]:
    """Every published procedure with its A4 and 80 mm pages, fetched before Chromium starts."""
    from fastapi.testclient import TestClient

    from api.db.base import session_scope
    from api.main import create_app
    from api.services import kb_store

    with TestClient(create_app(), base_url="https://testserver") as client:
        today = client.app.state.settings.today()  # type: ignore[attr-defined]
        with session_scope() as db:
            procedures = kb_store.published_procedures(db)
        pages = {}
        for procedure in procedures:
            a4, narrow = client.get(f"/phieu/{procedure.id}"), client.get(f"/phieu/{procedure.id}?w=80")
            assert a4.status_code == narrow.status_code == 200, procedure.id
            pages[procedure.id] = (procedure, a4.text, narrow.text)
    yield {"today": today, "pages": pages}


def read_page(page: Any) -> tuple[str, list[tuple[str, float]]]:
    """A PDF page's text, and (text, size in pt as printed) of every run of it."""
    sizes: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                      tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        sizes.append((text, size * math.sqrt(abs(a * d - b * c))))

    return page.extract_text(visitor_text=visit), sizes


def qr_codes(pdf: bytes) -> list[str]:
    """The QR codes read from the first page rendered at 144 dpi."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2, grayscale=True).to_numpy()
    finally:
        document.close()
    if image.ndim == 3:
        image = image[:, :, 0]
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def check_text(procedure: Procedure, text: str, today: Any) -> list[str]:
    """What the printed text misses."""
    text, missing = flat(text), []
    for document in procedure.documents:
        if document.required and flat(document.name) not in text:
            missing.append(f"document {document.name!r}")
    for fee in procedure.fees_in_force(today):
        if money(fee.amount) not in text:
            missing.append(f"fee {money(fee.amount)}")
    for wanted in (procedure.agency, f"In ngày {today.strftime('%d/%m/%Y')}", "Nguồn:"):
        if flat(wanted) not in text:
            missing.append(repr(wanted))
    if record_link(procedure) not in re.sub(r"\s", "", text):  # a long link is broken across lines
        missing.append(f"source link {record_link(procedure)}")
    return missing


def test_every_checklist_prints_on_one_a4_page_and_reads_back(browser: Any, sheets: dict[str, Any]) -> None:
    from pypdf import PdfReader

    assert len(sheets["pages"]) == 40
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    problems: list[str] = []
    smallest = math.inf
    for procedure_id, (procedure, a4_html, narrow_html) in sheets["pages"].items():
        link = record_link(procedure)
        assert is_record_source(link), link
        for label, html in (("A4", a4_html), ("80mm", narrow_html)):
            page.set_content(html, wait_until="load")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            if procedure_id == SHOWN:
                artifact_path(f"phieu-{label}.pdf").write_bytes(pdf)
            reader = PdfReader(io.BytesIO(pdf))
            width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
            if label == "A4":
                if len(reader.pages) != 1:
                    problems.append(f"{procedure_id} A4: {len(reader.pages)} pages")
                if abs(width - A4[0]) > 1 or abs(height - A4[1]) > 1:
                    problems.append(f"{procedure_id} A4: page {width:.0f}×{height:.0f} pt")
            elif abs(width - RECEIPT_WIDTH) > 1:
                problems.append(f"{procedure_id} 80mm: page width {width:.1f} pt")
            read = [read_page(p) for p in reader.pages]
            text = "\n".join(page_text for page_text, _ in read)
            problems += [f"{procedure_id} {label}: missing {m}" for m in check_text(procedure, text, sheets["today"])]
            runs = [run for _, page_runs in read for run in page_runs]
            smallest = min(smallest, *(size for _, size in runs))
            small = [(t, round(s, 2)) for t, s in runs if s < MIN_TEXT_PT - 0.05]
            if small:
                problems.append(f"{procedure_id} {label}: text under {MIN_TEXT_PT} pt: {small[:3]}")
            codes = qr_codes(pdf)
            if codes != [link]:
                problems.append(f"{procedure_id} {label}: QR codes {codes}, expected [{link!r}]")
    context.close()
    assert not problems, "\n".join(problems)
    assert smallest >= MIN_TEXT_PT - 0.05


def test_a_checklist_as_the_citizen_takes_it_away(browser: Any, migrated: None) -> None:
    """A picture of one A4 checklist at print size (for the documentation), with the default office hours (the
    tests' own schedule is "every day, all day")."""
    from fastapi.testclient import TestClient

    from api.core.config import Settings
    from api.main import create_app

    settings = Settings(office_schedule=str(Settings.model_fields["office_schedule"].default))
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        a4_html = client.get(f"/phieu/{SHOWN}").text
    assert "Thứ Hai – Thứ Sáu" in a4_html
    context = browser.new_context(viewport={"width": 794, "height": 1123}, locale="vi-VN")
    page = context.new_page()
    page.set_content(a4_html, wait_until="load")
    page.emulate_media(media="print")
    path = artifact_path("phieu-huong-dan.png")
    page.screenshot(path=str(path), full_page=True)
    context.close()
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        (ROOT / "docs" / "console").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, ROOT / "docs" / "console" / "phieu-huong-dan.png")
    assert path.stat().st_size > 10_000
