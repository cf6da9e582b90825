"""GET /api/v1/search: the knowledge base searched as the bot searches it (public, rate-limited)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api.core.errors import AppError
from api.core.rate_limits import RateLimits, too_many
from api.schemas import SearchHit, SearchOut
from knowledge_base.service import IndexNotReadyError

router = APIRouter(prefix="/api/v1", tags=["search"])


def run_search(request: Request, q: str, k: int) -> SearchOut:
    if not q.strip():
        raise AppError(422, "empty_query", "Bạn vui lòng nhập nội dung cần tra cứu.")
    try:
        response = request.app.state.search.search(q, k)
    except IndexNotReadyError:
        raise AppError(503, "index_not_ready",
                       "Hệ thống đang khởi động chỉ mục tra cứu, vui lòng thử lại sau giây lát.") from None
    return SearchOut(decision=response.decision, aspect=response.aspect,
                     results=[SearchHit(**r.model_dump()) for r in response.results])


@router.get("/search", response_model=SearchOut, summary="Search procedures (diacritics optional)")
async def search(request: Request, q: str = Query(..., max_length=2000, description="the question, as typed"),
                 k: int = Query(5, ge=1, le=20)) -> SearchOut:
    limits: RateLimits = request.app.state.limits
    verdict = await limits.hit(limits.search, request.client.host if request.client else "unknown")
    if not verdict.allowed:
        raise too_many(verdict, "Bạn tra cứu quá nhiều lần trong một phút, vui lòng thử lại sau ít phút.")
    return await run_in_threadpool(run_search, request, q, k)
