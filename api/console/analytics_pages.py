"""The analytics dashboard (/console/analytics): how the assistant serves the province, by period and channel.

Admins see everything and every officer's numbers; an officer sees only their own (/console/analytics/officers/
{their id}; another officer's page or the province's export is refused with 403). Every table can be downloaded
as CSV (cells neutralised against spreadsheet formulas; question texts masked). Charts are SVG drawn on the server
(leather), no script and no CDN.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.console.analytics_charts import line_chart
from api.console.web import ConsoleForbidden, ConsoleUser, render
from api.core.config import get_settings
from api.core.errors import AppError
from api.db.models import Role, StaffUser
from api.deps import SessionDep
from api.domain.spreadsheet import csv_text
from api.services import analytics
from knowledge_base.vocabulary import ASPECT_LABELS

router = APIRouter(prefix="/analytics")

Period = Annotated[str, Query(pattern="^(7d|30d|90d|12m)$")]
Channel = Annotated[str, Query(pattern="^[a-z0-9_-]{0,32}$")]
TableName = Annotated[str, Query(pattern="^[a-z_]{1,32}$")]
DECISION_NAMES = {"answer": "Trả lời", "clarify": "Hỏi lại cho rõ", "none": "Không có câu trả lời",
                  "out_of_scope": "Ngoài phạm vi / chào hỏi", "handoff": "Chuyển cán bộ", "busy": "Báo bận",
                  "unavailable": "Trợ lý gián đoạn", "complaint": "Phản ánh", "rating": "Đánh giá",
                  "greet": "Chào"}


def _filters(period: str, channel: str) -> analytics.Filters:
    return analytics.filters_for(period, channel or None, get_settings().today())


def _may_see(user: StaffUser, officer_id: int) -> None:
    if user.role != Role.admin and user.id != officer_id:
        raise ConsoleForbidden("Bạn chỉ xem được số liệu của chính mình.")


def _admin(user: StaffUser) -> None:
    if user.role != Role.admin:
        raise ConsoleForbidden("Số liệu của cả tỉnh chỉ dành cho quản trị viên.")


def _csv(name: str, table: analytics.Table, f: analytics.Filters) -> Response:
    body = "\ufeff" + csv_text(table.columns, table.rows)  # the BOM: spreadsheets read the Vietnamese as UTF-8
    filename = f"{name}-{f.start.isoformat()}-{f.end.isoformat()}{'-' + f.channel if f.channel else ''}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("")
def dashboard_page(request: Request, db: SessionDep, user: ConsoleUser, period: Period = "30d",
                   channel: Channel = "") -> Response:
    if user.role != Role.admin:
        return RedirectResponse(f"/console/analytics/officers/{user.id}?period={period}", status_code=303)
    settings, f = get_settings(), _filters(period, channel)
    board = analytics.dashboard(db, f, settings.zone(), settings.office())
    charts = {
        "conversations": line_chart(board.trend["conversations"], "Cuộc trò chuyện mỗi ngày"),
        "answer_rate": line_chart(board.trend["answer_rate"], "Tỉ lệ trả lời được (%)"),
        "handoffs": line_chart(board.trend["handoffs"], "Chuyển cán bộ mỗi ngày"),
    }
    return render(request, "analytics/dashboard.html", {
        "board": board, "s": board.summary, "t": board.tables, "charts": charts, "periods": analytics.PERIODS,
        "channels": board.summary["channels"], "decision_names": DECISION_NAMES, "aspect_names": ASPECT_LABELS,
        "query": f"period={f.period}&channel={f.channel or ''}"})


@router.get("/export/{table}.csv")
def export_table(db: SessionDep, user: ConsoleUser, table: str, period: Period = "30d",
                 channel: Channel = "") -> Response:
    _admin(user)
    settings, f = get_settings(), _filters(period, channel)
    found = analytics.table(db, f, settings.zone(), settings.office(), table)
    if found is None:
        raise _not_found()
    return _csv(table, found, f)


def _not_found() -> AppError:
    return AppError(404, "not_found", "Không có bảng số liệu này.")


@router.get("/officers/{officer_id}")
def officer_page(request: Request, db: SessionDep, user: ConsoleUser, officer_id: int, period: Period = "30d",
                 channel: Channel = "") -> Response:
    _may_see(user, officer_id)
    settings, f = get_settings(), _filters(period, channel)
    name = analytics.officer_names(db, {officer_id}).get(officer_id)
    if name is None:
        raise _not_found()
    board = analytics.officer_dashboard(db, f, settings.zone(), officer_id)
    chart = line_chart(board.trend["conversations"], "Cuộc trò chuyện đã nhận mỗi ngày")
    return render(request, "analytics/officer.html", {
        "board": board, "s": board.summary, "t": board.tables, "chart": chart, "periods": analytics.PERIODS,
        "channels": analytics.channels(db), "officer_id": officer_id, "officer_name": name,
        "query": f"period={f.period}&channel={f.channel or ''}"})


@router.get("/officers/{officer_id}/export/{table}.csv")
def export_officer_table(db: SessionDep, user: ConsoleUser, officer_id: int, table: str, period: Period = "30d",
                         channel: Channel = "") -> Response:
    _may_see(user, officer_id)
    settings, f = get_settings(), _filters(period, channel)
    board = analytics.officer_dashboard(db, f, settings.zone(), officer_id)
    if table not in board.tables:
        raise _not_found()
    return _csv(f"officer-{officer_id}-{table}", board.tables[table], f)
