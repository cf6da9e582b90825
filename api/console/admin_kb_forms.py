"""Editor forms of the knowledge base: record content <-> form fields, validated with the real schema.

Simple fields are plain inputs; lists of strings are one item per line; the nested parts of a procedure
(documents, fees, legal basis, forms) are YAML blocks. Every problem is reported in plain Vietnamese under the
form field it belongs to, and the submitted text is kept exactly as typed so that nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from api.services import kb_store
from knowledge_base.formats import faq_content, procedure_content
from knowledge_base.records import Faq, Kind, Level, OnlineLevel, Procedure

Errors = dict[str, list[str]]
RESERVED_IDS = {"new"}  # /console/admin/<kind>/new is the creation page

PROCEDURE_LINES = ("aliases", "steps", "fee_exemptions", "notes")
PROCEDURE_YAML = ("documents", "fees", "legal_basis", "forms")
PROCEDURE_MAPPINGS = ("provenance", "unconfirmed")  # YAML blocks holding a mapping per fact group
PROCEDURE_TEXT = ("id", "kind", "title", "national_codes", "no_code_reason", "field", "level", "locality", "agency",
                  "where_to_submit", "who_can_apply", "processing_time", "processing_days", "result", "source_url",
                  "checked_on")
ONLINE = ("online_level", "online_url", "online_note")
FAQ_FIELDS = ("id", "question", "answer", "procedure_id", "paraphrases")

LABELS = {
    "id": "Mã", "title": "Tên thủ tục", "national_codes": "Mã thủ tục quốc gia", "aliases": "Tên gọi khác",
    "kind": "Loại bản ghi", "no_code_reason": "Lý do không có mã thủ tục", "provenance": "Nguồn của từng thông tin",
    "unconfirmed": "Thông tin chưa xác nhận",
    "field": "Lĩnh vực", "level": "Cấp thực hiện", "locality": "Phạm vi áp dụng", "agency": "Cơ quan thực hiện",
    "where_to_submit": "Nơi nộp hồ sơ", "who_can_apply": "Đối tượng thực hiện", "documents": "Thành phần hồ sơ",
    "steps": "Các bước thực hiện", "processing_time": "Thời gian giải quyết", "processing_days": "Số ngày làm việc",
    "fees": "Phí, lệ phí", "fee_exemptions": "Miễn, giảm phí", "result": "Kết quả nhận được",
    "legal_basis": "Căn cứ pháp lý", "forms": "Biểu mẫu", "online": "Dịch vụ công trực tuyến",
    "online_level": "Mức độ trực tuyến", "online_url": "Đường dẫn nộp trực tuyến", "online_note": "Ghi chú trực tuyến",
    "notes": "Lưu ý cho người dân", "source_url": "Nguồn (đường dẫn chính thức)", "checked_on": "Ngày kiểm tra",
    "question": "Câu hỏi", "answer": "Câu trả lời",
    "procedure_id": "Thủ tục liên quan", "paraphrases": "Cách hỏi khác", "faqs": "Câu hỏi thường gặp",
}
# names of the fields inside the YAML blocks, as the admin sees them in the help text
SUBFIELDS = {
    "name": "tên", "copies": "số bản", "required": "bắt buộc", "note": "ghi chú", "form": "mã biểu mẫu",
    "amount": "số tiền", "channel": "hình thức nộp", "conditions": "điều kiện", "valid_from": "áp dụng từ ngày",
    "valid_until": "áp dụng đến ngày", "legal_basis": "căn cứ thu", "title": "tên văn bản", "number": "số hiệu",
    "code": "mã", "url": "đường dẫn", "successor": "mức kế tiếp", "provenance": "nguồn", "unconfirmed": "chưa xác nhận",
    "source": "nguồn", "read_on": "ngày đọc", "at": "vị trí trong trang", "as_read": "số liệu như trang ghi",
    "agency": "cơ quan", "processing_time": "thời gian giải quyết", "documents": "thành phần hồ sơ",
    "days": "số ngày", "hours": "số giờ", "count": "số lượng", "numbers": "số hiệu văn bản",
    "online": "trực tuyến", "steps": "các bước", "forms": "biểu mẫu",
}
_MESSAGES = {
    "must be a slug: lower-case ascii words joined by '-'":
        "Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang giữa các từ (ví dụ: dang-ky-khai-sinh).",
    "valid_from is after valid_until": "Ngày bắt đầu áp dụng (valid_from) đang sau ngày hết áp dụng (valid_until).",
    "an online procedure needs its url": "Thủ tục nộp trực tuyến được thì phải có đường dẫn nộp.",
    "must be an http(s) URL": "Phải là đường dẫn bắt đầu bằng https:// hoặc http://.",
    "successor is only for a fee with valid_until":
        "Chỉ mức phí có ngày hết áp dụng (valid_until) mới ghi mức kế tiếp (successor: pending).",
    "no_code_reason is only for a guide without national codes":
        "Chỉ bản ghi loại hướng dẫn, không có mã thủ tục quốc gia, mới ghi lý do không có mã.",
    "a national code is listed twice": "Một mã thủ tục quốc gia bị ghi hai lần.",
}
_CODE_PROBLEM = "is not a national record code like 1.115978"


@dataclass
class FormResult:
    """The submitted values (as typed), the content when valid, and the problems per field."""

    values: dict[str, str]
    content: dict[str, Any] | None = None
    errors: Errors = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return self.content is not None and not self.errors


# --- content -> form ------------------------------------------------------------------------------------------


DATE_KEYS = ("valid_from", "valid_until", "read_on")


def _plain_dates(value: Any) -> Any:
    """Stored dates are ISO strings; as dates they are written 2026-12-31 rather than '2026-12-31'."""
    if isinstance(value, dict):
        return {k: _plain_dates(v) if k not in DATE_KEYS else _as_date(v) for k, v in value.items()}
    return [_plain_dates(v) for v in value] if isinstance(value, list) else value


def _as_date(value: Any) -> Any:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _yaml_block(items: list[Any] | dict[str, Any]) -> str:
    if not items:
        return ""
    return yaml.safe_dump(_plain_dates(items), allow_unicode=True, sort_keys=False, width=4096).rstrip() + "\n"


def procedure_values(content: dict[str, Any] | None) -> dict[str, str]:
    content = content or {}
    values = {key: "" if content.get(key) is None else str(content[key]) for key in PROCEDURE_TEXT}
    values["locality"] = values["locality"] or "national"
    values["kind"] = values["kind"] or "procedure"
    values["national_codes"] = ", ".join(content.get("national_codes") or [])
    values.update({key: "\n".join(content.get(key) or []) for key in PROCEDURE_LINES})
    values.update({key: _yaml_block(content.get(key) or []) for key in PROCEDURE_YAML})
    values.update({key: _yaml_block({k: v for k, v in (content.get(key) or {}).items() if v})
                   for key in PROCEDURE_MAPPINGS})
    online = content.get("online") or {}
    values.update(online_level=online.get("level") or "", online_url=online.get("url") or "",
                  online_note=online.get("note") or "")
    return values


def faq_values(content: dict[str, Any] | None) -> dict[str, str]:
    content = content or {}
    return {"id": content.get("id") or "", "question": content.get("question") or "",
            "answer": content.get("answer") or "", "procedure_id": content.get("procedure_id") or "",
            "paraphrases": "\n".join(content.get("paraphrases") or [])}


# --- form -> content ------------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _optional(text: str) -> str | None:
    return text.strip() or None


def _parse_yaml(text: str, key: str, result: FormResult, mapping: bool = False) -> list[Any] | dict[str, Any] | None:
    if not text.strip():
        return {} if mapping else []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"Dòng {mark.line + 1}, cột {mark.column + 1}: " if mark else "Nội dung "
        problem = getattr(error, "problem", None) or "cú pháp sai"
        result.add(key, f"{where}viết sai cú pháp YAML. Kiểm tra thụt lề (mỗi trường của một mục thẳng hàng nhau), "
                        f"dấu “- ” đầu mỗi mục và dấu “: ” sau tên trường. (Chi tiết kỹ thuật: {problem})")
        return None
    if data is None:
        return {} if mapping else []
    if mapping and not isinstance(data, dict):
        result.add(key, "Phải là các dòng “tên_mục: nội dung” (ví dụ “agency: …”), không bắt đầu bằng “- ”.")
        return None
    if not mapping and not isinstance(data, list):
        result.add(key, "Phải là một danh sách: mỗi mục bắt đầu bằng “- ” ở đầu dòng.")
        return None
    return data


def _subfield(name: str) -> str:
    return f"{SUBFIELDS[name]} ({name})" if name in SUBFIELDS else f"“{name}”"


def plain_error(item: ErrorDetails) -> str:
    """One pydantic error as a Vietnamese sentence (the location is given by the field it is shown under)."""
    kind, msg = item["type"], str(item.get("msg", ""))
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return "Bắt buộc, chưa nhập."
    if kind == "string_too_short":
        return "Không được để trống."
    if kind == "too_short":
        return "Cần ít nhất một mục."
    if kind == "extra_forbidden":
        return f"Trường {_subfield(str(item['loc'][-1]))} không có trong mẫu dữ liệu (kiểm tra lại chính tả)."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Phải là một số nguyên (không có dấu chấm, dấu phẩy hay chữ)."
    if kind == "greater_than_equal":
        return "Không được là số âm."
    if kind.startswith("date"):
        return "Ngày không hợp lệ; viết theo dạng năm-tháng-ngày, ví dụ 2026-12-31."
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return "Bắt buộc, hãy chọn một mục." if not item.get("input") else f"Chỉ được chọn: {expected}."
    if kind.startswith("bool"):
        return "Phải là true (có) hoặc false (không)."
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "Mỗi mục phải là một nhóm trường dạng “tên_trường: giá trị”."
    if kind == "string_type" and item.get("input") is None:
        return "Không được để trống."
    if kind in ("string_type", "list_type"):
        return "Kiểu dữ liệu không đúng (cần chữ hoặc danh sách)."
    text = msg.removeprefix("Value error, ")
    if text.endswith(_CODE_PROBLEM):
        return f"{text.removesuffix(_CODE_PROBLEM).strip()} không phải mã thủ tục quốc gia (dạng 1.115978)."
    return _MESSAGES.get(text, text)


def _where(loc: tuple[Any, ...]) -> str:
    """'Mục 2, tên (name): ' for an error inside a YAML block."""
    parts = []
    for part in loc[1:]:
        parts.append(f"Mục {part + 1}" if isinstance(part, int) else _subfield(str(part)))
    return (", ".join(parts) + ": ") if parts else ""


def _collect(error: ValidationError, result: FormResult, skip: set[str]) -> None:
    for item in error.errors():
        loc = tuple(item["loc"])
        key = str(loc[0]) if loc else "form"
        if key == "online":  # the online part is three plain fields
            sub = str(loc[1]) if len(loc) > 1 else "url"
            key = f"online_{sub}" if sub in ("level", "url", "note") else "online_url"
            result.add(key, plain_error(item))
            continue
        if key in skip:
            continue
        where = loc[:-1] if item["type"] == "extra_forbidden" else loc  # the message names an unknown field
        prefix = _where(where) if key in (*PROCEDURE_YAML, *PROCEDURE_MAPPINGS) else ""
        if key in (*PROCEDURE_LINES, "paraphrases") and len(loc) > 1 and isinstance(loc[1], int):
            prefix = f"Dòng {loc[1] + 1}: "
        result.add(key, prefix + plain_error(item))


def procedure_from_form(form: dict[str, str]) -> FormResult:
    fields = (*PROCEDURE_TEXT, *PROCEDURE_LINES, *PROCEDURE_YAML, *PROCEDURE_MAPPINGS, *ONLINE)
    values = {key: str(form.get(key, "")) for key in fields}
    result = FormResult(values=values)
    raw: dict[str, Any] = {key: values[key].strip() for key in PROCEDURE_TEXT}
    for key in ("no_code_reason", "who_can_apply", "result", "processing_days"):
        raw[key] = _optional(values[key])
    raw["locality"] = raw["locality"] or "national"
    raw["kind"] = raw["kind"] or "procedure"
    raw["national_codes"] = [code for code in re.split(r"[\s,;]+", values["national_codes"]) if code]
    raw.update({key: _lines(values[key]) for key in PROCEDURE_LINES})
    broken: set[str] = set()
    for key in (*PROCEDURE_YAML, *PROCEDURE_MAPPINGS):
        parsed = _parse_yaml(values[key], key, result, mapping=key in PROCEDURE_MAPPINGS)
        if parsed is None:
            broken.add(key)
        raw[key] = parsed or ({} if key in PROCEDURE_MAPPINGS else [])
    raw["online"] = {"level": values["online_level"].strip(), "url": _optional(values["online_url"]),
                     "note": _optional(values["online_note"])}
    if raw["id"] in RESERVED_IDS:
        result.add("id", f"Mã “{raw['id']}” được dành riêng cho hệ thống; hãy chọn mã khác.")
    try:
        record = Procedure.model_validate(raw)
    except ValidationError as error:
        _collect(error, result, skip=broken)
        return result
    for problem in kb_store.procedure_problems(record):
        _add_problem(problem.field, problem.message, result)
    if not result.errors:
        result.content = procedure_content(record)
    return result


def _add_problem(field_path: str, message: str, result: FormResult) -> None:
    """A rule's problem under the form field it belongs to ("fees.2.provenance" -> fees, "Mục 3, nguồn …: ")."""
    loc = tuple(int(part) if part.isdigit() else part for part in field_path.split("."))
    key = str(loc[0])
    if key not in result.values:
        result.add("form", f"{LABELS.get(key, key)}: {message}")
        return
    prefix = _where(loc) if key in (*PROCEDURE_YAML, *PROCEDURE_MAPPINGS) else ""
    result.add(key, prefix + message)


def faq_from_form(form: dict[str, str], procedure_ids: set[str]) -> FormResult:
    values = {key: str(form.get(key, "")) for key in FAQ_FIELDS}
    result = FormResult(values=values)
    raw = {"id": values["id"].strip(), "question": values["question"].strip(), "answer": values["answer"].strip(),
           "procedure_id": _optional(values["procedure_id"]), "paraphrases": _lines(values["paraphrases"])}
    if raw["id"] in RESERVED_IDS:
        result.add("id", f"Mã “{raw['id']}” được dành riêng cho hệ thống; hãy chọn mã khác.")
    if raw["procedure_id"] and raw["procedure_id"] not in procedure_ids:
        result.add("procedure_id", "Thủ tục này không còn trong cơ sở tri thức; hãy chọn thủ tục khác.")
    try:
        record = Faq.model_validate(raw)
    except ValidationError as error:
        _collect(error, result, skip=set())
        return result
    if not result.errors:
        result.content = faq_content(record)
    return result


def suggest_id(text: str, limit: int = 60) -> str:
    """A slug from a question: 'Làm hộ chiếu ở đâu?' -> 'lam-ho-chieu-o-dau'."""
    from knowledge_base.text import fold

    words = "".join(ch if ch.isalnum() and ch.isascii() else " " for ch in fold(text.lower()).replace("đ", "d"))
    slug = ""
    for word in words.split():
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug


LEVEL_CHOICES = [(level.value, level.label) for level in Level]
KIND_CHOICES = [(Kind.procedure.value, "Thủ tục hành chính"), (Kind.guide.value, "Hướng dẫn (không phải thủ tục)")]
ONLINE_CHOICES = [(level.value, level.label) for level in OnlineLevel]
