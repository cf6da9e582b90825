"""The Zalo channel: webhook events → gateway → replies through the OA message API.

Started by the app's lifespan only when `ZALO_APP_ID` is set. `accept` does what must happen before the webhook
answers Zalo (record the citizen's message for the sending rules, store it through the gateway: `client_msg_id =
"zalo:{msg_id}"`, so an event delivered twice is stored once) and leaves the bot's turn to a background task: the
acknowledgement never waits for Rasa. A citizen's messages are answered in order (a lock per citizen; the gateway
defers a message that arrives while an earlier one is still being answered).

Events: `user_send_text` (a question, or a pressed button: buttons are sent as `oa.query.hide` with the text
`#b:{stored message id}:{index}`, and the real payload is looked up in the database, as on Telegram), `follow` /
`unfollow` (pushes stop after an unfollow), and images, stickers, files and the like, answered politely that the
assistant reads text only. Every other event is acknowledged and ignored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from api.channels.zalo import sending
from api.channels.zalo.api import GONE, TOKEN_ERRORS, ZaloApi, ZaloError
from api.channels.zalo.formatting import (
    APOLOGY,
    RATE_LIMITED,
    STALE_BUTTON,
    TEXT_ONLY,
    masked,
    messages,
    parse_button,
)
from api.channels.zalo.pusher import CHANNEL, Pusher
from api.channels.zalo.tokens import TokenStore, TokenUnavailable
from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor, utcnow
from api.services import events
from api.services.gateway import CitizenMessage, Gateway, MessageRefused, Reply, Stored

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKERS = 8  # threads for database work and Zalo calls
TOKEN_CHECK_SECONDS = 60.0
MAX_EVENT_AGE = dt.timedelta(minutes=5)
NON_TEXT_EVENTS = frozenset({"user_send_image", "user_send_sticker", "user_send_gif", "user_send_file",
                             "user_send_audio", "user_send_video", "user_send_location", "user_send_link",
                             "user_send_business_card"})


class ZaloChannel:
    def __init__(self, settings: Settings, gateway: Gateway, client: httpx.Client | None = None,
                 retry_base_seconds: float = 1.0) -> None:
        if not settings.zalo_app_id:
            raise ValueError("ZALO_APP_ID is not set")
        self.settings, self.gateway = settings, gateway
        self.app_id = settings.zalo_app_id
        self.oa_secret = settings.zalo_oa_secret_key.get_secret_value()
        self.api = ZaloApi(settings.zalo_api_base_url, settings.zalo_oauth_base_url, settings.zalo_app_id,
                           settings.zalo_app_secret.get_secret_value(), client)
        self.tokens = TokenStore(self.api, settings.zalo_app_id, settings.zalo_refresh_token.get_secret_value(),
                                 settings.zalo_token_keys.get_secret_value(), settings.zalo_refresh_margin_s)
        self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="zalo")
        self.pusher = Pusher(self.send, self._executor, retry_base_seconds)
        self._locks: dict[str, asyncio.Lock] = {}
        self._told_limited: dict[str, float] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self.pusher.run(), name="zalo-pusher"),
                       asyncio.create_task(self._watch_tokens(), name="zalo-tokens")]
        log.info("zalo channel started", extra={"app_id": self.app_id})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._background:  # turns under way finish (their messages are stored either way)
            await asyncio.wait(self._background, timeout=10)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.api.close()

    def status(self) -> tuple[bool, str]:
        """For /readyz and the console: "degraded: …" when the token cannot be refreshed."""
        return self.tokens.state.ok, self.tokens.state.detail

    async def _watch_tokens(self) -> None:
        """Refresh the access token before it expires, with or without traffic; keep the shared state fresh."""
        while True:
            try:
                await self._in_thread(self.tokens.check)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("zalo: token check failed")
            await asyncio.sleep(TOKEN_CHECK_SECONDS)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    def _later(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def idle(self, timeout: float = 30) -> None:
        """Until the background turns started so far are done (tests)."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)

    # --- events --------------------------------------------------------------------------------------------

    async def accept(self, event: dict[str, Any], at: dt.datetime) -> str:
        """Take a verified event (sent at `at`): store what must be stored, start the rest; returns what was done."""
        name = str(event.get("event_name") or "")
        if name in ("follow", "unfollow"):
            user_id = str((event.get("follower") or {}).get("id") or "")
            if not user_id:
                raise ValueError("no follower id")
            await self._in_thread(self._set_following, user_id, name == "follow")
            events.get_bus().publish(events.MESSAGES)  # a follow again: what waited may go (within the window)
            log.info(f"zalo: {name}", extra={"user": masked(user_id)})
            return name
        if name != "user_send_text" and name not in NON_TEXT_EVENTS:
            return "ignored"
        user_id = str((event.get("sender") or {}).get("id") or "")
        message = event.get("message") or {}
        msg_id = str(message.get("msg_id") or "")
        if not user_id or not msg_id or len(user_id) > 64 or len(msg_id) > 50:
            raise ValueError("no sender or message id")
        fresh = await self._in_thread(self._citizen_wrote, user_id, msg_id, at)
        if name != "user_send_text":
            if fresh:
                self._later(self._say(user_id, TEXT_ONLY))
            return "not text"
        text = str(message.get("text") or "")
        pressed = parse_button(text)
        if pressed is not None:
            found = await self._in_thread(self._button, user_id, *pressed)
            if found is None:
                if fresh:
                    self._later(self._say(user_id, STALE_BUTTON))
                return "stale button"
            citizen = CitizenMessage(CHANNEL, user_id, found[0], found[1], f"zalo:{msg_id}")
        else:
            citizen = CitizenMessage(CHANNEL, user_id, text, None, f"zalo:{msg_id}")
        try:
            citizen = self.gateway.check(citizen)
            stored = await self.gateway.take(citizen)
        except MessageRefused as refused:
            if refused.code == "rate_limited":
                self._later(self._tell_limited(user_id))
            elif fresh:
                self._later(self._say(user_id, refused.message))
            return refused.code
        if stored.duplicate:
            return "duplicate"
        self._later(self._converse(citizen, stored))
        return "stored"

    def _set_following(self, user_id: str, following: bool) -> None:
        with session_scope() as db:
            sending.set_following(db, user_id, following)

    def _citizen_wrote(self, user_id: str, msg_id: str, at: dt.datetime) -> bool:
        with session_scope() as db:
            return sending.citizen_wrote(db, user_id, msg_id, min(at, utcnow()))

    def _button(self, user_id: str, message_id: int, index: int) -> tuple[str, str] | None:
        """The (title, payload) of a button of a stored message of this citizen's conversation."""
        with session_scope() as db:
            row = db.execute(select(Message.buttons).join(Conversation, Conversation.id == Message.conversation_id)
                             .where(Message.id == message_id, Conversation.channel == CHANNEL,
                                    Conversation.user_id == user_id,
                                    Message.author.in_((MessageAuthor.bot, MessageAuthor.system)))).first()
        buttons = (row.buttons if row else None) or []
        if not 0 <= index < len(buttons) or not buttons[index].get("payload"):
            return None
        return str(buttons[index].get("title") or ""), str(buttons[index]["payload"])

    def _lock(self, user_id: str) -> asyncio.Lock:
        lock = self._locks.get(user_id)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {u: lk for u, lk in self._locks.items() if lk.locked()}
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    async def _converse(self, citizen: CitizenMessage, stored: Stored) -> None:
        """The bot's turn for a stored message and its replies, after the webhook answered."""
        user_id = citizen.user_id
        async with self._lock(user_id):
            try:
                result = await self.gateway.respond(citizen, stored)
            except Exception:
                log.exception("zalo: message not handled", extra={"user": masked(user_id)})
                await self._say(user_id, APOLOGY)
                return
            if result.duplicate:
                return
            ids: list[int | None] = [*result.reply_message_ids, *[None] * len(result.notices)]
            for reply, message_id in zip(result.replies, ids, strict=True):
                if not await self._reply(user_id, reply, message_id):
                    break

    async def _tell_limited(self, user_id: str) -> None:
        now = time.monotonic()
        log.info("zalo: citizen rate-limited", extra={"user": masked(user_id)})
        if now - self._told_limited.get(user_id, -1e9) > 60:
            self._told_limited[user_id] = now
            if len(self._told_limited) > 10_000:
                self._told_limited = {u: t for u, t in self._told_limited.items() if now - t < 60}
            await self._say(user_id, RATE_LIMITED)

    async def _say(self, user_id: str, text: str) -> None:
        await self._reply(user_id, Reply(text), None)

    async def _reply(self, user_id: str, reply: Reply, message_id: int | None) -> bool:
        try:
            return await self._in_thread(self._send_now, user_id, reply, message_id)
        except (ZaloError, TokenUnavailable) as error:
            log.warning("zalo: reply not delivered", extra={"user": masked(user_id), "error": str(error)})
            return False

    def _send_now(self, user_id: str, reply: Reply, message_id: int | None) -> bool:
        """A reply to the citizen's own message, within Zalo's limits."""
        parts = messages(reply.text, reply.buttons, message_id)
        if not parts:
            return True
        slots = sending.Slots(user_id, len(parts))
        reply_to = slots.take()
        if reply_to is None:
            log.warning("zalo: reply not sent: Zalo's limits", extra={"user": masked(user_id), "parts": len(parts)})
            return False
        try:
            self.send(user_id, parts, reply_to)
        except ZaloError as error:
            slots.give_back(gone=error.code in GONE)
            raise
        except Exception:
            slots.give_back(gone=False)
            raise
        return True

    # --- the OA message API ---------------------------------------------------------------------------------

    def send(self, user_id: str, parts: list[dict[str, Any]], reply_to: str) -> None:
        """Send Zalo messages to a citizen, in order; an access token Zalo refuses is refreshed and the message
        tried once more. In a worker thread."""
        recipient = {"user_id": user_id}
        if reply_to:
            recipient["message_id"] = reply_to  # counted as a reply to the citizen's message
        for part in parts:
            token = self.tokens.access_token()
            try:
                self.api.send(token, recipient, part)
            except ZaloError as error:
                if error.code not in TOKEN_ERRORS:
                    raise
                log.info("zalo: access token refused, refreshing", extra={"error": str(error)})
                self.api.send(self.tokens.access_token(stale=token), recipient, part)
