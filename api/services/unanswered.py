"""Questions the bot could not answer (masked when recorded) and what admins did with them: an FAQ was written from
one ("faq"), or it was dismissed ("dismissed"); who and when. The same question asked several times is handled at
once. Used by the console and the REST admin API alike."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.db.models import StaffUser, UnansweredQuestion, utcnow
from api.services import staff
from knowledge_base.text import fold, normalize

OPEN_SCAN = 5000  # open questions grouped at most (newest first)
OUTCOMES = ("faq", "dismissed")
Q = UnansweredQuestion


def question_key(text: str) -> str:
    return fold(normalize(text))


def counts(db: Session) -> dict[str, int]:
    by_outcome = dict(db.execute(select(Q.outcome, func.count()).where(Q.resolved.is_(True)).group_by(Q.outcome))
                      .tuples().all())
    open_count = db.scalar(select(func.count()).select_from(Q).where(Q.resolved.is_(False))) or 0
    return {"open": open_count, "faq": by_outcome.get("faq", 0), "dismissed": by_outcome.get("dismissed", 0),
            "all": open_count + sum(by_outcome.values())}


def open_groups(db: Session) -> list[tuple[Q, int]]:
    """Open questions, newest first, one entry per distinct question with how many times it was asked."""
    groups: dict[str, list[Q]] = {}
    for row in db.scalars(select(Q).where(Q.resolved.is_(False)).order_by(Q.id.desc()).limit(OPEN_SCAN)):
        groups.setdefault(question_key(row.text), []).append(row)
    return [(rows[0], len(rows)) for rows in groups.values()]


def same_open_questions(db: Session, row: Q) -> list[Q]:
    key = question_key(row.text)
    found = [r for r in db.scalars(select(Q).where(Q.resolved.is_(False)).order_by(Q.id.desc()).limit(OPEN_SCAN))
             if question_key(r.text) == key]
    return found if row in found else [row, *found]


def mark(db: Session, admin: StaffUser, row: Q, outcome: str | None, faq_id: str | None = None) -> list[Q]:
    """Close (outcome "faq" / "dismissed") or reopen (None) a question and its open copies; audited."""
    rows = same_open_questions(db, row) if outcome else [row]
    for item in rows:
        item.resolved, item.outcome, item.faq_id = outcome is not None, outcome, faq_id
        item.handled_by, item.handled_at = (admin.id, utcnow()) if outcome else (None, None)
    action = {"faq": "unanswered.faq", "dismissed": "unanswered.dismiss", None: "unanswered.reopen"}[outcome]
    staff.record(db, admin.id, action, f"unanswered:{row.id}",
                 {"count": len(rows), **({"faq_id": faq_id} if faq_id else {})})
    return rows


def get(db: Session, question_id: int) -> Q:
    row = db.get(Q, question_id)
    if row is None:
        raise AppError(404, "not_found", f"Không có câu hỏi số {question_id}.")
    return row


def mark_from_faq(db: Session, admin: StaffUser, question_id: str, faq_id: str) -> None:
    """Called when an FAQ made from a question is saved: the question (and its copies) is handled."""
    row = db.get(Q, int(question_id)) if question_id.isdigit() else None
    if row is not None and not row.resolved:
        mark(db, admin, row, "faq", faq_id)
