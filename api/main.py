"""The FastAPI application: gateway, knowledge base, staff API. Run: uvicorn api.main:app."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from api import console
from api.channels import web
from api.channels.telegram import webhook as telegram_webhook
from api.channels.telegram.bot import TelegramChannel
from api.core.body_limit import BodyLimitMiddleware
from api.core.config import Settings, get_settings
from api.core.errors import install_error_handlers
from api.core.input_guard import NulGuardMiddleware
from api.core.logging import configure_logging
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.routes import (
    admin_kb,
    admin_unanswered,
    assistant,
    auth,
    bot,
    chat,
    handoffs,
    health,
    procedures,
    search,
    staff_directory,
    staff_users,
)
from api.runtime.rasa_client import RasaClient
from api.services import events, kb_store, search_index
from api.services.backlog import Backlog
from api.services.gateway import Gateway

log = logging.getLogger("api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.rasa = RasaClient(settings.rasa_url, settings.turn_timeout_s,
                                    max_connections=settings.max_turns_in_flight * 2, token=settings.rasa_token)
        app.state.limits = RateLimits(settings.redis_url, conversation_per_minute=settings.conversation_rate_per_minute,
                                      client_per_minute=settings.client_rate_per_minute,
                                      search_per_minute=settings.search_rate_per_minute)
        app.state.gateway = Gateway(settings, app.state.rasa, app.state.limits)
        app.state.events = events.make_bus(settings.redis_url)
        events.install(app.state.events)
        await app.state.events.start()
        with session_scope() as db:
            if report := kb_store.seed_if_empty(db):
                log.info("knowledge base seeded", extra={"records": len(report.created)})
        app.state.search = search_index.make_search_service(settings)
        app.state.on_kb_published = lambda: search_index.rebuild_in_background(app.state.search)
        search_index.rebuild_in_background(app.state.search)
        app.state.backlog = Backlog(app.state.gateway, settings, workers=max(1, settings.max_turns_in_flight // 4))
        app.state.backlog.start()
        app.state.telegram = None
        if settings.telegram_bot_token.get_secret_value():  # no token: nothing Telegram-related starts
            app.state.telegram = TelegramChannel(settings, app.state.gateway)
            await app.state.telegram.start()
        log.info("app started", extra={"database": settings.database_url.split(":", 1)[0], "rasa": settings.rasa_url})
        yield
        if app.state.telegram is not None:
            await app.state.telegram.stop()
        await app.state.backlog.stop()
        app.state.search.close()
        await app.state.rasa.close()
        await app.state.events.close()

    app = FastAPI(title="Trợ lý ảo thủ tục hành chính", version="0.1.0", lifespan=lifespan,
                  description="Gateway, knowledge base and staff API of the public-services assistant.")
    app.add_middleware(NulGuardMiddleware)  # inside the body limit: reads only bodies the limit let through
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       overrides={"/api/v1/admin/kb/import": admin_kb.IMPORT_MAX_BYTES})
    install_error_handlers(app)
    for module in (health, assistant, chat, search, procedures, bot, auth, staff_users, handoffs, admin_kb,
                   admin_unanswered, staff_directory):
        app.include_router(module.router)
    app.include_router(web.router)  # the widget: /widget.js and WS /api/v1/widget/ws
    app.include_router(web.pages)  # the demo portal page at "/"
    app.include_router(telegram_webhook.router)  # POST /telegram/webhook (404 unless in webhook mode)
    console.install(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        if request.url.path not in ("/healthz", "/readyz"):
            log.info("request", extra={"method": request.method, "path": request.url.path,
                                       "status": response.status_code,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
        return response

    return app


app = create_app()
