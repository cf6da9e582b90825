"""The Telegram channel: a python-telegram-bot `Application` running inside the app's event loop.

Started by the app's lifespan only when `TELEGRAM_BOT_TOKEN` is set. Updates arrive by long polling (default:
works behind NAT) or at `POST /telegram/webhook` (webhook mode). Every citizen message goes through the gateway
(`channel="telegram"`, `user_id=str(chat_id)`, `client_msg_id="tg:{update_id}"`, so an update delivered twice is
stored and handled once), in a worker thread with its own database session. As on Zalo, the gateway's two steps are
apart: `take` (rate limit, store) and `respond` (the bot's turn). In webhook mode `feed` takes a citizen's message
(text, /canbo, a button press) before the webhook answers Telegram — an acknowledged update is never sent again,
so it must be stored by then — and the handler responds after; in polling mode the handler does both.

Replies are sent as plain text (no parse_mode: nothing a citizen, an officer or the knowledge base writes is read
as markup), split under 4,096 characters;
buttons become an inline keyboard whose callback data is `b:{message_id}:{index}` (the stored message's id and
the button's index; payloads are looked up in the database, as they can exceed Telegram's 64 bytes).

Officer replies, system notices and answers the backlog gave later are pushed by `pusher.Pusher`; texts and
keyboards are shaped by `formatting`; `webhook` holds the webhook route.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from api.channels.telegram.formatting import (
    ALREADY_CHOSEN,
    APOLOGY,
    CHOOSE,
    CHOSEN,
    COMMANDS,
    RATE_LIMITED,
    STALE_BUTTON,
    TEXT_ONLY,
    UNKNOWN_COMMAND,
    describe,
    help_text,
    keyboard,
    masked,
    parse_callback_data,
    seconds,
    split_text,
    welcome_text,
)
from api.channels.telegram.pusher import CHANNEL, RETRY_MAX_SECONDS, Pusher
from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor
from api.services.gateway import CitizenMessage, Gateway, MessageRefused, Reply, Stored
from knowledge_base.vocabulary import REQUEST_HUMAN

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_TIMEOUT = 20  # seconds a getUpdates long poll may wait
SEND_ATTEMPTS = 3  # a reply to a citizen is tried this often on network errors
WORKERS = 16  # threads for button look-ups and pushes (each with its own database session)
MAX_TAKEN = 10_000  # updates stored by the webhook whose handler has not run yet


@dataclass
class Taken:
    """A citizen message after the gateway's `take`: stored, or refused (told to the citizen by the handler)."""

    message: CitizenMessage
    stored: Stored | None = None
    refused: MessageRefused | None = None


@dataclass
class Press:
    """A press of one of our buttons, chosen now: the stored message it belongs to and what the button says."""

    message_id: int
    title: str
    payload: str


class _HideToken(logging.Filter):
    """The bot token is part of every Bot API URL: never let it reach the logs (httpx logs each request)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        if self.token not in text:
            return True
        if record.name == "httpx" and record.levelno < logging.WARNING:
            return False  # one line per Bot API call (every long poll): noise
        record.msg, record.args = text.replace(self.token, "<token>"), None
        return True


class TelegramChannel:
    """The bot: handlers for commands, text and button presses; the pusher of officer messages."""

    def __init__(self, settings: Settings, gateway: Gateway, retry_base_seconds: float = 1.0) -> None:
        token = settings.telegram_bot_token.get_secret_value()
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.webhook = settings.telegram_mode == "webhook"
        if self.webhook and not settings.telegram_webhook_url.startswith("https://"):
            raise ValueError("TELEGRAM_WEBHOOK_URL must be an https:// URL in webhook mode")
        self.settings, self.gateway = settings, gateway
        self.webhook_secret = settings.telegram_webhook_secret.get_secret_value()
        self.retry_base = retry_base_seconds
        base = settings.telegram_api_base_url
        builder = (Application.builder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                   .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))  # cheap phones
                   .concurrent_updates(32)  # chats in parallel; one chat's updates in order (per-chat lock)
                   .connect_timeout(10).read_timeout(20).write_timeout(20).pool_timeout(10)
                   .get_updates_connect_timeout(10).get_updates_read_timeout(10))
        if self.webhook:
            builder = builder.updater(None)  # updates come from our own route
        self.app: Application = builder.build()
        self._hide_token = _HideToken(token)
        self._told_limited: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="telegram")  # button look-ups and pushes
        self.pusher = Pusher(self._deliver, self._executor, retry_base_seconds)
        self._chosen: OrderedDict[int, None] = OrderedDict()  # stored messages whose keyboard was used
        self._taken: OrderedDict[int, Taken] = OrderedDict()  # by update_id: stored by the webhook, not yet answered
        self._status: tuple[bool, str] = (False, "starting")
        self._runner: asyncio.Task[None] | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._install_handlers()

    # --- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect in the background: a Telegram outage at start must not keep the app from serving."""
        logging.getLogger("httpx").addFilter(self._hide_token)
        ptb = logging.getLogger("telegram")  # PTB's DEBUG lines carry whole updates, citizens' texts included
        ptb.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._hide_token)
        self._runner = asyncio.create_task(self._run(), name="telegram-start")

    async def _run(self) -> None:
        delay = self.retry_base
        while True:
            try:
                await self._connect()
                return
            except InvalidToken:
                self._status = (False, "invalid token")
                log.error("telegram: the bot token was refused; the channel is off")
                return
            except Exception as error:  # noqa: BLE001 - Telegram down or refusing: keep trying, say why
                self._status = (False, f"not connected: {describe(error)}; retrying")
                log.warning("telegram: could not start, retrying", extra={"error": describe(error), "in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _connect(self) -> None:
        await self.app.initialize()  # getMe
        try:
            await self.app.bot.set_my_commands(COMMANDS)
        except TelegramError as error:
            log.warning("telegram: setMyCommands failed", extra={"error": str(error)})
        allowed = [Update.MESSAGE, Update.CALLBACK_QUERY]
        if self.webhook:
            await self.app.bot.set_webhook(self.settings.telegram_webhook_url, secret_token=self.webhook_secret,
                                           allowed_updates=allowed)
            detail = f"webhook as @{self.app.bot.username}"
        else:
            assert self.app.updater is not None
            if not self.app.updater.running:  # (a retry after a later step failed)
                await self.app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=allowed,
                                                     bootstrap_retries=3, error_callback=self._polling_error)
            detail = f"polling as @{self.app.bot.username}"
        if not self.app.running:
            await self.app.start()
        self._pusher = asyncio.create_task(self.pusher.run(), name="telegram-pusher")
        self._status = (True, detail)
        log.info("telegram channel started", extra={"mode": self.settings.telegram_mode,
                                                    "bot": self.app.bot.username})

    def _polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying", extra={"error": describe(error)})

    async def stop(self) -> None:
        for task in (self._runner, self._pusher):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.pusher.finish_inflight()  # no half-sent state
        try:
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
        except TelegramError as error:
            log.warning("telegram: unclean stop", extra={"error": str(error)})
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._status = (False, "stopped")
        logging.getLogger("httpx").removeFilter(self._hide_token)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._hide_token)

    def status(self) -> tuple[bool, str]:
        """For /readyz: connected, and how."""
        if self._status[0] and self.app.updater is not None and not self.app.updater.running:
            return False, "polling stopped"
        return self._status

    async def _in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def feed(self, data: dict[str, Any]) -> None:
        """An update received at the webhook. A citizen's message in it is taken (rate limit, stored and committed;
        an update delivered again is stored once) before this returns, so the webhook acknowledges nothing it has
        not stored; a failure to store raises (the webhook answers 500 and Telegram sends the update again). The
        bot's turn and the replies follow in the update's handler."""
        update = Update.de_json(data, self.app.bot)
        taken = await self._take_update(update)
        if taken is not None:
            if taken.stored is not None and taken.stored.duplicate:
                log.info("telegram: update already stored", extra={"update_id": update.update_id})
                return  # the first delivery answers it (or, after a crash, the backlog does)
            self._taken[update.update_id] = taken
            while len(self._taken) > MAX_TAKEN:
                self._taken.popitem(last=False)
        await self.app.update_queue.put(update)

    async def _take_update(self, update: Update) -> Taken | None:
        """The citizen message an update carries, taken by the gateway; None for anything else (commands other
        than /canbo, non-text messages, groups, stale or used buttons: their handlers answer them)."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return None
        query = update.callback_query
        if query is not None:
            press = await self._press(chat.id, query.data)
            if not isinstance(press, Press):
                return None  # the handler tells the citizen why
            try:
                return await self._take(chat.id, update.update_id, press.title, press.payload)
            except Exception:
                self._chosen.pop(press.message_id, None)  # not stored: Telegram sends the press again
                raise
        if update.message is None:
            return None
        if self._canbo.check_update(update):
            return await self._take(chat.id, update.update_id, "Gặp cán bộ", REQUEST_HUMAN)
        if filters.COMMAND.check_update(update) or not (update.message.text or "").strip():
            return None
        return await self._take(chat.id, update.update_id, update.message.text, None)

    async def _take(self, chat_id: int, update_id: int, text: str | None, payload: str | None) -> Taken:
        """The gateway's first step for a citizen message: checked, rate-limited, stored."""
        message = CitizenMessage(CHANNEL, str(chat_id), text, payload, f"tg:{update_id}")
        try:
            return Taken(message, await self.gateway.take(self.gateway.check(message)))
        except MessageRefused as refused:
            return Taken(message, refused=refused)

    async def _press(self, chat_id: int, data: str | None) -> Press | str:
        """A button press, chosen now (each keyboard is answered once), or what the citizen is told instead:
        the button is stale or unknown (STALE_BUTTON), or one of its keyboard was chosen already (ALREADY_CHOSEN)."""
        if data == CHOSEN:
            return ALREADY_CHOSEN
        parsed = parse_callback_data(data)
        if parsed is not None and parsed[0] in self._chosen:
            return ALREADY_CHOSEN
        found = await self._in_thread(self._button, chat_id, *parsed) if parsed else None
        if parsed is None or found is None:
            log.info("telegram: unknown button", extra={"chat": masked(chat_id)})
            return STALE_BUTTON
        if parsed[0] in self._chosen:  # pressed twice while the first press was looked up
            return ALREADY_CHOSEN
        self._choose(parsed[0])
        return Press(parsed[0], *found)

    def _choose(self, message_id: int) -> None:
        self._chosen[message_id] = None
        while len(self._chosen) > 10_000:
            self._chosen.popitem(last=False)

    # --- handlers ------------------------------------------------------------------------------------------

    def _install_handlers(self) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # groups are not served
        self.app.add_handler(CommandHandler("start", self._on_start, filters=private))
        self.app.add_handler(CommandHandler("help", self._on_help, filters=private))
        self._canbo = CommandHandler("canbo", self._on_canbo, filters=private)
        self.app.add_handler(self._canbo)
        self.app.add_handler(MessageHandler(private & filters.COMMAND, self._on_unknown_command))
        self.app.add_handler(MessageHandler(private & filters.TEXT, self._on_text))
        self.app.add_handler(MessageHandler(private, self._on_other))
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_error_handler(self._on_error)

    async def _on_start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (chat_id := await self._admitted(update)) is not None:
            await self._send_text(chat_id, welcome_text(self.settings))

    async def _on_help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (chat_id := await self._admitted(update)) is not None:
            await self._send_text(chat_id, help_text(self.settings))

    async def _on_canbo(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (chat := update.effective_chat) is not None:
            async with self._lock(chat.id):
                await self._converse(chat.id, update.update_id, text="Gặp cán bộ", payload=REQUEST_HUMAN)

    async def _on_unknown_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (chat_id := await self._admitted(update)) is not None:
            await self._send_text(chat_id, UNKNOWN_COMMAND)

    async def _on_other(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (chat_id := await self._admitted(update)) is not None:
            await self._send_text(chat_id, TEXT_ONLY)

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None or not (message.text or "").strip():
            return
        async with self._lock(chat.id):
            await self._converse(chat.id, update.update_id, text=message.text)

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None:
            return
        if chat is None or chat.type != ChatType.PRIVATE:
            await self._answer(query.answer())
            return
        async with self._lock(chat.id):  # in order with the chat's text messages
            taken = self._taken.pop(update.update_id, None)  # the webhook stored the press already
            if taken is None:
                press = await self._press(chat.id, query.data)
                if not isinstance(press, Press):
                    await self._answer(query.answer(press))
                    return
                title, payload = press.title, press.payload
            else:
                title, payload = taken.message.text or "", taken.message.payload or ""
            await self._answer(query.answer())
            if query.message is not None:  # leave the choice where the keyboard was
                mark = InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)]])
                try:
                    await self.app.bot.edit_message_reply_markup(chat.id, query.message.message_id, reply_markup=mark)
                except TelegramError as error:  # too old to edit: the choice still counts
                    log.info("telegram: keyboard not marked", extra={"error": str(error)})
            await self._converse(chat.id, update.update_id, text=title, payload=payload, taken=taken)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        error = context.error
        log.error("telegram: update failed", exc_info=error,
                  extra={"chat": masked(chat.id) if chat else None, "error": error.__class__.__name__})

    # --- conversation --------------------------------------------------------------------------------------

    async def _admitted(self, update: Update) -> int | None:
        """The chat id, if this chat may have another command answered now (commands that do not reach the
        gateway count against the same per-conversation limit)."""
        chat = update.effective_chat
        if chat is None:
            return None
        limits = self.gateway.limits
        if (await limits.hit(limits.conversation, f"{CHANNEL}:{chat.id}")).allowed:
            return chat.id
        await self._tell_limited(chat.id)
        return None

    async def _tell_limited(self, chat_id: int) -> None:
        """Tell a chat over its limit why it gets no answer, once a minute."""
        now = time.monotonic()
        log.info("telegram: chat rate-limited", extra={"chat": masked(chat_id)})
        if now - self._told_limited.get(chat_id, -1e9) > 60:
            self._told_limited[chat_id] = now
            if len(self._told_limited) > 10_000:
                self._told_limited = {c: t for c, t in self._told_limited.items() if now - t < 60}
            await self._send_text(chat_id, RATE_LIMITED)

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {c: lk for c, lk in self._locks.items() if lk.locked()}
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def _converse(self, chat_id: int, update_id: int, *, text: str | None = None,
                        payload: str | None = None, taken: Taken | None = None) -> None:
        """One citizen message through the gateway and its replies back to the chat (the caller holds the chat's
        lock, so a chat's messages are handled in order). Taken already when the webhook stored it, else here."""
        with contextlib.suppress(TelegramError):  # cosmetic
            await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING)
        try:
            taken = taken or self._taken.pop(update_id, None) or await self._take(chat_id, update_id, text, payload)
            if taken.refused is not None:
                if taken.refused.code == "rate_limited":
                    await self._tell_limited(chat_id)
                else:
                    await self._send_text(chat_id, taken.refused.message)
                return
            assert taken.stored is not None
            result = await self.gateway.respond(taken.message, taken.stored)
        except Exception:
            log.exception("telegram: message not handled", extra={"chat": masked(chat_id)})
            await self._send_text(chat_id, APOLOGY)
            return
        if result.duplicate:
            log.info("telegram: update already handled", extra={"update_id": update_id})
            return
        ids: list[int | None] = [*result.reply_message_ids, *[None] * len(result.notices)]
        for reply, message_id in zip(result.replies, ids, strict=True):
            if not await self._send_reply(chat_id, reply, message_id):
                break

    def _button(self, chat_id: int, message_id: int, index: int) -> tuple[str, str] | None:
        """The (title, payload) of a button of a stored message of this chat's conversation."""
        with session_scope() as db:
            row = db.execute(select(Message.buttons).join(Conversation, Conversation.id == Message.conversation_id)
                             .where(Message.id == message_id, Conversation.channel == CHANNEL,
                                    Conversation.user_id == str(chat_id),
                                    Message.author.in_((MessageAuthor.bot, MessageAuthor.system)))).first()
        buttons = (row.buttons if row else None) or []
        if not 0 <= index < len(buttons) or not buttons[index].get("payload"):
            return None
        return str(buttons[index].get("title") or ""), str(buttons[index]["payload"])

    # --- sending -------------------------------------------------------------------------------------------

    async def _send_reply(self, chat_id: int, reply: Reply, message_id: int | None) -> bool:
        try:
            await self._deliver(chat_id, reply.text, reply.buttons, message_id, attempts=SEND_ATTEMPTS)
            return True
        except TelegramError as error:
            log.warning("telegram: reply not delivered", extra={"chat": masked(chat_id),
                                                                "error": describe(error)})
            return False

    async def _send_text(self, chat_id: int, text: str) -> None:
        await self._send_reply(chat_id, Reply(text), None)

    async def _deliver(self, chat_id: int, text: str, buttons: list[dict[str, Any]] | None, message_id: int | None,
                       attempts: int = 1) -> None:
        """Send a text (split if long; the keyboard on the last part). Network errors are retried `attempts`
        times in all; Telegram's refusals (400, 403) are raised at once."""
        markup = keyboard(message_id, buttons)
        parts = split_text(text) or ([CHOOSE] if markup else [])
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            for attempt in range(1, attempts + 1):
                try:
                    await self.app.bot.send_message(chat_id, part, reply_markup=markup if last else None)
                    break
                except RetryAfter as error:
                    if attempt == attempts:
                        raise
                    await asyncio.sleep(min(seconds(error.retry_after), RETRY_MAX_SECONDS))
                except (BadRequest, Forbidden, ChatMigrated):
                    raise
                except NetworkError:
                    if attempt == attempts:
                        raise
                    await asyncio.sleep(self.retry_base * attempt)

    async def _answer(self, call: Awaitable[Any]) -> None:
        try:
            await call
        except TelegramError as error:  # the query expired (> 15 s): nothing to do
            log.info("telegram: callback not answered", extra={"error": str(error)})
