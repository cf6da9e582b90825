"""Which of the office's own facts a message asks about: opening hours, address, phone, how to book a turn.

Pure rules on the folded message (no diacritics needed). "Giờ làm việc của ủy ban ra sao?" is one of the most
common questions at a commune's desk; it must be answered from the office's facts, never taken for a complaint
nor for a procedure's processing time. A topic counts when the message names it unambiguously ("giờ làm việc",
"số điện thoại", "đặt lịch hẹn") or names the office ("ủy ban", "bộ phận một cửa", "trung tâm phục vụ hành chính
công") together with a looser topic word ("mấy giờ", "ở đâu", "địa chỉ", "thứ bảy").
"""

from __future__ import annotations

import re
import unicodedata

TOPICS = ("hours", "address", "phone", "booking")

_OFFICE = re.compile(  # the office itself
    r"\b(uy ban|ubnd|bo phan mot cua|mot cua|trung tam phuc vu hanh chinh cong|trung tam hanh chinh cong"
    r"|hanh chinh cong|tiep nhan va tra ket qua|tiep nhan ho so|co quan|van phong|tru so)\b")
_UNIT = re.compile(r"\b(xa|phuong|dac khu|cong an)\b")  # a unit: enough for opening hours
_HOURS = re.compile(r"\b(gio lam viec|gio hanh chinh|gio mo cua|gio dong cua|gio nghi trua|lich lam viec"
                    r"|thoi gian lam viec|lam viec tu may gio|mo cua tu may gio|lam viec may gio|lam viec gio nao"
                    r"|may gio (thi )?(mo cua|lam viec|nghi))\b")
_HOURS_LOOSE = re.compile(r"\b(may gio|gio nao|mo cua|dong cua|nghi trua|thu bay|chu nhat|cuoi tuan|ngay le"
                          r"|buoi sang|buoi chieu|thu 7)\b")
_ADDRESS = re.compile(r"\b(dia chi|o dau|cho nao|nam o|duong nao|o duong)\b")
_PHONE = re.compile(r"\b(so dien thoai|dien thoai|so dt|sdt|hotline|duong day nong|tong dai|so lien he)\b")
_PHONE_ALONE = re.compile(r"\b(hotline|duong day nong)\b")
_BOOKING = re.compile(r"\b(dat lich|dat hen|hen lich|hen truoc|lay so thu tu|boc so|so thu tu|lay so"
                      r"|dang ky lich hen|xep hang)\b")
_DOING = re.compile(r"\b(nop|ho so|thu tuc|dang ky|cap|lam lai|lam the|giay)\b")  # the question is a procedure's
# A complaint about officers, or a story about a delay, is not a question about the office's facts.
_NOT_FACTS = re.compile(r"\b(phan anh|khieu nai|to cao|gop y|kien nghi|cach lam viec|buc xuc|thai do|gay kho"
                        r"|hach dich|nhung nhieu|cham tre"
                        r"|qua han|tre hen|khong ai nghe|khong nghe may|thay doi so dien thoai|doi so dien thoai"
                        r"|cap nhat so dien thoai)\b")
SHORT = 16  # words: looser rules apply only to a short message


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def office_topics(text: str) -> list[str]:
    """The office facts the message asks about (in TOPICS' order); [] when it asks none."""
    folded = _fold(text)
    words = len(folded.split())
    if not folded or words > 2 * SHORT or _NOT_FACTS.search(folded):
        return []
    office, short = bool(_OFFICE.search(folded)), words <= SHORT
    found = []
    if _HOURS.search(folded) or (short and (office or _UNIT.search(folded)) and _HOURS_LOOSE.search(folded)):
        found.append("hours")
    if short and office and _ADDRESS.search(folded) and ("dia chi" in folded or not _DOING.search(folded)):
        found.append("address")
    if _PHONE.search(folded) and (office or _UNIT.search(folded) or _PHONE_ALONE.search(folded)):
        found.append("phone")
    if _BOOKING.search(folded) and (office or _DOING.search(folded) or words <= 8):
        found.append("booking")
    return found
