"""The printable checklist of a published procedure ("Phiếu hướng dẫn", `/phieu/<id>`): the record's checklist
(`knowledge_base.checklist`) on the office's date, the one-stop shop's address and hours from the settings, and the
QR code of the record's deep official link (segno, inline SVG: no image file, no outside service). No FastAPI here.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from sqlalchemy.orm import Session

from api.core.config import Settings
from api.services import kb_store, office_info
from knowledge_base import checklist
from knowledge_base.checklist import Checklist

RECEIPT_WIDTH_MM = 80  # `?w=80`: a receipt printer's paper


@dataclass(frozen=True)
class ChecklistPage:
    sheet: Checklist
    qr_svg: str  # an inline <svg> of the record's deep link
    office_name: str  # "Bộ phận một cửa" (+ the province)
    office_address: str  # empty when the settings give none
    office_hours: str
    narrow: bool  # the 80 mm receipt layout


def qr_svg(link: str) -> str:
    """The QR code of `link` as an inline SVG whose size the page's CSS sets (error correction M: a smudged
    print still reads)."""
    return str(segno.make(link, error="m", micro=False).svg_inline(scale=1, border=4, omitsize=True,
                                                                  title="Mã QR tới trang chính thức của thủ tục"))


def checklist_url(settings: Settings, procedure_id: str) -> str | None:
    """The public address of a procedure's checklist, or None when the app's public address is not set."""
    return f"{settings.public_base_url}/phieu/{procedure_id}" if settings.public_base_url else None


def checklist_page(db: Session, settings: Settings, procedure_id: str, *, width_mm: int | None = None) -> ChecklistPage:
    """The page of a published procedure (404 `not_found` otherwise), on the office's date."""
    procedure = kb_store.require_published(db, procedure_id)
    sheet = checklist.build(procedure, settings.today())
    province = f" {settings.province_name}" if settings.province_name else ""
    office = office_info.current(db, settings.office_hours)  # what an admin saved in the console comes first
    return ChecklistPage(sheet=sheet, qr_svg=qr_svg(sheet.record_link), office_name=f"Bộ phận một cửa{province}",
                         office_address=office.address or settings.office_address, office_hours=office.hours,
                         narrow=width_mm == RECEIPT_WIDTH_MM)
