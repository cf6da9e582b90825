"""The FastAPI application: gateway, knowledge base, staff API. Run: uvicorn api.main:app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import console
from api.channels import web
from api.channels.telegram import webhook as telegram_webhook
from api.channels.telegram.bot import TelegramChannel
from api.channels.zalo import webhook as zalo_webhook
from api.channels.zalo.bot import ZaloChannel
from api.core.access_log import AccessLogMiddleware
from api.core.body_limit import BodyLimitMiddleware
from api.core.config import Settings, get_settings
from api.core.errors import install_error_handlers
from api.core.logging import configure_logging
from api.core.login_throttle import LoginThrottle
from api.core.nul_guard import NulGuardMiddleware
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.routes import (
    admin_kb,
    admin_unanswered,
    assistant,
    auth,
    bot,
    chat,
    checklist,
    handoffs,
    health,
    procedures,
    search,
    staff_directory,
    staff_users,
)
from api.runtime.rasa_client import RasaClient
from api.services import events, kb_store, retention, search_index
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
        app.state.login_throttle = LoginThrottle(settings.redis_url)
        app.state.events = events.make_bus(settings.redis_url)
        events.install(app.state.events)
        await app.state.events.start()
        with session_scope() as db:
            if report := kb_store.seed_if_empty(db):
                log.info("knowledge base seeded", extra={"records": len(report.created)})
        app.state.search = search_index.make_search_service(settings)
        app.state.gateway = Gateway(settings, app.state.rasa, app.state.limits,
                                    prepare=app.state.search.warm_in_background if settings.warm_questions else None)
        app.state.kb_sync = search_index.KbSync(app.state.search)
        app.state.index_rebuilds = app.state.kb_sync.rebuilds  # failures shown to admins, retried
        app.state.on_kb_published = app.state.kb_sync.refresh  # this replica at once; the others on the `kb` signal
        app.state.kb_sync.refresh()
        await app.state.kb_sync.start(app.state.events)
        app.state.backlog = Backlog(app.state.gateway, settings, workers=max(1, settings.max_turns_in_flight // 4))
        app.state.backlog.start()
        app.state.telegram = None
        if settings.telegram_bot_token.get_secret_value():  # no token: nothing Telegram-related starts
            app.state.telegram = TelegramChannel(settings, app.state.gateway)
            await app.state.telegram.start()
        app.state.zalo = None
        if settings.zalo_app_id:  # no app id: nothing Zalo-related starts
            app.state.zalo = ZaloChannel(settings, app.state.gateway)
            await app.state.zalo.start()
        purging = asyncio.create_task(retention.schedule(settings)) if settings.retention_every_hours else None
        log.info("app started", extra={"database": settings.database_url.split(":", 1)[0], "rasa": settings.rasa_url})
        yield
        if purging is not None:
            purging.cancel()
        if app.state.telegram is not None:
            await app.state.telegram.stop()
        if app.state.zalo is not None:
            await app.state.zalo.stop()
        await app.state.backlog.stop()
        await app.state.kb_sync.stop()
        app.state.search.close()
        await app.state.rasa.close()
        await app.state.events.close()

    public_docs = settings.environment != "production"  # in production the spec is only had in-process: app.openapi()
    app = FastAPI(title="Trợ lý ảo thủ tục hành chính", version="0.1.0", lifespan=lifespan,
                  description="Gateway, knowledge base and staff API of the public-services assistant.",
                  docs_url="/docs" if public_docs else None, redoc_url="/redoc" if public_docs else None,
                  openapi_url="/openapi.json" if public_docs else None)
    app.add_middleware(NulGuardMiddleware)  # inside the body limit: reads only bodies the limit let through
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       overrides={"/api/v1/admin/kb/import": admin_kb.IMPORT_MAX_BYTES})
    install_error_handlers(app)
    for module in (health, assistant, chat, search, procedures, bot, auth, staff_users, handoffs, admin_kb,
                   admin_unanswered, staff_directory, checklist):
        app.include_router(module.router)
    app.include_router(web.router)  # the widget: /widget.js and WS /api/v1/widget/ws
    app.include_router(web.pages)  # the demo portal page at "/"
    app.include_router(telegram_webhook.router)  # POST /telegram/webhook (404 unless in webhook mode)
    app.include_router(zalo_webhook.router)  # POST /zalo/webhook (404 without ZALO_APP_ID)
    console.install(app)

    app.add_middleware(AccessLogMiddleware)  # outermost of ours: times everything below it
    return app


app = create_app()
