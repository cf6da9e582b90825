"""The gateway: every citizen message from every channel (REST, widget, Telegram, Zalo) passes here.

1. Checked once (empty, too long, a button payload's form) and rate-limited per conversation and client address.
2. Stored and committed before anything else happens: nothing is lost if Rasa fails or the process dies.
3. Routed by the conversation's mode: with an officer (`waiting` / `assigned`) the citizen is told where they stand
   and the bot stays silent; in `bot` mode the message becomes a bot turn.
4. A bot turn holds nothing scarce while Rasa works: no database session or connection, no worker thread (the
   Rasa client is async). At most `MAX_TURNS_IN_FLIGHT` turns go to Rasa at once per process; the rest wait their
   turn, first come first served, for up to `QUEUE_WAIT_S`, then the citizen gets a short busy notice and the
   message is answered later by the backlog (`api/backlog.py`). A turn waits for Rasa at most `TURN_TIMEOUT_S`.
5. A request for a person (the "Gặp cán bộ" button, Telegram's /canbo) opens the handoff here, without Rasa, so it
   works when Rasa or the action server is down; typed words asking for a person go to Rasa first with a short
   bound and, when Rasa cannot answer, are handed over here too.

No FastAPI here: channels translate refusals and results into their own forms.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.core.admission import Admission
from api.core.config import Settings
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.db.models import Conversation, ConversationMode, Message, MessageAuthor, TurnState, utcnow
from api.runtime.rasa_client import RasaClient, RasaUnavailable
from api.services import bot_turns, events, handoffs, turn_outcomes
from api.services.answering import fold_text, names_no_procedure
from api.services.conversations import get_or_create, split_sender
from knowledge_base.vocabulary import HANDOFF_BUTTON, REQUEST_HUMAN

log = logging.getLogger(__name__)

BOT_UNAVAILABLE = (
    "Xin lỗi, trợ lý ảo đang tạm gián đoạn. Tin nhắn của bạn đã được lưu lại; "
    "bạn vui lòng thử lại sau ít phút hoặc bấm \"Gặp cán bộ\"."
)
BUSY = ("Hiện có nhiều người đang hỏi cùng lúc. Tin nhắn của bạn đã được lưu lại; trợ lý sẽ trả lời bạn ngay tại "
        "đây khi đến lượt, thường chỉ trong ít phút.")
RETRY_AFTER_SECONDS = 5
HANDOFF_WORDS_TIMEOUT = 1.5  # typed "gặp cán bộ": how long Rasa may take before the gateway hands over itself
MAX_PAYLOAD_CHARS = 512
MAX_TITLE_CHARS = 200
PREPARE_MIN_WORDS = 4  # shorter messages are mostly thanks and greetings, which need no search (and embed fast)
PENDING = (TurnState.queued, TurnState.deferred, TurnState.running)
REFUSALS = {
    "empty_message": "Tin nhắn đang trống. Bạn vui lòng nhập câu hỏi.",
    "invalid_payload": "Nút bấm không hợp lệ.",
    "rate_limited": "Bạn gửi tin nhắn quá nhanh. Bạn vui lòng đợi giây lát rồi gửi lại.",
    "invalid_character": "Tin nhắn có ký tự không hợp lệ (ký tự NUL). Bạn vui lòng xoá ký tự đó rồi gửi lại.",
}
# A whole message that only asks for a person ("cho tôi gặp cán bộ ạ", "gap nguoi that"), diacritics folded.
_ASKS_FOR_A_PERSON = re.compile(
    r"^(?:(?:xin|cho|toi|em|minh|muon|can|vui long|duoc|hay|ban)\s+)*"
    r"(?:gap|gap truc tiep|noi chuyen (?:voi|truc tiep voi)|lien he(?: voi)?|ket noi(?: voi)?|chuyen (?:cho|sang|toi))"
    r"\s+"
    r"(?:can bo|nhan vien|nguoi that|nguoi ho tro|tong dai vien|tuvan vien|tu van vien|cb|nguoi)"
    r"(?:\s+(?:mot cua|ho tro|tu van|truc|a|nhe|voi|di|ak|nha|duoc khong|dc khong|giup (?:toi|em|minh)))*$"
)


class MessageRefused(Exception):
    """A citizen message the gateway will not take; `message` is the Vietnamese text for the citizen."""

    def __init__(self, code: str, message: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.code, self.message, self.retry_after = code, message or REFUSALS[code], retry_after


@dataclass
class CitizenMessage:
    channel: str
    user_id: str
    text: str | None = None  # what the citizen typed, or the title of the button they pressed
    payload: str | None = None  # the pressed button's payload ("/intent{...}")
    client_msg_id: str | None = None  # the channel's id of this message: a retried send is stored once
    client: str | None = None  # the client's address (rate limit), when the channel has one

    @property
    def conversation_key(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons}


@dataclass
class GatewayResult:
    replies: list[Reply]
    mode: ConversationMode
    conversation_id: int
    message_id: int  # the citizen message
    last_message_id: int  # the last message stored for this call: poll for later ones after it
    duplicate: bool = False  # the client had sent this message before (same client_msg_id)
    reply_message_ids: list[int] = field(default_factory=list)  # the stored replies, in order
    busy: bool = False  # the busy notice: the answer comes later (pushed, or by GET messages)

    @property
    def notices(self) -> list[Reply]:
        """Replies told but not stored (the queue position with an officer, the busy notice)."""
        return self.replies[len(self.reply_message_ids):]


@dataclass
class Stored:
    """A citizen message after it was stored."""

    conversation_id: int
    sender: str  # Rasa's sender id
    mode: ConversationMode
    message_id: int
    duplicate: bool = False
    state: TurnState | None = None
    waiting_reply: str | None = None  # with an officer: what the citizen is told


def asks_for_a_person(text: str | None) -> bool:
    folded = re.sub(r"[^\w\s]", " ", fold_text(text or ""))
    return bool(_ASKS_FOR_A_PERSON.match(" ".join(folded.split())))


def is_handoff_payload(payload: str | None) -> bool:
    return (payload or "").replace(" ", "") in (REQUEST_HUMAN, REQUEST_HUMAN + "{}")


def rasa_replies(raw: list[dict[str, Any]]) -> list[Reply]:
    """Rasa's REST output → our replies: one per text, buttons attached, images as text."""
    replies: list[Reply] = []
    for item in raw:
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in item.get("buttons") or [] if b.get("title")]
        text = item.get("text") or (item.get("image") and f"Hình ảnh: {item['image']}") or ""
        if text or buttons:
            replies.append(Reply(text=str(text), buttons=buttons))
    return replies


def procedures_in_buttons(buttons: list[dict[str, Any]] | None) -> list[str]:
    """Procedure ids named by buttons' payloads (`/ask_fee{"procedure_id": "x"}`), in order, without repeats."""
    found: list[str] = []
    for button in buttons or []:
        payload = str(button.get("payload", ""))
        try:
            entity = json.loads(payload[payload.index("{"):])
        except ValueError:  # no "{" or not JSON
            continue
        pid = entity.get("procedure_id") if isinstance(entity, dict) else None
        if isinstance(pid, str) and pid not in found:
            found.append(pid)
    return found


# --- storage (short transactions, in a worker thread) ----------------------------------------------------------

def store_citizen_message(message: CitizenMessage, settings: Settings) -> Stored:
    with session_scope() as db:
        conversation = get_or_create(db, message.channel, message.user_id)
        if message.client_msg_id:
            seen = db.execute(select(Message.id, Message.turn_state).where(
                Message.conversation_id == conversation.id, Message.client_msg_id == message.client_msg_id)).first()
            if seen is not None:
                return Stored(conversation.id, conversation.rasa_sender, conversation.mode, seen.id, True,
                              seen.turn_state)
        with_officer = conversation.mode in (ConversationMode.waiting, ConversationMode.assigned)
        behind = not with_officer and bool(db.scalar(select(exists().where(
            Message.conversation_id == conversation.id, Message.turn_state.in_(PENDING)))))
        state = None if with_officer else TurnState.deferred if behind else TurnState.queued
        row = Message(conversation_id=conversation.id, author=MessageAuthor.citizen, text=message.text or "",
                      payload=message.payload, client_msg_id=message.client_msg_id, turn_state=state)
        db.add(row)
        try:
            db.flush()
        except IntegrityError:  # the same client message arrived twice at once: the other request handles it
            db.rollback()
            seen = db.execute(select(Message.id, Message.turn_state).where(
                Message.conversation_id == conversation.id, Message.client_msg_id == message.client_msg_id)).one()
            return Stored(conversation.id, conversation.rasa_sender, conversation.mode, seen.id, True,
                          seen.turn_state)
        waiting = handoffs.waiting_reply(db, conversation, settings.office()) if with_officer else None
        if state == TurnState.deferred:
            turn_outcomes.record(db, conversation.id, conversation.channel, "busy", citizen_message_id=row.id)
            events.after_commit(db, events.TURNS)
        return Stored(conversation.id, conversation.rasa_sender, conversation.mode, row.id, False, state, waiting)


def store_replies(db: Session, stored: Stored, replies: list[Reply], *, delivered: bool,
                  outcome: bot_turns.Outcome | None = None, unrecorded: str = "out_of_scope") -> GatewayResult:
    """The bot's replies to a citizen message, and that message marked answered (the caller's transaction).
    `delivered`: the replies go back in the response to the citizen's own request (no channel pusher sends them).
    The turn's outcome goes with the first reply: `outcome` when the gateway decided the turn itself, else the one
    the turn function recorded, else `unrecorded` (Rasa replied without the app, or "unavailable")."""
    now = utcnow()
    rows = [Message(conversation_id=stored.conversation_id, author=MessageAuthor.bot, text=reply.text,
                    buttons=reply.buttons or None, pushed_at=now if delivered else None) for reply in replies]
    db.add_all(rows)
    db.execute(update(Message).where(Message.id == stored.message_id).values(turn_state=TurnState.done)
               .execution_options(synchronize_session=False))
    db.flush()
    if rows:
        channel, _ = split_sender(stored.sender)
        if outcome is not None:
            turn_outcomes.record(db, stored.conversation_id, channel, outcome.decision,
                                 citizen_message_id=stored.message_id, message_id=rows[0].id,
                                 procedure_id=outcome.procedure_id)
        elif not turn_outcomes.attach(db, stored.conversation_id, stored.message_id, rows[0].id):
            turn_outcomes.record(db, stored.conversation_id, channel, unrecorded, citizen_message_id=stored.message_id,
                                 message_id=rows[0].id)
    conversation = db.get(Conversation, stored.conversation_id)  # an action may have handed it to an officer
    assert conversation is not None
    return GatewayResult(replies, conversation.mode, conversation.id, stored.message_id,
                         rows[-1].id if rows else stored.message_id, reply_message_ids=[r.id for r in rows])


def finish_turn(stored: Stored, replies: list[Reply] | None, delivered: bool = True) -> GatewayResult:
    """Rasa's replies stored; None (Rasa failed) stores the apology with the officer button ("unavailable")."""
    with session_scope() as db:
        if replies is None:
            return store_replies(db, stored, [Reply(BOT_UNAVAILABLE, [HANDOFF_BUTTON])], delivered=delivered,
                                 unrecorded="unavailable")
        return store_replies(db, stored, replies, delivered=delivered)


def hand_over(stored: Stored, settings: Settings, delivered: bool = True) -> GatewayResult:
    """Open the handoff without Rasa, with what the bot last talked about as context for the officer."""
    with session_scope() as db:
        last_bot = db.scalar(select(Message).where(Message.conversation_id == stored.conversation_id,
                                                   Message.author == MessageAuthor.bot)
                             .order_by(Message.id.desc()).limit(1))
        retrieved = procedures_in_buttons(last_bot.buttons if last_bot else None)
        turn = bot_turns.handoff_turn(db, settings, stored.sender, retrieved)
        return store_replies(db, stored, [Reply(m.text, m.buttons) for m in turn.messages], delivered=delivered,
                             outcome=turn.outcome)


def defer(stored: Stored) -> None:
    """No place for the turn in time: the backlog answers it; the citizen is told they are busy ("busy")."""
    with session_scope() as db:
        db.execute(update(Message).where(Message.id == stored.message_id, Message.turn_state == TurnState.queued)
                   .values(turn_state=TurnState.deferred).execution_options(synchronize_session=False))
        turn_outcomes.record(db, stored.conversation_id, split_sender(stored.sender)[0], "busy",
                             citizen_message_id=stored.message_id)
        events.after_commit(db, events.TURNS)


def replies_to(stored: Stored) -> GatewayResult:
    """What a message already answered was answered with (a retried request gets the same replies)."""
    with session_scope() as db:
        conversation = db.get(Conversation, stored.conversation_id)
        assert conversation is not None
        next_citizen = db.scalar(select(Message.id).where(
            Message.conversation_id == stored.conversation_id, Message.id > stored.message_id,
            Message.author == MessageAuthor.citizen).order_by(Message.id).limit(1))
        query = select(Message).where(Message.conversation_id == stored.conversation_id,
                                      Message.id > stored.message_id, Message.author == MessageAuthor.bot)
        if next_citizen is not None:
            query = query.where(Message.id < next_citizen)
        rows = list(db.scalars(query.order_by(Message.id)))
        return GatewayResult([Reply(r.text, r.buttons or []) for r in rows], conversation.mode, conversation.id,
                             stored.message_id, rows[-1].id if rows else stored.message_id, duplicate=True,
                             reply_message_ids=[r.id for r in rows])


def turn_state(message_id: int) -> TurnState | None:
    with session_scope() as db:
        return db.scalar(select(Message.turn_state).where(Message.id == message_id))


# --- the gateway ------------------------------------------------------------------------------------------------

class Gateway:
    def __init__(self, settings: Settings, rasa: RasaClient, limits: RateLimits,
                 prepare: Callable[[str], object] | None = None) -> None:
        self.settings, self.rasa, self.limits = settings, rasa, limits
        self.prepare = prepare  # starts the answer's work that needs only the text (the question's embedding)
        self.admission = Admission(settings.max_turns_in_flight)

    def check(self, message: CitizenMessage) -> CitizenMessage:
        """The message cleaned, or MessageRefused."""
        text, payload = (message.text or "").strip(), (message.payload or "").strip()
        if "\x00" in text or "\x00" in payload:  # PostgreSQL cannot store it (every channel, the widget too)
            raise MessageRefused("invalid_character")
        if payload:
            if not payload.startswith("/") or len(payload) > MAX_PAYLOAD_CHARS or len(text) > MAX_TITLE_CHARS:
                raise MessageRefused("invalid_payload")
        elif not text:
            raise MessageRefused("empty_message")
        elif len(text) > self.settings.max_message_chars:
            limit = f"{self.settings.max_message_chars:,}".replace(",", ".")
            raise MessageRefused("message_too_long", f"Tin nhắn dài quá {limit} ký tự. Bạn vui lòng viết ngắn gọn hơn.")
        message.text, message.payload = text or None, payload or None
        return message

    async def handle(self, message: CitizenMessage) -> GatewayResult:
        """Take one citizen message: check, rate-limit, store, answer (or tell why not yet)."""
        message = self.check(message)
        return await self.respond(message, await self.take(message))

    async def take(self, message: CitizenMessage) -> Stored:
        """Rate-limit and store a checked message (a channel that acknowledges before answering, as Zalo's
        webhook, calls this, acknowledges, then `respond`)."""
        verdict = await self.limits.citizen_message(message.conversation_key, message.client)
        if not verdict.allowed:
            raise MessageRefused("rate_limited", retry_after=verdict.retry_after)
        return await run_in_threadpool(store_citizen_message, message, self.settings)

    async def respond(self, message: CitizenMessage, stored: Stored) -> GatewayResult:
        """What a stored citizen message gets: the same replies again for a duplicate, the officers' notice, the
        busy notice, the handoff, or the bot's turn."""
        if stored.duplicate:
            return await self._again(stored)
        if stored.waiting_reply is not None:
            return GatewayResult([Reply(stored.waiting_reply)], stored.mode, stored.conversation_id, stored.message_id,
                                 stored.message_id)
        if stored.state == TurnState.deferred:  # earlier messages of this conversation are still waiting
            return self._busy(stored)
        if is_handoff_payload(message.payload):
            return await run_in_threadpool(hand_over, stored, self.settings)
        return await self.answer(stored, message.payload or message.text or "", asks_for_a_person(message.text))

    async def answer(self, stored: Stored, said: str, asks_for_person: bool = False) -> GatewayResult:
        """The bot's turn for a stored message: a place among the turns in flight, Rasa, the replies stored."""
        wait = 0.0 if asks_for_person else self.settings.queue_wait_s
        async with self.admission.slot(wait) as admitted:
            if admitted:
                timeout = HANDOFF_WORDS_TIMEOUT if asks_for_person else self.settings.turn_timeout_s
                if not asks_for_person:  # a message asking only for a person needs no search
                    self._prepare(said)  # while Rasa reads the message
                replies = await self.ask_rasa(stored.sender, said, timeout)
        if asks_for_person and (not admitted or replies is None):
            return await run_in_threadpool(hand_over, stored, self.settings)
        if not admitted:
            await run_in_threadpool(defer, stored)
            return self._busy(stored)
        return await run_in_threadpool(finish_turn, stored, replies)

    def _prepare(self, said: str) -> None:
        """A typed question (not a button's payload, not a short thanks): its answer's text-only work starts now,
        beside Rasa's, instead of after it."""
        if self.prepare is not None and not said.startswith("/") and len(said.split()) >= PREPARE_MIN_WORDS \
                and not names_no_procedure(said):  # an aspect follow-up is answered for the current procedure
            self.prepare(said)

    async def ask_rasa(self, sender: str, said: str, timeout: float) -> list[Reply] | None:
        """Rasa's replies, or None when it failed, timed out or said nothing (the action server is down)."""
        started = time.perf_counter()
        try:
            replies = rasa_replies(await self.rasa.send(sender, said, timeout=timeout))
        except RasaUnavailable:
            return None
        if not replies:
            log.warning("rasa gave no reply", extra={"ms": round((time.perf_counter() - started) * 1000)})
        return replies or None

    async def _again(self, stored: Stored) -> GatewayResult:
        """A retried message: the same replies once its turn is done (waiting a little if it is under way)."""
        deadline = time.monotonic() + self.settings.queue_wait_s + self.settings.turn_timeout_s + 1
        state = stored.state
        while state in (TurnState.queued, TurnState.running) and time.monotonic() < deadline:
            await events.get_bus().wait([events.conversation_topic(stored.conversation_id)], 0.5)
            state = await run_in_threadpool(turn_state, stored.message_id)
        if state in PENDING:
            return self._busy(stored, duplicate=True)
        return await run_in_threadpool(replies_to, stored)

    def _busy(self, stored: Stored, duplicate: bool = False) -> GatewayResult:
        return GatewayResult([Reply(BUSY)], ConversationMode.bot, stored.conversation_id, stored.message_id,
                             stored.message_id, duplicate=duplicate, busy=True)
