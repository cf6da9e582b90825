"""Admin API of the knowledge base: drafts, publish, history, rollback, import/export, conflicts."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

from api.db.models import Role
from knowledge_base.formats import Format, parse
from tests.utils.staff import auth_headers

PROCEDURE = "dang-ky-khai-sinh"


@pytest.fixture()
def admin(client) -> dict[str, str]:
    return auth_headers(client, Role.admin)


def new_faq(procedure_id: str | None = PROCEDURE) -> dict:
    faq_id = f"faq-thu-{uuid.uuid4().hex[:8]}"
    return {"id": faq_id, "question": "Làm khai sinh cho con ở nước ngoài về thế nào?",
            "answer": "Bạn đăng ký tại UBND cấp xã nơi cư trú, mang giấy tờ chứng minh việc sinh.",
            "paraphrases": ["con sinh o nuoc ngoai lam khai sinh"], "procedure_id": procedure_id}


def test_officer_cannot_edit_the_knowledge_base(client) -> None:
    officer = auth_headers(client, Role.officer)
    assert client.get("/api/v1/admin/procedures", headers=officer).status_code == 403
    assert client.post("/api/v1/admin/faqs", headers=officer, json={"record": new_faq()}).status_code == 403


def test_seed_is_loaded_and_published(client, admin) -> None:
    rows = {r["id"]: r for r in client.get("/api/v1/admin/procedures", headers=admin).json()}
    assert rows[PROCEDURE]["status"] == "published"
    public = client.get(f"/api/v1/procedures/{PROCEDURE}").json()
    assert public["title"].startswith("Đăng ký khai sinh")
    assert len(public["faqs"]) >= 3


def test_draft_is_invisible_until_published_then_history_and_rollback(client, admin) -> None:
    faq = new_faq()
    created = client.post("/api/v1/admin/faqs", headers=admin, json={"record": faq})
    assert created.status_code == 201 and created.json()["status"] == "draft"
    public_ids = {f["id"] for f in client.get(f"/api/v1/procedures/{PROCEDURE}").json()["faqs"]}
    assert faq["id"] not in public_ids

    published = client.post(f"/api/v1/admin/faqs/{faq['id']}/publish", headers=admin, json={"expected_version": 1})
    assert published.status_code == 200 and published.json()["status"] == "published"
    public_ids = {f["id"] for f in client.get(f"/api/v1/procedures/{PROCEDURE}").json()["faqs"]}
    assert faq["id"] in public_ids

    changed = {**faq, "answer": "Câu trả lời đã sửa: nộp tại UBND cấp xã."}
    saved = client.put(f"/api/v1/admin/faqs/{faq['id']}", headers=admin,
                       json={"expected_version": 2, "record": changed})
    assert saved.json()["status"] == "published_with_draft"
    client.post(f"/api/v1/admin/faqs/{faq['id']}/publish", headers=admin, json={"expected_version": 3})

    history = client.get(f"/api/v1/admin/faqs/{faq['id']}/history", headers=admin).json()
    assert [h["action"] for h in history] == ["publish", "edit", "publish", "create"]
    assert history[0]["diff"] == [{"field": "answer", "old": faq["answer"], "new": changed["answer"]}]
    assert all(h["actor"].startswith("admin-") for h in history)

    first_publish = history[2]["id"]
    rolled = client.post(f"/api/v1/admin/faqs/{faq['id']}/rollback", headers=admin,
                         json={"revision_id": first_publish, "expected_version": 4})
    assert rolled.status_code == 200
    assert rolled.json()["published"]["answer"] == faq["answer"]
    assert client.get(f"/api/v1/admin/faqs/{faq['id']}/history", headers=admin).json()[0]["action"] == "rollback"


def test_second_save_of_the_same_version_is_refused_not_lost(client, admin) -> None:
    record = client.get(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin).json()
    version, content = record["version"], record["published"]
    first = {**content, "notes": [*content.get("notes", []), "Ghi chú của cán bộ A."]}
    second = {**content, "notes": [*content.get("notes", []), "Ghi chú của cán bộ B."]}
    ok = client.put(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin,
                    json={"expected_version": version, "record": first})
    assert ok.status_code == 200
    refused = client.put(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin,
                         json={"expected_version": version, "record": second})
    assert refused.status_code == 409
    assert refused.json()["error"] == "version_conflict"
    assert "đã được người khác sửa" in refused.json()["message"]
    current = client.get(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin).json()
    assert current["draft"]["notes"][-1] == "Ghi chú của cán bộ A."


def test_invalid_record_names_the_field(client, admin) -> None:
    bad = {**new_faq(), "answer": ""}
    response = client.post("/api/v1/admin/faqs", headers=admin, json={"record": bad})
    assert response.status_code == 422
    assert "field answer" in response.json()["message"]


def test_duplicate_id_is_refused(client, admin) -> None:
    faq = new_faq()
    assert client.post("/api/v1/admin/faqs", headers=admin, json={"record": faq}).status_code == 201
    again = client.post("/api/v1/admin/faqs", headers=admin, json={"record": faq})
    assert again.status_code == 409 and again.json()["error"] == "duplicate_id"


def test_wrong_id_is_a_clear_404(client, admin) -> None:
    response = client.get("/api/v1/admin/procedures/khong-co-thu-tuc-nay", headers=admin)
    assert response.status_code == 404
    assert "khong-co-thu-tuc-nay" in response.json()["message"]


def test_archive_withdraws_from_the_bot_and_restore_brings_back(client, admin) -> None:
    faq = new_faq()
    client.post("/api/v1/admin/faqs", headers=admin, json={"record": faq, "publish": True})
    archived = client.post(f"/api/v1/admin/faqs/{faq['id']}/archive", headers=admin, json={"expected_version": 1})
    assert archived.json()["status"] == "archived"
    assert faq["id"] not in {f["id"] for f in client.get(f"/api/v1/procedures/{PROCEDURE}").json()["faqs"]}
    client.post(f"/api/v1/admin/faqs/{faq['id']}/restore", headers=admin, json={"expected_version": 2})
    assert faq["id"] in {f["id"] for f in client.get(f"/api/v1/procedures/{PROCEDURE}").json()["faqs"]}


@pytest.mark.parametrize("fmt", list(Format))
def test_export_import_round_trip_is_lossless_and_idempotent(client, admin, fmt: Format) -> None:
    exported = client.get(f"/api/v1/admin/kb/export?format={fmt.value}", headers=admin)
    assert exported.status_code == 200
    bundle = parse(exported.text, fmt)
    assert len(bundle.procedures) >= 30
    report = client.post(f"/api/v1/admin/kb/import?format={fmt.value}", headers=admin, content=exported.text)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["created"] == [] and body["updated"] == []
    assert len(body["unchanged"]) >= len(bundle.procedures)
    again = client.get(f"/api/v1/admin/kb/export?format={fmt.value}", headers=admin)
    assert again.text == exported.text


def test_portal_layout_uses_the_portal_field_names(client, admin) -> None:
    items = json.loads(client.get("/api/v1/admin/kb/export?format=portal", headers=admin).text)
    item = next(i for i in items if i["ma_noi_bo"] == PROCEDURE)
    for key in ("ten_thu_tuc", "ma_thu_tuc", "linh_vuc", "co_quan_thuc_hien", "thanh_phan_ho_so",
                "trinh_tu_thuc_hien", "thoi_han_giai_quyet", "phi_le_phi", "can_cu_phap_ly"):
        assert key in item
    assert item["thanh_phan_ho_so"][0]["ten_giay_to"]


def test_import_changes_only_what_changed(client, admin) -> None:
    data = yaml.safe_load(client.get("/api/v1/admin/kb/export?format=yaml", headers=admin).text)
    target = next(p for p in data["procedures"] if p["id"] == "dang-ky-ket-hon")
    target["notes"] = [*target.get("notes", []), "Ghi chú mới từ tệp nhập."]
    text = yaml.safe_dump({"procedures": [target]}, allow_unicode=True)
    body = client.post("/api/v1/admin/kb/import?format=yaml", headers=admin, content=text).json()
    assert body["updated"] == ["procedure:dang-ky-ket-hon"]
    assert client.get("/api/v1/procedures/dang-ky-ket-hon").json()["notes"][-1] == "Ghi chú mới từ tệp nhập."


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("procedures: [\n  - id: x\n   bad", "yaml", "not valid YAML"),
        ("{\"procedures\": [", "json", "not valid JSON"),
        ("procedures:\n  - {id: x-y, title: T}\n", "yaml", "required field is missing"),
        ("[{\"ten_thu_tuc\": \"A\", \"truong_la\": 1}]", "portal", "unknown portal fields ['truong_la']"),
    ],
)
def test_bad_import_is_refused_with_a_clear_message(client, admin, text: str, fmt: str, expected: str) -> None:
    response = client.post(f"/api/v1/admin/kb/import?format={fmt}", headers=admin, content=text)
    assert response.status_code == 422
    assert expected in response.json()["message"]


def test_import_with_duplicate_ids_is_refused(client, admin) -> None:
    data = yaml.safe_load(client.get("/api/v1/admin/kb/export?format=yaml", headers=admin).text)
    first = data["procedures"][0]
    text = yaml.safe_dump({"procedures": [first, first]}, allow_unicode=True)
    response = client.post("/api/v1/admin/kb/import?format=yaml", headers=admin, content=text)
    assert response.status_code == 422 and "duplicate procedure id" in response.json()["message"]


WRONG_FEE = {"name": "Lệ phí thử", "amount": 8000, "legal_basis": "281/2016/TT-BTC",
             "provenance": {"source": "1.001193", "read_on": "2026-09-15", "at": "Lệ phí", "as_read": {"amount": 5000}}}


def test_the_api_refuses_what_kb_validate_refuses(client, admin, monkeypatch) -> None:
    from api.core.config import get_settings
    from knowledge_base.legal_register import default_register
    from knowledge_base.records import Procedure
    from knowledge_base.rules import check_procedure

    row = client.get(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin).json()
    content = {**(row["draft"] or row["published"]), "fees": [WRONG_FEE], "checked_on": "2026-12-31"}
    today = get_settings().today()
    expected = [p.field for p in check_procedure(Procedure.model_validate(content), on=today,
                                                 register=default_register())]
    assert expected == ["fees.0.provenance.as_read.amount"]
    refused = client.put(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin,
                         json={"expected_version": row["version"], "record": content})
    assert refused.status_code == 422
    assert f"record '{PROCEDURE}', field fees.0.provenance.as_read.amount: " in refused.json()["message"]

    monkeypatch.setattr(get_settings(), "kb_strict_provenance", True)  # the switch kb validate --strict-provenance
    no_code = {**(row["draft"] or row["published"]), "national_codes": []}
    strict = client.put(f"/api/v1/admin/procedures/{PROCEDURE}", headers=admin,
                        json={"expected_version": row["version"], "record": no_code})
    assert strict.status_code == 422 and "field national_codes" in strict.json()["message"]


@pytest.mark.parametrize("version", [2**64, 2**70, -1])
def test_an_impossible_version_is_a_422_not_a_server_error(client, admin, version: int) -> None:
    faq = client.get("/api/v1/admin/faqs", headers=admin).json()[0]
    for action in ("archive", "restore", "publish"):
        response = client.post(f"/api/v1/admin/faqs/{faq['id']}/{action}", headers=admin,
                               json={"expected_version": version})
        assert response.status_code == 422, (action, response.text)
    rollback = client.post(f"/api/v1/admin/faqs/{faq['id']}/rollback", headers=admin,
                           json={"revision_id": 2**80, "expected_version": 1})
    assert rollback.status_code == 422
