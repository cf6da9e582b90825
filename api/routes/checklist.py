"""The printable checklist of a procedure, a public page: `GET /phieu/<id>` (A4) and `GET /phieu/<id>?w=80` (an
80 mm receipt printer). Print-ready HTML (the page's own CSS, the QR code inline, no script, nothing fetched from
elsewhere), linked from the bot's answers on the widget and Telegram when `PUBLIC_BASE_URL` is set, and from the
console's knowledge-base consult."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from api.core.errors import AppError
from api.deps import SessionDep
from api.services import checklist

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-cache"}  # the fee in force changes with the date
BAD_WIDTH = "Khổ giấy chỉ có thể là A4 (để trống) hoặc 80 (giấy in hoá đơn 80 mm), ví dụ /phieu/dang-ky-khai-sinh?w=80."


@router.get("/phieu/{procedure_id}")
def checklist_page(request: Request, procedure_id: str, db: SessionDep, w: str = "") -> Response:
    """The checklist of a published procedure on the office's date; a clear Vietnamese page for a bad request."""
    if w not in ("", str(checklist.RECEIPT_WIDTH_MM)):
        return _error(request, BAD_WIDTH, 422)
    try:
        page = checklist.checklist_page(db, request.app.state.settings, procedure_id,
                                        width_mm=int(w) if w else None)
    except AppError as error:
        return _error(request, error.message, error.status)
    return templates.TemplateResponse(request, "checklist.html", {"page": page}, headers=HEADERS)


def _error(request: Request, message: str, status: int) -> Response:
    return templates.TemplateResponse(request, "checklist_error.html", {"message": message}, status_code=status,
                                      headers=HEADERS)
