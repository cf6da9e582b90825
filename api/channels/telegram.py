"""The Telegram channel: a python-telegram-bot `Application` running inside the app's event loop.

Started by the app's lifespan only when `TELEGRAM_BOT_TOKEN` is set. Updates arrive by long polling (default:
works behind NAT) or at `POST /telegram/webhook` (webhook mode). Every citizen message goes through the gateway
(`channel="telegram"`, `user_id=str(chat_id)`, `client_msg_id="tg:{update_id}"`, so an update delivered twice is
handled once), in a worker thread with its own database session. Replies are sent as plain text (no parse_mode:
nothing a citizen, an officer or the knowledge base writes is read as markup), split under 4,096 characters;
buttons become an inline keyboard whose callback data is `b:{message_id}:{index}` (the stored message's id and
the button's index; payloads are looked up in the database, as they can exceed Telegram's 64 bytes).

Officer replies and system notices (claim, resolve with its rating buttons) are pushed by a background task
woken by the event bus: each unpushed message of a Telegram conversation is locked (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so replicas never send one twice), sent, and marked `pushed_at` in the same transaction. A crash
mid-send leaves it unmarked: it is sent again after the restart (at least once). A permanent refusal (the
citizen blocked the bot) marks it and is logged; network errors and 429/5xx are retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from api import events
from api.core import security
from api.core.config import Settings
from api.core.errors import AppError
from api.core.privacy import mask_identifier
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor, StaffUser, utcnow
from api.gateway import REQUEST_HUMAN, CitizenMessage, Gateway, MessageRefused, Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "telegram"
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4,096
MAX_CALLBACK_DATA = 64  # bytes
CHOSEN = "chosen"  # callback data of the "✓ title" mark left on a used keyboard
POLL_TIMEOUT = 20  # seconds a getUpdates long poll may wait
PUSH_WINDOW = dt.timedelta(days=7)  # older unpushed messages are not sent any more
PUSH_WAKE_SECONDS = 5.0  # the pusher re-reads the database at least this often
PUSH_SWEEP_SECONDS = 60.0  # and sweeps the whole window this often (late commits, retries)
PUSH_BATCH = 200
PUSH_SEND_TIMEOUT = 60.0
RETRY_MAX_SECONDS = 60.0
SEND_ATTEMPTS = 3  # a reply to a citizen is tried this often on network errors
WORKERS = 16  # threads for gateway calls and pushes (each with its own database session)

COMMANDS = [
    BotCommand("start", "Bắt đầu trò chuyện với trợ lý"),
    BotCommand("help", "Hướng dẫn sử dụng"),
    BotCommand("canbo", "Gặp cán bộ bộ phận một cửa"),
]
APOLOGY = ("Xin lỗi, hệ thống đang gặp sự cố nên chưa xử lý được tin nhắn của bạn. "
           "Bạn vui lòng thử lại sau ít phút.")
RATE_LIMITED = ("Bạn đang gửi nhiều tin nhắn quá nhanh. Bạn vui lòng chờ khoảng một phút rồi gửi tiếp; "
                "tin nhắn vừa rồi chưa được xử lý.")
TEXT_ONLY = ("Hiện tại trợ lý chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi, "
             "hoặc gõ /canbo để gặp cán bộ.")
UNKNOWN_COMMAND = "Trợ lý chưa hiểu lệnh này. Bạn gõ /help để xem hướng dẫn, hoặc gõ câu hỏi của bạn."
STALE_BUTTON = "Nút này không còn dùng được. Bạn vui lòng gõ câu hỏi."
ALREADY_CHOSEN = "Bạn đã chọn mục này rồi."
CHOOSE = "Mời bạn chọn:"


def welcome_text(settings: Settings) -> str:
    province = f" {settings.province_name}" if settings.province_name else ""
    return (
        f"Xin chào! Tôi là {settings.assistant_name}{province}.\n\n"
        "Tôi giúp bạn tìm hiểu các thủ tục hành chính: cần giấy tờ gì, lệ phí bao nhiêu, mất bao lâu, nộp ở đâu "
        "và có làm trực tuyến được không — ví dụ khai sinh, căn cước, hộ chiếu, đăng ký thường trú, sổ đỏ, "
        "hộ kinh doanh.\n\n"
        "Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được, ví dụ: \"làm căn cước cần giấy tờ gì\".\n\n"
        "/help — hướng dẫn sử dụng\n"
        f"/canbo — gặp cán bộ bộ phận một cửa ({settings.office_hours})"
    )


def help_text(settings: Settings) -> str:
    return (
        "Cách dùng trợ lý:\n"
        "• Gõ câu hỏi về một thủ tục, ví dụ \"lệ phí làm hộ chiếu bao nhiêu\" hoặc \"dang ky khai sinh o dau\".\n"
        "• Bấm các nút dưới câu trả lời để xem thêm: giấy tờ, lệ phí, thời gian, nơi nộp…\n"
        f"• Gõ /canbo để cán bộ bộ phận một cửa hỗ trợ trực tiếp ({settings.office_hours}). Ngoài giờ làm việc, "
        "cán bộ sẽ trả lời bạn tại đây khi làm việc trở lại.\n"
        "• Mỗi câu trả lời đều ghi nguồn; bạn nên đối chiếu trước khi nộp hồ sơ.\n\n"
        "Bạn không cần gửi số căn cước, số điện thoại hay thông tin cá nhân khác để hỏi thủ tục."
    )


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into parts of at most `limit` UTF-16 units, at a paragraph, line or word break if possible."""
    text = text.strip()
    parts: list[str] = []
    while utf16_len(text) > limit:
        cut = len(text)
        while utf16_len(text[:cut]) > limit:  # the longest prefix that fits (in characters)
            cut = min(cut - 1, limit)
        head = text[:cut]
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > limit // 2:
                head = head[:at]
                break
        parts.append(head.rstrip())
        text = text[len(head):].lstrip()
    if text:
        parts.append(text)
    return parts


def callback_data(message_id: int, index: int) -> str:
    data = f"b:{message_id}:{index}"
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    return data


def parse_callback_data(data: str | None) -> tuple[int, int] | None:
    kind, _, rest = (data or "").partition(":")
    message_id, _, index = rest.partition(":")
    if kind != "b" or not message_id.isdigit() or not index.isdigit():
        return None
    return int(message_id), int(index)


def keyboard(message_id: int | None, buttons: list[dict[str, Any]] | None) -> InlineKeyboardMarkup | None:
    """One button per row (titles are long Vietnamese procedure names); None without a stored message id."""
    if message_id is None or not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(b.get("title") or "…"),
                                                       callback_data=callback_data(message_id, i))]
                                 for i, b in enumerate(buttons)])


def push_text(message: Message, officer_name: str | None) -> str:
    """What the citizen reads for an officer or system message: the officer's name before the text."""
    if message.author == MessageAuthor.officer:
        return f"Cán bộ {officer_name}: {message.text}" if officer_name else f"Cán bộ: {message.text}"
    return message.text


def _masked(chat_id: int | str) -> str:
    return mask_identifier(str(chat_id))


def _describe(error: BaseException) -> str:
    """"Forbidden: bot was blocked by the user", "TimedOut: Timed out" (Telegram's words, no message text)."""
    text, name = str(error), error.__class__.__name__
    return text if text.startswith(name) else f"{name}: {text}"


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


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


def _unpushed(message: Any) -> list[Any]:
    """Conditions of a message still to push (on `Message` or an alias of it): officer and system messages, and bot
    answers given later by the backlog (answers in the reply to a message are stored as delivered)."""
    return [message.pushed_at.is_(None), message.author != MessageAuthor.citizen,
            message.created_at >= utcnow() - PUSH_WINDOW]


class _Transient(Exception):
    def __init__(self, delay: float | None, reason: str) -> None:
        super().__init__(reason)
        self.delay, self.reason = delay, reason


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
        self._push_lock = asyncio.Lock()
        self._chosen: OrderedDict[int, None] = OrderedDict()  # stored messages whose keyboard was used
        self._status: tuple[bool, str] = (False, "starting")
        self._runner: asyncio.Task[None] | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._inflight: asyncio.Future[str] | None = None
        self._push_cursor = 0  # every message id up to this one has been looked at
        self._next_sweep = 0.0
        self._retry_ids: set[int] = set()
        self._backoff: dict[int, tuple[int, float]] = {}  # chat → (failures, monotonic time of the next try)
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
                self._status = (False, f"not connected: {_describe(error)}; retrying")
                log.warning("telegram: could not start, retrying", extra={"error": _describe(error), "in_s": delay})
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
        self._pusher = asyncio.create_task(self._push_loop(), name="telegram-pusher")
        self._status = (True, detail)
        log.info("telegram channel started", extra={"mode": self.settings.telegram_mode,
                                                    "bot": self.app.bot.username})

    def _polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying", extra={"error": _describe(error)})

    async def stop(self) -> None:
        for task in (self._runner, self._pusher):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._inflight is not None and not self._inflight.done():  # let a push finish: no half-sent state
            await asyncio.wait([self._inflight], timeout=PUSH_SEND_TIMEOUT)
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
        """An update received at the webhook."""
        await self.app.update_queue.put(Update.de_json(data, self.app.bot))

    # --- handlers ------------------------------------------------------------------------------------------

    def _install_handlers(self) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # groups are not served
        self.app.add_handler(CommandHandler("start", self._on_start, filters=private))
        self.app.add_handler(CommandHandler("help", self._on_help, filters=private))
        self.app.add_handler(CommandHandler("canbo", self._on_canbo, filters=private))
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
        if query.data == CHOSEN:
            await self._answer(query.answer(ALREADY_CHOSEN))
            return
        async with self._lock(chat.id):  # in order with the chat's text messages
            parsed = parse_callback_data(query.data)
            found = await self._in_thread(self._button, chat.id, *parsed) if parsed else None
            if parsed is None or found is None:
                log.info("telegram: unknown button", extra={"chat": _masked(chat.id)})
                await self._answer(query.answer(STALE_BUTTON))
                return
            if parsed[0] in self._chosen:  # pressed twice before the keyboard was replaced
                await self._answer(query.answer(ALREADY_CHOSEN))
                return
            self._chosen[parsed[0]] = None
            while len(self._chosen) > 10_000:
                self._chosen.popitem(last=False)
            title, payload = found
            await self._answer(query.answer())
            if query.message is not None:  # leave the choice where the keyboard was
                mark = InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)]])
                try:
                    await self.app.bot.edit_message_reply_markup(chat.id, query.message.message_id, reply_markup=mark)
                except TelegramError as error:  # too old to edit: the choice still counts
                    log.info("telegram: keyboard not marked", extra={"error": str(error)})
            await self._converse(chat.id, update.update_id, text=title, payload=payload)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        error = context.error
        log.error("telegram: update failed", exc_info=error,
                  extra={"chat": _masked(chat.id) if chat else None, "error": error.__class__.__name__})

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
        log.info("telegram: chat rate-limited", extra={"chat": _masked(chat_id)})
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
                        payload: str | None = None) -> None:
        """One citizen message through the gateway and its replies back to the chat (the caller holds the chat's
        lock, so a chat's messages are handled in order)."""
        with contextlib.suppress(TelegramError):  # cosmetic
            await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING)
        message = CitizenMessage(CHANNEL, str(chat_id), text, payload, f"tg:{update_id}")
        try:
            result = await self.gateway.handle(message)
        except MessageRefused as refused:
            if refused.code == "rate_limited":
                await self._tell_limited(chat_id)
            else:
                await self._send_text(chat_id, refused.message)
            return
        except Exception:
            log.exception("telegram: message not handled", extra={"chat": _masked(chat_id)})
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
            log.warning("telegram: reply not delivered", extra={"chat": _masked(chat_id),
                                                                "error": _describe(error)})
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
                    await asyncio.sleep(min(_seconds(error.retry_after), RETRY_MAX_SECONDS))
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

    # --- pushing officer and system messages ---------------------------------------------------------------

    async def _push_loop(self) -> None:
        while True:
            try:
                await self.push_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("telegram: push round failed")
            now = time.monotonic()
            wake = min([PUSH_WAKE_SECONDS, *(at - now for _, at in self._backoff.values())])
            await events.get_bus().wait([events.MESSAGES], timeout=max(wake, 0.05))

    async def push_pending(self) -> int:
        """Send the unpushed officer and system messages of Telegram conversations; returns how many were sent."""
        async with self._push_lock:
            full = time.monotonic() >= self._next_sweep
            rows, top = await self._in_thread(self._pending, None if full else self._push_cursor,
                                              frozenset(self._retry_ids))
            if len(rows) < PUSH_BATCH:  # everything up to `top` has been looked at
                self._push_cursor = max(self._push_cursor, top)
                if full:
                    self._next_sweep = time.monotonic() + PUSH_SWEEP_SECONDS
            sent = 0
            for message_id, chat_id in rows:
                failures, retry_at = self._backoff.get(chat_id, (0, 0.0))
                if retry_at > time.monotonic():
                    continue
                loop = asyncio.get_running_loop()
                self._inflight = loop.run_in_executor(self._executor, self._push_one, message_id, loop)
                try:
                    outcome = await asyncio.shield(self._inflight)  # a stop waits for it: no half-done push
                except _Transient as error:
                    delay = error.delay or min(self.retry_base * 2 ** failures, RETRY_MAX_SECONDS)
                    self._backoff[chat_id] = (failures + 1, time.monotonic() + delay)
                    self._retry_ids.add(message_id)
                    log.warning("telegram: push failed, will retry", extra={
                        "message_id": message_id, "chat": _masked(chat_id), "error": error.reason, "in_s": delay})
                    continue
                self._backoff.pop(chat_id, None)
                self._retry_ids.discard(message_id)
                sent += outcome == "sent"
            return sent

    def _pending(self, after: int | None, retry_ids: frozenset[int]) -> tuple[list[tuple[int, int]], int]:
        """(message id, chat id) of the messages to push, oldest first, and the highest message id now.
        Usually only ids after the cursor are read (cheap); a full sweep of the window (`after` None) now and
        then finds messages committed out of id order."""
        with session_scope() as db:
            top = db.scalar(select(func.max(Message.id))) or 0
            query = (select(Message.id, Conversation.user_id)
                     .join(Conversation, Conversation.id == Message.conversation_id)
                     .where(Conversation.channel == CHANNEL, *_unpushed(Message)))
            if after is not None:
                query = query.where(or_(Message.id > after, Message.id.in_(retry_ids)))
            rows = db.execute(query.order_by(Message.id).limit(PUSH_BATCH)).all()
        return [(message_id, int(user_id)) for message_id, user_id in rows if user_id.lstrip("-").isdigit()], top

    def _push_one(self, message_id: int, loop: asyncio.AbstractEventLoop) -> str:
        """In a worker thread: lock the row, send it on the event loop, mark it pushed; one transaction."""
        with session_scope() as db:
            earlier = aliased(Message)
            before = (select(earlier.id).where(earlier.conversation_id == Message.conversation_id,
                                               earlier.id < Message.id, *_unpushed(earlier)))
            row = db.execute(select(Message, Conversation.user_id, StaffUser.full_name)
                             .join(Conversation, Conversation.id == Message.conversation_id)
                             .outerjoin(StaffUser, StaffUser.id == Message.staff_id)
                             .where(Message.id == message_id, Message.pushed_at.is_(None), ~before.exists())
                             .with_for_update(skip_locked=True, of=Message)).first()
            if row is None:  # pushed or being pushed by another replica, or an earlier one must go first
                return "taken"
            message, user_id, officer_name = row
            chat_id = int(user_id)
            future = asyncio.run_coroutine_threadsafe(
                self._deliver(chat_id, push_text(message, officer_name), message.buttons, message.id), loop)
            outcome = "sent"
            try:
                future.result(timeout=PUSH_SEND_TIMEOUT)
            except (BadRequest, Forbidden, ChatMigrated) as error:  # will never work: mark it, tell the logs
                log.warning("telegram: push refused, message dropped", extra={
                    "message_id": message_id, "chat": _masked(chat_id),
                    "error": _describe(error)})
                outcome = "dropped"
            except RetryAfter as error:
                raise _Transient(_seconds(error.retry_after), "RetryAfter") from error
            except (TelegramError, TimeoutError) as error:
                future.cancel()
                raise _Transient(None, error.__class__.__name__) from error
            message.pushed_at = utcnow()
            return outcome


router = APIRouter(tags=["telegram"])


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> dict[str, bool]:
    """Telegram's calls in webhook mode, authenticated by the secret token set with setWebhook."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    if channel is None or not channel.webhook:
        raise AppError(404, "not_found", "Không tìm thấy nội dung yêu cầu.")
    sent = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not security.same(sent, channel.webhook_secret):
        log.warning("telegram webhook: wrong secret token", extra={"client": request.client.host if request.client
                                                                   else None})
        raise AppError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
    try:
        data = await request.json()
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not an update")
        await channel.feed(data)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise AppError(400, "invalid_update", "Yêu cầu không hợp lệ.") from error
    return {"ok": True}
