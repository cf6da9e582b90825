"""Editor forms of the knowledge base: record content <-> typed form controls, validated with the real schema.

Every field of the schema is a form control of its type: text, number, date (a date picker), a choice; lists are
repeatable rows (added, removed and reordered in the page), one control per field of an item. Input names are the
field's path joined by "-": `title`, `documents-0-name`, `fees-2-amount`, `fees-2-provenance-as_read-amount`,
`provenance-agency-read_on`, `steps-3-text`. No field takes YAML or JSON; YAML import and export have a page of
their own. Problems (the schema's and `kb validate`'s rules) are in plain Vietnamese under the control they belong
to (else its row, its list, or the form), and the submitted values are kept exactly as typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from api.services import kb_store
from knowledge_base.formats import faq_content, procedure_content
from knowledge_base.records import FACT_GROUPS, AsRead, Channel, Faq, Kind, Level, OnlineLevel, Procedure, Unconfirmed

Errors = dict[str, list[str]]
RESERVED_IDS = {"new"}  # /console/admin/<kind>/new is the creation page
SEP = "-"

AS_READ = tuple(AsRead.model_fields)  # amount, days, hours, count, numbers, forms, agency
AS_READ_LISTS = ("numbers", "forms")  # one input per item: `…-as_read-numbers-0`
PROVENANCE_FIELDS = ("source", "read_on", "at", *(f"as_read-{name}" for name in AS_READ if name not in AS_READ_LISTS))
TEXT_ROWS = ("national_codes", "aliases", "steps", "fee_exemptions", "notes")  # lists of strings: one input per row
ROWS: dict[str, tuple[str, ...]] = {
    **{name: ("text",) for name in TEXT_ROWS},
    "documents": ("name", "copies", "required", "note", "form"),
    "fees": ("name", "amount", "channel", "conditions", "valid_from", "valid_until", "legal_basis", "successor",
             "unconfirmed", *(f"provenance-{name}" for name in PROVENANCE_FIELDS)),
    "legal_basis": ("title", "number", "note"),
    "forms": ("code", "name", "url"),
}
CHOICE_DEFAULTS = {"channel": Channel.any.value, "required": "yes"}  # a new row's choices
SCALARS = ("id", "kind", "title", "no_code_reason", "field", "level", "locality", "agency", "where_to_submit",
           "who_can_apply", "processing_time", "processing_days", "result", "source_url", "checked_on")
OPTIONAL_SCALARS = ("no_code_reason", "who_can_apply", "processing_days", "result")
ONLINE = ("online-level", "online-url", "online-note")
GROUP_PROVENANCE = tuple(f"provenance-{group}-{name}" for group in FACT_GROUPS for name in PROVENANCE_FIELDS)
UNCONFIRMED = tuple(f"unconfirmed-{name}" for name in Unconfirmed.model_fields)
FAQ_SCALARS = ("id", "question", "answer", "procedure_id")
FAQ_ROWS = {"paraphrases": ("text",)}

LABELS = {
    "id": "Mã", "title": "Tên thủ tục", "national_codes": "Mã thủ tục quốc gia", "aliases": "Tên gọi khác",
    "kind": "Loại bản ghi", "no_code_reason": "Lý do không có mã thủ tục", "provenance": "Nguồn của từng thông tin",
    "unconfirmed": "Thông tin chưa xác nhận",
    "field": "Lĩnh vực", "level": "Cấp thực hiện", "locality": "Phạm vi áp dụng", "agency": "Cơ quan thực hiện",
    "where_to_submit": "Nơi nộp hồ sơ", "who_can_apply": "Đối tượng thực hiện", "documents": "Thành phần hồ sơ",
    "steps": "Các bước thực hiện", "processing_time": "Thời gian giải quyết", "processing_days": "Số ngày làm việc",
    "fees": "Phí, lệ phí", "fee_exemptions": "Miễn, giảm phí", "result": "Kết quả nhận được",
    "legal_basis": "Căn cứ pháp lý", "forms": "Biểu mẫu", "online": "Dịch vụ công trực tuyến",
    "online-level": "Mức độ trực tuyến", "online-url": "Đường dẫn nộp trực tuyến", "online-note": "Ghi chú trực tuyến",
    "notes": "Lưu ý cho người dân", "source_url": "Nguồn (đường dẫn chính thức)", "checked_on": "Ngày kiểm tra",
    "question": "Câu hỏi", "answer": "Câu trả lời",
    "procedure_id": "Thủ tục liên quan", "paraphrases": "Cách hỏi khác", "faqs": "Câu hỏi thường gặp",
}
# names of the fields inside rows and groups, as the admin sees them in the problem summary
SUBFIELDS = {
    "name": "tên", "copies": "số bản", "required": "bắt buộc", "note": "ghi chú", "form": "mã biểu mẫu",
    "amount": "số tiền", "channel": "hình thức nộp", "conditions": "điều kiện", "valid_from": "áp dụng từ ngày",
    "valid_until": "áp dụng đến ngày", "legal_basis": "căn cứ thu", "title": "tên văn bản", "number": "số hiệu",
    "code": "mã", "url": "đường dẫn", "successor": "mức kế tiếp", "provenance": "nguồn", "unconfirmed": "chưa xác nhận",
    "source": "nguồn", "read_on": "ngày đọc", "at": "vị trí trong trang", "as_read": "số liệu như trang ghi",
    "agency": "cơ quan", "processing_time": "thời gian giải quyết", "documents": "thành phần hồ sơ",
    "days": "số ngày", "hours": "số giờ", "count": "số lượng", "numbers": "số hiệu văn bản",
    "online": "trực tuyến", "steps": "các bước", "forms": "biểu mẫu", "text": "nội dung",
}
_MESSAGES = {
    "must be a slug: lower-case ascii words joined by '-'":
        "Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang giữa các từ (ví dụ: dang-ky-khai-sinh).",
    "valid_from is after valid_until": "Ngày bắt đầu áp dụng đang sau ngày hết áp dụng.",
    "an online procedure needs its url": "Thủ tục nộp trực tuyến được thì phải có đường dẫn nộp.",
    "must be an http(s) URL": "Phải là đường dẫn bắt đầu bằng https:// hoặc http://.",
    "must be an http(s) URL (https://…)": "Phải là đường dẫn bắt đầu bằng https:// hoặc http://.",
    "successor is only for a fee with valid_until":
        "Chỉ mức phí có ngày hết áp dụng mới ghi “chưa có mức kế tiếp”.",
    "no_code_reason is only for a guide without national codes":
        "Chỉ bản ghi loại hướng dẫn, không có mã thủ tục quốc gia, mới ghi lý do không có mã.",
    "a national code is listed twice": "Một mã thủ tục quốc gia bị ghi hai lần.",
}
# a model-level problem of a row, shown beside the control it is about
_ROW_PROBLEM_FIELD = {"valid_from is after valid_until": "valid_until",
                      "successor is only for a fee with valid_until": "successor",
                      "an online procedure needs its url": "url"}
_CODE_PROBLEM = "is not a national record code like 1.115978"


@dataclass
class FormResult:
    """The submitted values (as typed), the content when valid, and the problems per control."""

    values: dict[str, str]
    content: dict[str, Any] | None = None
    errors: Errors = field(default_factory=dict)
    kept: dict[str, list[int]] = field(default_factory=dict)  # per list: the row numbers sent to the schema

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return self.content is not None and not self.errors


def name(*parts: object) -> str:
    return SEP.join(str(part) for part in parts)


def row_numbers(values: dict[str, str], group: str) -> list[int]:
    """The row numbers of a list present in the form (`fees-0-…`, `fees-3-…`), in order."""
    found: set[int] = set()
    prefix = group + SEP
    for key in values:
        if key.startswith(prefix) and (number := key[len(prefix):].split(SEP, 1)[0]).isdigit():
            found.add(int(number))
    return sorted(found)


# --- content -> form ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _flatten(prefix: str, data: dict[str, Any], into: dict[str, str]) -> None:
    """Nested fields become `prefix-key-sub`; a list's items `prefix-key-0`, `prefix-key-1`… (one input each)."""
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(name(prefix, key), value, into)
        elif isinstance(value, list):
            into.update({name(prefix, key, index): _text(item) for index, item in enumerate(value)})
        else:
            into[name(prefix, key)] = _text(value)


def _rows_to_values(group: str, fields: tuple[str, ...], items: list[Any], into: dict[str, str]) -> None:
    for index, item in enumerate(items):
        if fields == ("text",):
            into[name(group, index, "text")] = _text(item)
            continue
        for sub in fields:
            into.setdefault(name(group, index, sub), "")
        _flatten(name(group, index), item, into)
        if group == "documents":
            into[name(group, index, "required")] = _text(item.get("required", True))


def procedure_values(content: dict[str, Any] | None) -> dict[str, str]:
    content = content or {}
    values = {key: _text(content.get(key)) for key in SCALARS}
    values["locality"] = values["locality"] or "national"
    values["kind"] = values["kind"] or "procedure"
    for group, fields in ROWS.items():
        _rows_to_values(group, fields, content.get(group) or [], values)
    online = content.get("online") or {}
    values.update({key: _text(online.get(key.split(SEP)[1])) for key in ONLINE})
    values.update(dict.fromkeys((*GROUP_PROVENANCE, *UNCONFIRMED), ""))
    _flatten("provenance", content.get("provenance") or {}, values)
    _flatten("unconfirmed", content.get("unconfirmed") or {}, values)
    return values


def faq_values(content: dict[str, Any] | None) -> dict[str, str]:
    content = content or {}
    values = {key: _text(content.get(key)) for key in FAQ_SCALARS}
    _rows_to_values("paraphrases", ("text",), content.get("paraphrases") or [], values)
    return values


# --- form -> content ------------------------------------------------------------------------------------------


def _optional(text: str) -> str | None:
    return text.strip() or None


def _items(values: dict[str, str], prefix: str) -> list[str]:
    """The non-empty inputs `prefix-0`, `prefix-1`… in order."""
    return [text for index in row_numbers(values, prefix) if (text := values[name(prefix, index)].strip())]


def _provenance(values: dict[str, str], prefix: str) -> dict[str, Any] | None:
    """A provenance group from its controls; None when all are empty (no provenance)."""
    raw: dict[str, Any] = {key: values.get(name(prefix, key), "").strip() for key in PROVENANCE_FIELDS}
    raw.update({f"as_read-{key}": _items(values, name(prefix, "as_read", key)) for key in AS_READ_LISTS})
    if not any(raw.values()):
        return None
    found: dict[str, Any] = {key: raw[key] or None for key in ("source", "read_on", "at")}
    found["as_read"] = {key: raw[f"as_read-{key}"] for key in AS_READ if raw[f"as_read-{key}"]}
    return found


def _row(group: str, values: dict[str, str], index: int) -> Any:
    """One item of a list from its controls (None: every control empty, the row is left out)."""
    prefix = name(group, index)
    fields = ROWS.get(group) or FAQ_ROWS[group]
    if fields == ("text",):
        return _optional(values.get(name(prefix, "text"), ""))
    plain = [sub for sub in fields if not sub.startswith("provenance-")]
    raw = {sub: values.get(name(prefix, sub), "").strip() for sub in plain}
    provenance = _provenance(values, name(prefix, "provenance")) if group == "fees" else None
    if all(value in ("", CHOICE_DEFAULTS.get(key)) for key, value in raw.items()) and provenance is None:
        return None  # a row added and left blank (its choices as they came)
    item: dict[str, Any] = {key: value for key, value in raw.items() if value}
    if group == "documents":
        item["required"] = raw["required"] != "no"
    if group == "fees":
        item.setdefault("amount", None)  # required: "Bắt buộc, chưa nhập" beside the amount
        if provenance is not None:
            item["provenance"] = provenance
    for required in ("name", "title", "code"):
        if required in fields and required not in item:
            item[required] = None
    return item


def _rows(group: str, values: dict[str, str], result: FormResult) -> list[Any]:
    items, kept = [], []
    for index in row_numbers(values, group):
        item = _row(group, values, index)
        if item is not None:
            items.append(item)
            kept.append(index)
    result.kept[group] = kept
    return items


def _known(values: dict[str, str], groups: Iterable[str]) -> set[str]:
    """Every place a problem can be shown: the controls, their rows, their lists."""
    known = set(values) | set(groups) | {"form", "provenance", "unconfirmed"}
    for group in groups:
        known.update(name(group, index) for index in row_numbers(values, group))
    return known


def _place(loc: tuple[Any, ...], result: FormResult, known: set[str]) -> str:
    """The control (else row, list, form) of a problem at a schema location; row numbers as the admin sent them."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in result.kept and len(parts) > 1 and parts[1].isdigit():
        kept = result.kept[parts[0]]
        index = int(parts[1])
        parts[1] = str(kept[index]) if index < len(kept) else parts[1]
        if parts[0] in (*TEXT_ROWS, *FAQ_ROWS) and len(parts) == 2:
            parts.append("text")
    while parts:
        key = name(*parts)
        if key in known:
            return key
        parts.pop()
    return "form"


def _subfield(key: str) -> str:
    return SUBFIELDS.get(key, key)


def label_of(key: str) -> str:
    """'Phí, lệ phí · mục 3 · nguồn · số tiền' for `fees-2-provenance-as_read-amount`."""
    parts = key.split(SEP)
    if key in LABELS or len(parts) == 1:
        return LABELS.get(key, key)
    out = [LABELS.get(parts[0], parts[0])]
    for part in parts[1:]:
        out.append(f"mục {int(part) + 1}" if part.isdigit() else _subfield(part))
    return " · ".join(item for item in out if item != "nội dung")


def plain_error(item: ErrorDetails) -> str:
    """One pydantic error as a Vietnamese sentence (the place is given by the control it is shown beside)."""
    kind, msg = item["type"], str(item.get("msg", ""))
    ctx = item.get("ctx") or {}
    if kind == "missing" or (kind in ("string_type", "int_type") and item.get("input") is None):
        return "Bắt buộc, chưa nhập."
    if kind == "string_too_short":
        return "Không được để trống."
    if kind == "too_short":
        return "Cần ít nhất một mục: bấm nút thêm bên dưới."
    if kind == "string_too_long":
        return f"Dài quá: tối đa {ctx.get('max_length', '')} ký tự."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Phải là một số nguyên (không có dấu chấm, dấu phẩy hay chữ)."
    if kind == "greater_than_equal":
        return "Không được là số âm."
    if kind.startswith("date"):
        return "Ngày không hợp lệ: chọn ngày trong lịch."
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return "Bắt buộc, hãy chọn một mục." if not item.get("input") else f"Chỉ được chọn: {expected}."
    if kind.startswith("bool"):
        return "Chọn “Bắt buộc” hoặc “Nếu có”."
    if kind == "literal_error":
        return "Chọn một mục trong danh sách."
    text = msg.removeprefix("Value error, ")
    if text.endswith(_CODE_PROBLEM):
        return f"{text.removesuffix(_CODE_PROBLEM).strip()} không phải mã thủ tục quốc gia (dạng 1.115978)."
    return _MESSAGES.get(text, text)


def _collect(error: ValidationError, result: FormResult, known: set[str]) -> None:
    for item in error.errors():
        loc = tuple(item["loc"])
        text = str(item.get("msg", "")).removeprefix("Value error, ")
        if text in _ROW_PROBLEM_FIELD:
            loc = (*loc, _ROW_PROBLEM_FIELD[text])
        result.add(_place(loc, result, known), plain_error(item))


def _add_problem(field_path: str, message: str, result: FormResult, known: set[str]) -> None:
    """A rule's problem ("fees.2.provenance.as_read.amount") beside its control."""
    loc = tuple(int(part) if part.isdigit() else part for part in field_path.split("."))
    result.add(_place(loc, result, known), message)


def procedure_from_form(form: dict[str, str]) -> FormResult:
    fixed = (*SCALARS, *ONLINE, *GROUP_PROVENANCE, *UNCONFIRMED)
    values = {key: str(form.get(key, "")) for key in fixed}
    values.update({key: str(value) for key, value in form.items()  # rows, and the figures' lists
                   if (key.split(SEP, 1)[0] in ROWS and SEP in key and key.split(SEP)[1].isdigit())
                   or (key.startswith("provenance-") and key.rsplit(SEP, 1)[-1].isdigit())})
    result = FormResult(values=values)
    raw: dict[str, Any] = {key: values[key].strip() for key in SCALARS}
    for key in OPTIONAL_SCALARS:
        raw[key] = _optional(values[key])
    raw["locality"] = raw["locality"] or "national"
    raw["kind"] = raw["kind"] or "procedure"
    raw.update({group: _rows(group, values, result) for group in ROWS})
    raw["online"] = {"level": values["online-level"].strip(), "url": _optional(values["online-url"]),
                     "note": _optional(values["online-note"])}
    raw["provenance"] = {group: prov for group in FACT_GROUPS
                         if (prov := _provenance(values, name("provenance", group))) is not None}
    raw["unconfirmed"] = {key: text for key in Unconfirmed.model_fields
                          if (text := values[name("unconfirmed", key)].strip())}
    known = _known(values, ROWS)
    if raw["id"] in RESERVED_IDS:
        result.add("id", f"Mã “{raw['id']}” được dành riêng cho hệ thống; hãy chọn mã khác.")
    try:
        record = Procedure.model_validate(raw)
    except ValidationError as error:
        _collect(error, result, known)
        return result
    for problem in kb_store.procedure_problems(record):
        _add_problem(problem.field, problem.message, result, known)
    if not result.errors:
        result.content = procedure_content(record)
    return result


def faq_from_form(form: dict[str, str], procedure_ids: set[str]) -> FormResult:
    values = {key: str(form.get(key, "")) for key in FAQ_SCALARS}
    values.update({key: str(value) for key, value in form.items()
                   if key.startswith("paraphrases" + SEP) and key.split(SEP)[1].isdigit()})
    result = FormResult(values=values)
    raw = {"id": values["id"].strip(), "question": values["question"].strip(), "answer": values["answer"].strip(),
           "procedure_id": _optional(values["procedure_id"]), "paraphrases": _rows("paraphrases", values, result)}
    if raw["id"] in RESERVED_IDS:
        result.add("id", f"Mã “{raw['id']}” được dành riêng cho hệ thống; hãy chọn mã khác.")
    if raw["procedure_id"] and raw["procedure_id"] not in procedure_ids:
        result.add("procedure_id", "Thủ tục này không còn trong cơ sở tri thức; hãy chọn thủ tục khác.")
    try:
        record = Faq.model_validate(raw)
    except ValidationError as error:
        _collect(error, result, _known(values, FAQ_ROWS))
        return result
    if not result.errors:
        result.content = faq_content(record)
    return result


def error_labels(errors: Errors) -> dict[str, str]:
    """The summary's name of every control with a problem."""
    return {key: label_of(key) for key in errors}


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
CHANNEL_CHOICES = [(Channel.any.value, "Mọi hình thức"), (Channel.online.value, "Nộp trực tuyến"),
                   (Channel.paper.value, "Nộp trực tiếp, bưu chính")]
REQUIRED_CHOICES = [("yes", "Bắt buộc"), ("no", "Nếu có")]
SUCCESSOR_CHOICES = [("pending", "Chưa có mức kế tiếp được công bố")]
# the fact groups' provenance in the editor: (group, label, the figures as read that fit it)
PROVENANCE_GROUPS = [("agency", "Cơ quan thực hiện", ["agency"]),
                     ("processing_time", "Thời gian giải quyết", ["days", "hours"]),
                     ("documents", "Thành phần hồ sơ", ["count", "forms"]),
                     ("legal_basis", "Căn cứ pháp lý", ["numbers"])]
UNCONFIRMED_FIELDS = [("agency", "Cơ quan thực hiện"), ("processing_time", "Thời gian giải quyết"),
                      ("documents", "Thành phần hồ sơ"), ("legal_basis", "Căn cứ pháp lý"),
                      ("online", "Nộp trực tuyến"), ("steps", "Các bước"), ("forms", "Biểu mẫu")]


# --- YAML import and export of one record (its own page) -----------------------------------------------------

YAML_MAX_BYTES = 60 * 1024  # one record; the whole knowledge base goes through `kb import` or the admin API


def export_yaml(content: dict[str, Any]) -> str:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=110)


def import_yaml(kind: str, entity_id: str, data: bytes) -> FormResult:
    """An uploaded YAML file for one record, checked like the editor's form: problems as 'where: what'."""
    result = FormResult(values={})
    if len(data) > YAML_MAX_BYTES:
        result.add("form", f"Tệp quá lớn (tối đa {YAML_MAX_BYTES // 1024} KB cho một bản ghi).")
        return result
    try:
        parsed = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        result.add("form", "Tệp phải là văn bản UTF-8.")
        return result
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"dòng {mark.line + 1}, cột {mark.column + 1}" if mark else "tệp"
        result.add("form", f"Tệp viết sai cú pháp YAML ở {where}: {getattr(error, 'problem', None) or error}.")
        return result
    if not isinstance(parsed, dict):
        result.add("form", "Tệp phải chứa một bản ghi: các dòng “tên_trường: giá trị”.")
        return result
    parsed.setdefault("id", entity_id)
    if parsed["id"] != entity_id:
        result.add("id", f"Tệp là của bản ghi “{parsed['id']}”, không phải “{entity_id}”.")
        return result
    model: type[Procedure] | type[Faq] = Procedure if kind == "procedure" else Faq
    try:
        record = model.model_validate(parsed)
    except ValidationError as error:
        for item in error.errors():
            result.add(name(*item["loc"]) or "form", plain_error(item))
        return result
    if isinstance(record, Procedure):
        for problem in kb_store.procedure_problems(record):
            result.add(problem.field.replace(".", SEP), problem.message)
        if not result.errors:
            result.content = procedure_content(record)
    else:
        result.content = faq_content(record)
    return result
