"""The office's own facts — address, opening hours, phone, how to book a turn — stored in the database, edited by an
admin (compare-and-set on a version, every change in `audit_log` with what changed), read by the bot on every
message, so a save is answered from the next message on. No FastAPI here.

Until an admin saves them, opening hours are the text derived from the office schedule (`OFFICE_HOURS`), the other
facts are "not given yet" and the citizen is offered an officer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.db.base import rows_changed
from api.db.models import OfficeInfo, StaffUser, utcnow
from api.domain.office_questions import TOPICS
from api.services import staff
from knowledge_base import answers
from knowledge_base.vocabulary import HANDOFF_BUTTON

FIELDS = {"address": "address", "hours": "opening_hours", "phone": "phone", "booking": "booking"}
LABELS = {"address": "Địa chỉ", "hours": "Giờ làm việc", "phone": "Số điện thoại", "booking": "Cách đặt lịch, lấy số"}
LIMITS = {"address": 500, "hours": 500, "phone": 200, "booking": 1000}


@dataclass(frozen=True)
class OfficeFacts:
    address: str = ""
    hours: str = ""
    phone: str = ""
    booking: str = ""
    version: int = 0  # 0: never saved

    def get(self, topic: str) -> str:
        value: str = getattr(self, topic)
        return value


def _row(db: Session) -> OfficeInfo | None:
    return db.scalar(select(OfficeInfo).order_by(OfficeInfo.id).limit(1))


def current(db: Session, default_hours: str = "") -> OfficeFacts:
    """The facts as saved; opening hours fall back to `default_hours` (the schedule's text) while empty."""
    row = _row(db)
    if row is None:
        return OfficeFacts(hours=default_hours)
    return OfficeFacts(address=row.address, hours=row.opening_hours or default_hours, phone=row.phone,
                       booking=row.booking, version=row.version)


def save(db: Session, admin: StaffUser, values: dict[str, str], version: int) -> OfficeFacts:
    """Save the facts edited from `version` (0 when none were saved yet); 409 if someone saved in between,
    422 when a field is too long. Audited with the fields changed, before and after."""
    cleaned = {topic: " ".join((values.get(topic) or "").split()) if topic == "phone"
               else (values.get(topic) or "").strip() for topic in TOPICS}
    for topic, value in cleaned.items():
        if len(value) > LIMITS[topic]:
            raise AppError(422, "too_long", f"{LABELS[topic]}: tối đa {LIMITS[topic]} ký tự.")
    row = _row(db)
    before = current(db)
    if row is None:
        if version != 0:
            raise _conflict()
        row = OfficeInfo(address="", opening_hours="", phone="", booking="", version=0)
        db.add(row)
        db.flush()
    columns = {FIELDS[topic]: value for topic, value in cleaned.items()}
    changed = rows_changed(db, update(OfficeInfo).where(OfficeInfo.id == row.id, OfficeInfo.version == version)
                           .values(**columns, version=version + 1, updated_by=admin.id, updated_at=utcnow()))
    if changed != 1:
        raise _conflict()
    diff = {topic: {"from": before.get(topic), "to": value} for topic, value in cleaned.items()
            if before.get(topic) != value}
    staff.record(db, admin.id, "office.update", "office_info", {"changed": diff, "version": version + 1})
    db.expire_all()
    return current(db)


def _conflict() -> AppError:
    return AppError(409, "version_conflict", "Thông tin cơ quan vừa được người khác lưu; hãy tải lại trang, "
                                             "xem nội dung mới rồi sửa lại.")


def answer(facts: OfficeFacts, topics: list[str], office_name: str = "bộ phận một cửa") -> answers.Message:
    """The reply to a question about the office's facts: each fact asked, or that it is not given yet."""
    lines, missing = [], []
    for topic in topics or ["hours"]:
        value = facts.get(topic)
        if value:
            lines.append(f"{LABELS[topic]} của {office_name}: {value}")
        else:
            missing.append(LABELS[topic].lower())
    if missing:
        lines.append(f"Thông tin về {', '.join(missing)} chưa được cập nhật ở đây; bạn bấm \"Gặp cán bộ\" "
                     "để được cán bộ trả lời.")
    buttons = [HANDOFF_BUTTON] if missing else []
    return answers.Message("\n".join(lines), buttons)
