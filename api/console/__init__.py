"""The staff console: server-rendered Vietnamese pages (Jinja2 + htmx) for officers and admins, under /console.

Pages call the same services as the REST API (`api.services`: handoffs, kb_store, staff, unanswered…); they never
import a REST route module nor call the API over HTTP. Each page module owns its router; this package assembles them
and the error handling.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import (
    analytics_pages,
    auth_pages,
    conversation_pages,
    history_pages,
    kb_pages,
    live,
    queue_pages,
    quick_replies,
)
from api.console.admin_audit_pages import router as admin_audit_router
from api.console.admin_kb_pages import router as admin_kb_router
from api.console.admin_office_pages import router as admin_office_router
from api.console.admin_review_pages import router as admin_review_router
from api.console.admin_unanswered_pages import router as admin_unanswered_router
from api.console.admin_users_pages import router as admin_users_router
from api.console.web import (
    HERE,
    ConsoleForbidden,
    LoginRequired,
    PasswordChangeRequired,
    error_page,
    login_redirect,
)
from api.core.errors import AppError
from api.core.security_headers import SecurityHeadersMiddleware

# Every console response: scripts and styles only from the console itself (no inline code, so an injected link or
# attribute cannot run), never framed, types as declared, HTTPS only (browsers ignore HSTS over plain HTTP).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                               "object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(prefix="/console", include_in_schema=False)
router.include_router(auth_pages.router)
router.include_router(admin_kb_router)
router.include_router(admin_review_router)
router.include_router(admin_unanswered_router)
router.include_router(admin_users_router)
router.include_router(admin_office_router)
router.include_router(admin_audit_router)
router.include_router(queue_pages.router)
router.include_router(conversation_pages.router)
router.include_router(live.router)
router.include_router(kb_pages.router)
router.include_router(history_pages.router)
router.include_router(quick_replies.router)
router.include_router(analytics_pages.router)


def install(app: FastAPI) -> None:
    app.include_router(router)

    # pure ASGI (not `@app.middleware("http")`): the API's responses leave untouched, headers and body in one step
    app.add_middleware(SecurityHeadersMiddleware, prefix="/console", headers=SECURITY_HEADERS)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, error: LoginRequired) -> Response:
        return login_redirect(request, error)

    @app.exception_handler(PasswordChangeRequired)
    async def _to_password(request: Request, _: PasswordChangeRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/console/password"})
        return RedirectResponse("/console/password", status_code=303)

    @app.exception_handler(ConsoleForbidden)
    async def _forbidden(request: Request, error: ConsoleForbidden) -> Response:
        return error_page(request, error.message, 403)

    api_errors = app.exception_handlers[AppError]

    @app.exception_handler(AppError)
    async def _refused(request: Request, error: AppError) -> Response:
        """Domain refusals (unknown record, claimed by someone else…) on console pages as the console shows them;
        the API keeps its JSON."""
        if request.url.path.startswith("/console"):
            return error_page(request, error.message, error.status)
        handled = api_errors(request, error)  # Starlette allows sync handlers too; the API's is async
        return handled if isinstance(handled, Response) else await handled
