"""Import and export formats of the knowledge base: our YAML/JSON, and the national public-service
portal's field layout (ten_thu_tuc, ma_thu_tuc, linh_vuc…). Pure functions: no database here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import yaml

from knowledge_base.loader import KnowledgeBaseError, check_unique, describe_validation_error, read_yaml
from knowledge_base.records import Faq, Procedure
from knowledge_base.text import fold

_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(record: Procedure | Faq, exclude: set[str] | None = None) -> dict[str, Any]:
    """A record as plain JSON-able data, unset optional fields left out."""
    return record.model_dump(mode="json", exclude_none=True, exclude=exclude)


class Format(str, Enum):
    yaml = "yaml"
    json = "json"
    portal = "portal"  # JSON list in the national portal's field layout


@dataclass
class Bundle:
    """What an import file holds or an export writes: procedures (FAQs nested) and standalone FAQs."""

    procedures: list[Procedure] = field(default_factory=list)
    faqs: list[Faq] = field(default_factory=list)


def procedure_content(procedure: Procedure) -> dict[str, Any]:
    """The stored content of a procedure: everything but its FAQs, which are records of their own."""
    return _dump(procedure, exclude={"faqs"})


def faq_content(faq: Faq) -> dict[str, Any]:
    return _dump(faq)


def _validate(model: type[Procedure] | type[Faq], data: Any, source: str, index: int) -> Any:
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{source}: item {index + 1} is not a mapping of fields")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        record = str(data.get("id") or index + 1)
        raise KnowledgeBaseError(describe_validation_error(error, source=source, record=record)) from None


def bundle_from_data(data: Any, source: str) -> Bundle:
    """Accept one procedure, a list of procedures, or {"procedures": [...], "faqs": [...]}."""
    if isinstance(data, dict) and ("procedures" in data or "faqs" in data):
        unknown = set(data) - {"procedures", "faqs"}
        if unknown:
            raise KnowledgeBaseError(f"{source}: unknown top-level keys {sorted(unknown)}")
        raw_procedures, raw_faqs = data.get("procedures") or [], data.get("faqs") or []
    elif isinstance(data, dict):
        raw_procedures, raw_faqs = [data], []
    elif isinstance(data, list):
        raw_procedures, raw_faqs = data, []
    else:
        raise KnowledgeBaseError(f"{source}: expected a procedure, a list of procedures or procedures/faqs lists")
    bundle = Bundle(
        procedures=[_validate(Procedure, item, source, i) for i, item in enumerate(raw_procedures)],
        faqs=[_validate(Faq, item, source, i) for i, item in enumerate(raw_faqs)],
    )
    check_unique(bundle.procedures)
    seen = {faq.id for p in bundle.procedures for faq in p.faqs}
    for faq in bundle.faqs:
        if faq.id in seen:
            raise KnowledgeBaseError(f"{source}: duplicate FAQ id {faq.id!r}")
        seen.add(faq.id)
    return bundle


def parse(text: str, fmt: Format, source: str = "import") -> Bundle:
    if fmt == Format.yaml:
        return bundle_from_data(read_yaml(text, source=source), source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise KnowledgeBaseError(f"{source}: {where}: not valid JSON: {error.msg}") from None
    if fmt == Format.json:
        return bundle_from_data(data, source)
    if not isinstance(data, list):
        raise KnowledgeBaseError(f"{source}: the portal layout is a JSON list of procedures")
    return bundle_from_data([from_portal(item, source, i) for i, item in enumerate(data)], source)


def render(bundle: Bundle, fmt: Format) -> str:
    if fmt == Format.portal:
        return json.dumps([to_portal(p) for p in bundle.procedures], ensure_ascii=False, indent=2)
    data: dict[str, Any] = {"procedures": [_dump(p) for p in bundle.procedures]}
    if bundle.faqs:
        data["faqs"] = [faq_content(f) for f in bundle.faqs]
    if fmt == Format.json:
        return json.dumps(data, ensure_ascii=False, indent=2)
    # libyaml's emitter when PyYAML has it: the same text, about five times faster (an export of every record)
    return yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=110)


# --- the national portal's layout ----------------------------------------------------------------

# our field -> portal field, for fields whose values map one to one
_PORTAL_SCALARS = {
    "id": "ma_noi_bo",
    "kind": "loai",
    "no_code_reason": "ly_do_khong_co_ma",
    "title": "ten_thu_tuc",
    "aliases": "ten_goi_khac",
    "field": "linh_vuc",
    "level": "cap_thuc_hien",
    "locality": "pham_vi",
    "agency": "co_quan_thuc_hien",
    "where_to_submit": "dia_chi_tiep_nhan",
    "who_can_apply": "doi_tuong_thuc_hien",
    "steps": "trinh_tu_thuc_hien",
    "processing_time": "thoi_han_giai_quyet",
    "processing_days": "so_ngay_giai_quyet",
    "fee_exemptions": "mien_giam_phi",
    "result": "ket_qua_thuc_hien",
    "notes": "ghi_chu",
    "source_url": "nguon",
    "checked_on": "ngay_kiem_tra",
    "provenance": "nguon_goc",  # nested as ours: {agency: {source, read_on, at, as_read}, …}
    "unconfirmed": "chua_xac_nhan",
}
CODES_FIELD = "ma_thu_tuc"  # the portal has one string; several codes are joined with "; "
_PORTAL_LISTS = {  # our list field -> (portal field, {our key: portal key})
    "documents": ("thanh_phan_ho_so", {"name": "ten_giay_to", "copies": "so_luong", "required": "bat_buoc",
                                       "note": "ghi_chu", "form": "mau_don"}),
    "fees": ("phi_le_phi", {"name": "ten", "amount": "muc_thu", "channel": "hinh_thuc_nop", "conditions": "dieu_kien",
                            "valid_from": "tu_ngay", "valid_until": "den_ngay", "legal_basis": "can_cu",
                            "successor": "muc_ke_tiep", "provenance": "nguon_goc", "unconfirmed": "chua_xac_nhan"}),
    "legal_basis": ("can_cu_phap_ly", {"title": "trich_yeu", "number": "so_ky_hieu", "note": "ghi_chu"}),
    "forms": ("bieu_mau", {"code": "ma", "name": "ten", "url": "duong_dan"}),
    "faqs": ("cau_hoi_thuong_gap", {"id": "ma", "question": "cau_hoi", "answer": "tra_loi",
                                    "paraphrases": "cach_hoi_khac", "procedure_id": "ma_thu_tuc_noi_bo"}),
}
_PORTAL_ONLINE = {"level": "muc_do_dvc", "url": "duong_dan_dvc", "note": "ghi_chu_dvc"}


def _rename(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    return {mapping[key]: value for key, value in data.items() if key in mapping}


def to_portal(procedure: Procedure) -> dict[str, Any]:
    data = _dump(procedure)
    portal = _rename(data, _PORTAL_SCALARS)
    portal[CODES_FIELD] = "; ".join(procedure.national_codes)
    for ours, (theirs, keys) in _PORTAL_LISTS.items():
        portal[theirs] = [_rename(item, keys) for item in data.get(ours, [])]
    portal.update(_rename(data["online"], _PORTAL_ONLINE))
    return portal


def slug_from_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(title).lower()).strip("-")[:100]


def from_portal(item: Any, source: str, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise KnowledgeBaseError(f"{source}: item {index + 1} is not a mapping of fields")
    known = ({CODES_FIELD, *_PORTAL_SCALARS.values()} | {p for p, _ in _PORTAL_LISTS.values()}
             | set(_PORTAL_ONLINE.values()))
    unknown = sorted(set(item) - known)
    record = item.get("ma_noi_bo") or item.get("ma_thu_tuc") or index + 1
    if unknown:
        raise KnowledgeBaseError(f"{source}: record {record!r}: unknown portal fields {unknown}")
    back = {theirs: ours for ours, theirs in _PORTAL_SCALARS.items()}
    data: dict[str, Any] = {back[key]: value for key, value in item.items() if key in back}
    codes = item.get(CODES_FIELD) or ""
    if isinstance(codes, str):
        data["national_codes"] = [code.strip() for code in re.split(r"[;,]", codes) if code.strip()]
    else:
        data["national_codes"] = codes  # a list is accepted as it is; the schema checks it
    for ours, (theirs, keys) in _PORTAL_LISTS.items():
        if theirs in item:
            reverse = {v: k for k, v in keys.items()}
            rows = item[theirs] or []
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise KnowledgeBaseError(f"{source}: record {record!r}, field {theirs}: expected a list of mappings")
            data[ours] = [{reverse.get(k, k): v for k, v in row.items()} for row in rows]
    online_back = {v: k for k, v in _PORTAL_ONLINE.items()}
    data["online"] = {online_back[k]: item[k] for k in _PORTAL_ONLINE.values() if k in item}
    if not data.get("id") and data.get("title"):
        data["id"] = slug_from_title(str(data["title"]))
    return data
