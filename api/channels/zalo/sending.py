"""Zalo's sending rules, kept in the database so every replica applies the same ones (stricter reading where
sources differ, docs/channels.md): a citizen may be written to only within 48 hours of their last message, with at
most 8 messages per citizen message, and not after they unfollowed the OA (until they write or follow again).

`Slots` takes the slots for a send with one conditional UPDATE (replicas cannot both take the last slot), committed
at once, and gives them back when the send fails.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from api.db.base import session_scope
from api.db.models import ZaloUser, utcnow
from api.domain.zalo_rules import MAX_PER_CITIZEN_MESSAGE, WINDOW


def sendable() -> ColumnElement[bool]:
    """Condition on ZaloUser: this citizen may be written to now (at least one slot left)."""
    return and_(ZaloUser.unfollowed.is_(False), ZaloUser.last_citizen_at >= utcnow() - WINDOW,
                ZaloUser.sent_since < MAX_PER_CITIZEN_MESSAGE)


def citizen_wrote(db: Session, user_id: str, msg_id: str, at: dt.datetime) -> bool:
    """A message from the citizen (any kind): the window and the count start again. False when this message had been
    recorded already (Zalo delivered the event again)."""
    row = db.get(ZaloUser, user_id, with_for_update=True)
    if row is None:
        try:
            with db.begin_nested():
                db.add(ZaloUser(user_id=user_id, last_msg_id=msg_id, last_citizen_at=at, sent_since=0))
            return True
        except IntegrityError:  # the citizen's previous event, at the same moment on another replica
            row = db.get(ZaloUser, user_id, with_for_update=True, populate_existing=True)
            assert row is not None
    if row.last_msg_id == msg_id:
        return False
    row.last_msg_id, row.last_citizen_at, row.sent_since, row.unfollowed = msg_id, at, 0, False
    return True


def set_following(db: Session, user_id: str, following: bool) -> None:
    row = db.get(ZaloUser, user_id, with_for_update=True)
    if row is None:
        db.add(ZaloUser(user_id=user_id, unfollowed=not following, sent_since=0))
    else:
        row.unfollowed = not following


def reserve(db: Session, user_id: str, count: int) -> str | None:
    """Take `count` slots for this citizen; returns the message id to reply to (Zalo's id of the citizen's last
    message, "" if unknown), or None when the rules forbid sending now."""
    now = utcnow()
    result = db.execute(update(ZaloUser)
                        .where(ZaloUser.user_id == user_id, ZaloUser.unfollowed.is_(False),
                               ZaloUser.last_citizen_at >= now - WINDOW,
                               ZaloUser.sent_since + count <= MAX_PER_CITIZEN_MESSAGE)
                        .values(sent_since=ZaloUser.sent_since + count)
                        .returning(ZaloUser.last_msg_id)
                        .execution_options(synchronize_session=False))
    row = result.first()
    return None if row is None else (row[0] or "")


def forget_window(db: Session, user_id: str) -> None:
    """Zalo says this citizen cannot be written to (not following, or out of its window): wait for them."""
    db.execute(update(ZaloUser).where(ZaloUser.user_id == user_id)
               .values(sent_since=MAX_PER_CITIZEN_MESSAGE).execution_options(synchronize_session=False))




def release(db: Session, user_id: str, count: int) -> None:
    """Give slots back after a send that failed."""
    db.execute(update(ZaloUser).where(ZaloUser.user_id == user_id, ZaloUser.sent_since >= count)
               .values(sent_since=ZaloUser.sent_since - count).execution_options(synchronize_session=False))


class Slots:
    """Slots taken in a transaction of their own (committed at once: a send never holds a write lock while it
    waits for Zalo), given back if the send fails; after Zalo says the citizen cannot be written to, none are
    left until they write again."""

    def __init__(self, user_id: str, count: int) -> None:
        self.user_id, self.count = user_id, count

    def take(self) -> str | None:
        with session_scope() as db:
            return reserve(db, self.user_id, self.count)

    def give_back(self, gone: bool) -> None:
        with session_scope() as db:
            if gone:
                forget_window(db, self.user_id)
            else:
                release(db, self.user_id, self.count)
