"""One error shape for the whole API: {"error": code, "message": Vietnamese text}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class AppError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.extra = headers, extra or {}


_HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Bạn cần đăng nhập.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy nội dung yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    413: "Nội dung gửi lên quá lớn.",
    429: "Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau ít phút.",
}


def _describe(errors: list[dict]) -> str:
    parts = []
    for item in errors[:5]:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "nội dung"
        if item.get("type") == "missing":
            parts.append(f"thiếu trường '{field}'")
        elif item.get("type") in ("json_invalid", "model_attributes_type", "dict_type"):
            parts.append("nội dung không phải JSON hợp lệ")
        elif item.get("type") == "extra_forbidden":
            parts.append(f"trường '{field}' không được hỗ trợ")
        else:
            parts.append(f"trường '{field}' không hợp lệ ({item.get('msg', '')})")
    return "Yêu cầu không hợp lệ: " + "; ".join(parts) + "."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message, **exc.extra}, status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "invalid_request", "message": _describe(list(exc.errors()))}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        generic = not isinstance(exc.detail, str) or exc.detail in ("Not Found", "Unauthorized", "Method Not Allowed")
        message = _HTTP_MESSAGES.get(exc.status_code, "Đã có lỗi xảy ra.") if generic else exc.detail
        return JSONResponse({"error": f"http_{exc.status_code}", "message": message}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
