"""Admin pages of the staff console: knowledge-base editors, unanswered questions, staff users, audit log."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.base import session_scope
from api.db.models import AuditEvent, Role, StaffUser, UnansweredQuestion
from api.deps import CSRF_COOKIE
from api.services import staff

PASSWORD = "Quan-tri-2026!"
PROCEDURE = "dang-ky-khai-sinh"


def make_user(role: Role = Role.admin, full_name: str = "Nguyễn Văn Quản") -> str:
    username = f"{role.value}{uuid.uuid4().hex[:6]}"
    with session_scope() as db:
        staff.create_user(db, username=username, full_name=full_name, role=role, password=PASSWORD)
    return username


def console_login(client: TestClient, username: str) -> str:
    """Log in through the console's form; return the CSRF token for later posts."""
    client.cookies.clear()
    response = client.post("/console/login", data={"username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client.cookies.get(CSRF_COOKIE)


@pytest.fixture()
def admin(client: TestClient) -> str:
    return console_login(client, make_user(Role.admin))


def post(client: TestClient, url: str, csrf: str, **data: str) -> object:
    return client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)


def form_values(html: str) -> dict[str, str]:
    """name -> value of the inputs, selects and textareas of a page (enough for these simple forms)."""
    import html as html_lib

    values: dict[str, str] = {}
    for match in re.finditer(r'<input[^>]*\bname="([^"]+)"[^>]*>', html):
        tag = match.group(0)
        if 'type="submit"' in tag or 'type="checkbox"' in tag:
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        values[match.group(1)] = html_lib.unescape(value.group(1)) if value else ""
    for match in re.finditer(r'<textarea[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[match.group(1)] = html_lib.unescape(match.group(2))
    for match in re.finditer(r'<select[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', match.group(2))
        values[match.group(1)] = html_lib.unescape(chosen.group(1)) if chosen else ""
    return values


def editor_values(client: TestClient, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200, page.text
    html = page.text.split('id="editor"', 1)[1].split("</form>", 1)[0]
    return {k: v for k, v in form_values(html).items() if k != "csrf_token"}


# --- access ------------------------------------------------------------------------------------------------

ADMIN_PAGES = ["/console/admin/procedures", f"/console/admin/procedures/{PROCEDURE}", "/console/admin/faqs",
               "/console/admin/faqs/new", "/console/admin/unanswered", "/console/admin/users", "/console/admin/audit",
               f"/console/admin/procedures/{PROCEDURE}/history", "/console/admin/review"]


def test_a_visitor_is_sent_to_login(client: TestClient) -> None:
    client.cookies.clear()
    for url in ADMIN_PAGES:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/console/login?next=%2Fconsole%2Fadmin")


def test_an_officer_gets_a_403_page(client: TestClient) -> None:
    csrf = console_login(client, make_user(Role.officer, "Trần Thị Lan"))
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Trang này chỉ dành cho quản trị viên." in response.text
    refused = post(client, f"/console/admin/faqs/{PROCEDURE}-qua-han", csrf, answer="x")
    assert refused.status_code == 403


def test_every_admin_page_renders(client: TestClient, admin: str) -> None:
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:2000])
        assert "Quản trị" in response.text


def test_unknown_records_get_an_error_page_not_json(client: TestClient, admin: str) -> None:
    page = client.get("/console/admin/procedures/khong-co-thu-tuc-nay")
    assert page.status_code == 404 and "<html" in page.text
    assert "Không có thủ tục mã &#39;khong-co-thu-tuc-nay&#39;." in page.text
    assert client.get("/console/admin/faqs/khong-co/rollback/1").status_code == 404
    htmx = client.post("/console/admin/unanswered/999999/dismiss", headers={"X-CSRF-Token": admin, "HX-Request": "1"})
    assert htmx.status_code == 404 and htmx.text == "Không có câu hỏi số 999999."
    assert post(client, "/console/admin/users/999999/role", admin, role="officer").status_code == 404


def test_posts_need_the_csrf_token(client: TestClient, admin: str) -> None:
    values = editor_values(client, "/console/admin/faqs/dang-ky-khai-sinh-le-phi")
    refused = client.post("/console/admin/faqs/dang-ky-khai-sinh-le-phi", data=values, follow_redirects=False)
    assert refused.status_code == 403 and "chống giả mạo" in refused.text
    forged = post(client, "/console/admin/faqs/dang-ky-khai-sinh-le-phi", "not-the-token", **values)
    assert forged.status_code == 403


# --- knowledge base ----------------------------------------------------------------------------------------


def wait_until(check, timeout: float = 60) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def published_faq(procedure_id: str = PROCEDURE) -> str:
    """A published FAQ of our own, so that tests do not disturb each other."""
    from api.services import kb_store

    faq_id = f"thu-{uuid.uuid4().hex[:8]}"
    with session_scope() as db:
        kb_store.create(db, "faq", {"id": faq_id, "procedure_id": procedure_id, "paraphrases": ["hỏi thử"],
                                    "question": "Làm khai sinh cho con ở đâu?",
                                    "answer": "Bạn đăng ký tại UBND cấp xã nơi cư trú."}, kb_store.SEED, publish=True)
    return faq_id


def public_faq(client: TestClient, faq_id: str, procedure_id: str = PROCEDURE) -> dict | None:
    faqs = client.get(f"/api/v1/procedures/{procedure_id}").json()["faqs"]
    return next((f for f in faqs if f["id"] == faq_id), None)


def test_edit_faq_save_draft_then_publish_reaches_the_public_api_and_search(client: TestClient, admin: str) -> None:
    faq_id = published_faq()
    url = f"/console/admin/faqs/{faq_id}"
    values = editor_values(client, url)
    assert values["question"] == "Làm khai sinh cho con ở đâu?" and values["procedure_id"] == PROCEDURE
    paraphrase = f"bé nhà tôi mới đẻ thì khai sinh ở chỗ nào {uuid.uuid4().hex[:4]}"
    edited = {**values, "answer": "Bạn nộp tại Trung tâm Phục vụ hành chính công cấp xã hoặc trên VNeID.",
              "paraphrases-0-text": "hỏi thử", "paraphrases-1-text": paraphrase}

    saved = post(client, url, admin, **edited, action="draft")
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?msg=saved"
    page = client.get(saved.headers["location"]).text
    assert "Đã lưu bản nháp" in page and "Có bản nháp mới" in page and "Câu trả lời" in page
    assert public_faq(client, faq_id)["answer"] == "Bạn đăng ký tại UBND cấp xã nơi cư trú."  # not yet

    published = post(client, url, admin, **edit_version(client, url, edited), action="publish")
    assert published.headers["location"] == f"{url}?msg=published"
    assert public_faq(client, faq_id)["answer"].startswith("Bạn nộp tại Trung tâm Phục vụ")

    def found() -> bool:
        body = client.get("/api/v1/search", params={"q": paraphrase}).json()
        return any(r["source"] == f"faq:{faq_id}" for r in body["results"][:1])

    wait_until(lambda: client.app.state.search.ready, 900)
    wait_until(found, 60)
    with session_scope() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.target == f"faq:{faq_id}")
                            .order_by(AuditEvent.id)).all()
        # every write is audited by the store itself: the seed's create, then the admin's draft and publish
        assert (events[0].action, (events[0].detail or {}).get("by")) == ("kb.create", "seed")
        assert [e.action for e in events[1:]] == ["kb.edit", "kb.publish"]
        assert events[0].actor_id is None and events[1].actor_id == events[2].actor_id is not None


def edit_version(client: TestClient, url: str, values: dict[str, str]) -> dict[str, str]:
    """The submitted values with the version the editor shows now."""
    return {**values, "version": editor_values(client, url)["version"]}


def test_a_conflicting_save_keeps_the_admins_text_and_can_overwrite(client: TestClient, admin: str) -> None:
    from api.services import kb_store

    faq_id = published_faq()
    url = f"/console/admin/faqs/{faq_id}"
    mine = {**editor_values(client, url), "answer": "Câu trả lời của tôi, gõ rất lâu."}
    with session_scope() as db:  # a colleague saves meanwhile
        row = kb_store.get_row(db, "faq", faq_id)
        theirs = {**row.published, "answer": "Câu trả lời của đồng nghiệp."}
        colleague = make_user(full_name="Lê Văn Bình")
        kb_store.save_draft(db, "faq", faq_id, theirs, row.version, kb_store.Actor(colleague))

    refused = post(client, url, admin, **mine, action="publish")
    assert refused.status_code == 409
    assert "có người khác vừa sửa" in refused.text and "Lê Văn Bình" in refused.text
    assert "Câu trả lời của tôi, gõ rất lâu." in refused.text  # nothing typed is lost
    assert "Câu trả lời" in re.search(r"Các mục khác nhau[^<]*", refused.text).group(0)
    with session_scope() as db:
        assert kb_store.get_row(db, "faq", faq_id).draft["answer"] == "Câu trả lời của đồng nghiệp."

    kept = form_values(refused.text.split('id="editor"', 1)[1].split("</form>", 1)[0])
    overwrite = re.search(r'name="overwrite_version" value="(\d+)"', refused.text).group(1)
    again = post(client, url, admin, **{k: v for k, v in kept.items() if k != "csrf_token"},
                 overwrite_version=overwrite)
    assert again.status_code == 303
    with session_scope() as db:
        assert kb_store.get_row(db, "faq", faq_id).draft["answer"] == "Câu trả lời của tôi, gõ rất lâu."


def error_beside(page: str, control: str) -> str:
    """The problems shown under one control (its <ul id="err-…">)."""
    found = re.search(rf'<ul class="field-error" id="err-{re.escape(control)}">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def without(values: dict[str, str], *groups: str) -> dict[str, str]:
    return {k: v for k, v in values.items() if not any(k.startswith(f"{g}-") for g in groups)}


def test_schema_errors_are_shown_beside_their_control_with_the_values_kept(client: TestClient, admin: str) -> None:
    url = f"/console/admin/procedures/{PROCEDURE}"
    values = editor_values(client, url)
    response = post(client, url, admin, **{**values, "documents-0-name": "", "fees-0-amount": "-5",
                                           "source_url": "dichvucong.gov.vn", "title": ""}, action="draft")
    assert response.status_code == 422
    page = response.text
    assert "Chưa lưu được: còn 4 chỗ cần sửa" in page
    assert "Bắt buộc, chưa nhập." in error_beside(page, "documents-0-name")
    assert "Không được là số âm." in error_beside(page, "fees-0-amount")
    assert "Phải là đường dẫn bắt đầu bằng https://" in error_beside(page, "source_url")
    assert "Không được để trống." in error_beside(page, "title")
    assert 'name="fees-0-amount" type="number" value="-5"' in page  # as typed
    assert '<a href="#f-fees-0-amount">Phí, lệ phí · mục 1 · số tiền</a>' in page
    assert 'aria-invalid="true"' in page
    dates = post(client, url, admin, **{**values, "fees-0-valid_from": "2027-01-01",
                                        "fees-0-valid_until": "2026-12-31"}, action="draft")
    assert dates.status_code == 422
    assert "Ngày bắt đầu áp dụng đang sau ngày hết áp dụng." in error_beside(dates.text, "fees-0-valid_until")
    assert editor_values(client, url)["version"] == values["version"]  # nothing saved


def test_no_text_area_of_the_editors_takes_yaml_or_json(client: TestClient, admin: str) -> None:
    free_text = {"where_to_submit", "who_can_apply", "result", "processing_time", "online-note", "question", "answer"}
    for url in (f"/console/admin/procedures/{PROCEDURE}", "/console/admin/procedures/new",
                f"/console/admin/faqs/{published_faq()}", "/console/admin/faqs/new"):
        page = client.get(url).text
        areas = re.findall(r'<textarea[^>]*\bname="([^"]+)"', page)
        assert areas and all(a in free_text or re.fullmatch(r"(steps|notes)-(\d+|__i__)-text", a) for a in areas), areas
        assert 'class="code"' not in page and "(YAML)" not in page and "<pre" not in page
        assert "contenteditable" not in page


def test_every_seed_procedure_goes_through_the_form_unchanged() -> None:
    from api.console import admin_kb_forms as forms
    from knowledge_base.formats import procedure_content
    from knowledge_base.loader import load_dir

    for procedure in load_dir():
        content = procedure_content(procedure)
        result = forms.procedure_from_form(forms.procedure_values(content))
        assert result.errors == {} and result.content == content, procedure.id


def test_rows_are_added_reordered_and_left_out_when_empty(client: TestClient, admin: str) -> None:
    from api.services import kb_store

    url = f"/console/admin/procedures/{PROCEDURE}"
    values = without(editor_values(client, url), "fees")
    rows = {"fees-7-name": "Phí thử B", "fees-7-amount": "25000", "fees-7-channel": "online",
            "fees-7-unconfirmed": "mức thu khi nộp trực tuyến",
            "fees-3-name": "Phí thử A", "fees-3-amount": "0", "fees-3-channel": "any",
            "fees-3-valid_from": "2026-01-01", "fees-3-valid_until": "2030-12-31", "fees-3-successor": "pending",
            "fees-5-name": "", "fees-5-amount": "", "fees-5-channel": "any",  # an empty row: left out
            "fees-3-provenance-source": "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.001193",
            "fees-3-provenance-read_on": "2026-09-15", "fees-3-provenance-at": "Lệ phí",
            "fees-3-provenance-as_read-amount": "0", "fees-3-provenance-as_read-numbers-0": "85/2019/TT-BTC",
            "fees-3-provenance-as_read-numbers-1": ""}
    saved = post(client, url, admin, **{**values, **rows}, action="draft")
    assert saved.status_code == 303, re.findall(r'<li><a href="#f-[^"]+">.*?</li>', saved.text)
    with session_scope() as db:
        fees = kb_store.get_row(db, "procedure", PROCEDURE).draft["fees"]
    assert [(f["name"], f["amount"]) for f in fees] == [("Phí thử A", 0), ("Phí thử B", 25000)]
    assert fees[0]["valid_until"] == "2030-12-31" and fees[0]["successor"] == "pending"
    assert fees[0]["provenance"]["as_read"] == {"amount": 0, "numbers": ["85/2019/TT-BTC"]}
    assert fees[1]["channel"] == "online" and "provenance" not in fees[1]


def test_yaml_export_and_import_have_their_own_page(client: TestClient, admin: str) -> None:
    import yaml

    from api.services import kb_store

    faq_id = published_faq()
    base = f"/console/admin/faqs/{faq_id}"
    assert f'href="{base}/yaml"' in client.get(base).text
    page = client.get(f"{base}/yaml")
    assert page.status_code == 200 and "Nhập thành bản nháp" in page.text
    exported = client.get(f"{base}/yaml", params={"download": 1})
    assert exported.headers["content-disposition"] == f'attachment; filename="{faq_id}.yml"'
    content = yaml.safe_load(exported.text)
    assert content["id"] == faq_id
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)

    def upload(text: str) -> object:
        return client.post(f"{base}/yaml", data={"csrf_token": admin, "version": version},
                           files={"file": (f"{faq_id}.yml", text.encode(), "application/x-yaml")},
                           follow_redirects=False)

    broken = upload("id: x\nanswer: [chưa đóng\n")
    assert broken.status_code == 422 and "Tệp viết sai cú pháp YAML ở dòng" in broken.text
    other = upload(yaml.safe_dump({**content, "id": "mot-cau-khac"}, allow_unicode=True))
    assert other.status_code == 422 and "không phải “" in other.text
    empty_answer = upload(yaml.safe_dump({**content, "answer": ""}, allow_unicode=True))
    assert empty_answer.status_code == 422 and "answer" in empty_answer.text
    imported = upload(yaml.safe_dump({**content, "answer": "Trả lời nhập từ tệp."}, allow_unicode=True))
    assert imported.status_code == 303 and imported.headers["location"] == f"{base}?msg=imported"
    with session_scope() as db:
        row = kb_store.get_row(db, "faq", faq_id)
        assert row.draft["answer"] == "Trả lời nhập từ tệp." and row.published["answer"] != row.draft["answer"]
    stale = upload(yaml.safe_dump({**content, "answer": "Bản cũ."}, allow_unicode=True))
    assert stale.status_code == 409  # compare-and-set: the page's version is no longer the record's


def test_creating_a_procedure_checks_the_id(client: TestClient, admin: str) -> None:
    values = {**editor_values(client, f"/console/admin/procedures/{PROCEDURE}"), "title": "Thủ tục thử nghiệm"}
    values.pop("version")
    bad = post(client, "/console/admin/procedures/new", admin, **{**values, "id": "Thủ tục mới"}, action="draft")
    assert bad.status_code == 422 and "Mã chỉ gồm chữ thường không dấu" in bad.text
    assert "Thủ tục thử nghiệm" in bad.text
    taken = post(client, "/console/admin/procedures/new", admin, **{**values, "id": PROCEDURE}, action="draft")
    assert taken.status_code == 409 and f"Mã &#39;{PROCEDURE}&#39; đã tồn tại" in taken.text
    reserved = post(client, "/console/admin/procedures/new", admin, **{**values, "id": "new"}, action="draft")
    assert reserved.status_code == 422 and "được dành riêng" in reserved.text
    new_id = f"thu-nghiem-{uuid.uuid4().hex[:6]}"
    created = post(client, "/console/admin/procedures/new", admin, **{**values, "id": new_id}, action="draft")
    assert created.headers["location"] == f"/console/admin/procedures/{new_id}?msg=created"
    assert "Bản nháp, chưa xuất bản" in client.get(created.headers["location"]).text
    assert client.get(f"/api/v1/procedures/{new_id}").status_code == 404  # a draft is not public


def test_preview_composes_the_citizen_answer_from_the_form(client: TestClient, admin: str) -> None:
    values = editor_values(client, f"/console/admin/procedures/{PROCEDURE}")
    values["processing_time"] = "Trả kết quả ngay trong buổi sáng."
    preview = post(client, "/console/admin/preview/procedure", admin, **values, preview_aspect="time")
    assert preview.status_code == 200
    assert "Thời gian giải quyết: Trả kết quả ngay trong buổi sáng." in preview.text
    assert "<html" not in preview.text
    no_steps = {k: v for k, v in values.items() if not k.startswith("steps-")}
    broken = post(client, "/console/admin/preview/procedure", admin, **no_steps)
    assert "Chưa xem trước được" in broken.text
    assert "Các bước thực hiện: Cần ít nhất một mục: bấm nút thêm bên dưới." in broken.text


def test_history_then_rollback_restores_the_published_content(client: TestClient, admin: str) -> None:
    faq_id = published_faq()
    url = f"/console/admin/faqs/{faq_id}"
    values = editor_values(client, url)
    post(client, url, admin, **{**values, "answer": "Câu trả lời sai, sẽ khôi phục."}, action="publish")
    assert public_faq(client, faq_id)["answer"] == "Câu trả lời sai, sẽ khôi phục."

    history = client.get(f"{url}/history").text
    assert history.index("Xuất bản") < history.index("Lưu nháp") < history.index("Tạo mới")
    assert "Câu trả lời sai, sẽ khôi phục." in history and "<del>Bạn đăng ký tại UBND" in history
    first = re.findall(rf'href="{url}/rollback/(\d+)"', history)[-1]
    confirm = client.get(f"{url}/rollback/{first}")
    assert confirm.status_code == 200 and "Khôi phục và xuất bản" in confirm.text
    version = re.search(r'name="version" value="(\d+)"', confirm.text).group(1)
    stale = post(client, f"{url}/rollback/{first}", admin, version=str(int(version) - 1))
    assert stale.status_code == 409 and "đã được người khác sửa" in stale.text
    done = post(client, f"{url}/rollback/{first}", admin, version=version)
    assert done.headers["location"] == f"{url}?msg=rolled-back"
    assert public_faq(client, faq_id)["answer"] == "Bạn đăng ký tại UBND cấp xã nơi cư trú."
    assert "Khôi phục phiên bản cũ" in client.get(f"{url}/history").text


def test_archive_withdraws_from_the_bot_and_restore_brings_back(client: TestClient, admin: str) -> None:
    faq_id = published_faq()
    url = f"/console/admin/faqs/{faq_id}"
    archived = post(client, f"{url}/archive", admin, version=editor_values(client, url)["version"])
    assert archived.headers["location"] == f"{url}?msg=archived"
    assert public_faq(client, faq_id) is None
    restored = post(client, f"{url}/restore", admin, version=editor_values(client, url)["version"])
    assert restored.headers["location"] == f"{url}?msg=restored"
    assert public_faq(client, faq_id) is not None


def test_lists_filter_by_text_status_and_field(client: TestClient, admin: str) -> None:
    page = client.get("/console/admin/procedures", params={"q": "ho chieu"}).text
    assert "cap-ho-chieu-pho-thong" in page and f">{PROCEDURE}<" not in page
    partial = client.get("/console/admin/procedures", params={"field": "Hộ tịch"},
                         headers={"HX-Request": "true", "HX-Target": "kb-results"})
    assert "<html" not in partial.text and f">{PROCEDURE}<" in partial.text
    assert "cap-ho-chieu-pho-thong" not in partial.text
    faqs = client.get("/console/admin/faqs", params={"procedure": "cap-ho-chieu-pho-thong", "q": "tre em"}).text
    assert "Hiển thị" in faqs and PROCEDURE + "-" not in faqs


# --- unanswered questions ----------------------------------------------------------------------------------


def unanswered(text: str, best: str | None = "cap-ho-chieu-pho-thong") -> int:
    with session_scope() as db:
        row = UnansweredQuestion(text=text, channel="web", best_candidate=best, score=0.31)
        db.add(row)
        db.flush()
        return row.id


def test_unanswered_question_becomes_a_prefilled_faq_and_is_marked_handled(client: TestClient, admin: str) -> None:
    text = f"Cho cháu hỏi làm hộ chiếu cho bé {uuid.uuid4().hex[:4]} tuổi thì sao ạ"
    first, second = unanswered(text), unanswered(text.upper())  # asked twice
    page = client.get("/console/admin/unanswered").text
    row = page.split(f'id="q-{second}"', 1)[1].split("</tr>", 1)[0]  # one row, the newest wording
    assert text.upper() in row and "hỏi 2 lần" in row and "Tạo câu hỏi thường gặp từ câu này" in row
    assert f'id="q-{first}"' not in page

    form = client.get(f"/console/admin/faqs/new?from_unanswered={second}")
    values = form_values(form.text.split('id="editor"', 1)[1].split("</form>", 1)[0])
    assert values["question"] == text.upper() and values["paraphrases-0-text"] == text.upper()
    assert values["procedure_id"] == "cap-ho-chieu-pho-thong" and values["from_unanswered"] == str(second)
    assert re.fullmatch(r"cho-chau-hoi-lam-ho-chieu-cho-be-[0-9a-f]{4}-tuoi-thi-sao-a", values["id"])
    assert "Khi bạn lưu, câu đó được đánh dấu là đã xử lý." in form.text

    bad = post(client, "/console/admin/faqs/new", admin, **{**values, "answer": ""}, action="draft")
    assert bad.status_code == 422 and text.upper() in bad.text and 'name="from_unanswered"' in bad.text
    values.pop("csrf_token")
    saved = post(client, "/console/admin/faqs/new", admin,
                 **{**values, "question": "Làm hộ chiếu cho trẻ em thế nào?",
                    "answer": "Cha hoặc mẹ khai tờ khai và nộp thay cho trẻ."}, action="draft")
    assert saved.status_code == 303
    with session_scope() as db:
        rows = [db.get(UnansweredQuestion, i) for i in (first, second)]
        assert all(r.resolved and r.outcome == "faq" and r.faq_id == values["id"] and r.handled_by for r in rows)
    assert text.upper() not in client.get("/console/admin/unanswered").text
    done = client.get("/console/admin/unanswered?view=faq").text
    assert text in done and text.upper() in done and f'href="/console/admin/faqs/{values["id"]}"' in done


def test_dismiss_and_reopen_an_unanswered_question(client: TestClient, admin: str) -> None:
    text = f"Thời tiết hôm nay thế nào {uuid.uuid4().hex[:4]}"
    question_id = unanswered(text, best=None)
    counts = re.search(r'data-count="open">(\d+)<', client.get("/console/admin/unanswered").text).group(1)
    refused = client.post(f"/console/admin/unanswered/{question_id}/dismiss")
    assert refused.status_code == 403
    row = client.post(f"/console/admin/unanswered/{question_id}/dismiss",
                      headers={"X-CSRF-Token": admin, "HX-Request": "true",
                               "HX-Current-URL": "https://testserver/console/admin/unanswered?view=open"})
    assert row.status_code == 200 and "Đã bỏ qua" in row.text and "<html" not in row.text
    assert 'hx-swap-oob="true"' in row.text
    assert re.search(r'data-count="open">(\d+)<', row.text).group(1) == str(int(counts) - 1)
    with session_scope() as db:
        assert db.get(UnansweredQuestion, question_id).outcome == "dismissed"
    assert text in client.get("/console/admin/unanswered?view=dismissed").text
    plain = post(client, f"/console/admin/unanswered/{question_id}/reopen", admin)
    assert plain.status_code == 303
    with session_scope() as db:
        reopened = db.get(UnansweredQuestion, question_id)
        assert not reopened.resolved and reopened.outcome is None
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"unanswered:{question_id}")).all()
        assert actions == ["unanswered.dismiss", "unanswered.reopen"]


# --- staff users and audit log -----------------------------------------------------------------------------


def user_id(username: str) -> int:
    with session_scope() as db:
        return db.scalar(select(StaffUser.id).where(StaffUser.username == username))


def test_create_a_user_with_the_password_rule(client: TestClient, admin: str) -> None:
    username = f"canbo.{uuid.uuid4().hex[:6]}"
    weak = post(client, "/console/admin/users", admin, username=username, full_name="Phạm Thu Hà", role="officer",
                password="ngan")
    assert weak.status_code == 422 and "Mật khẩu phải có ít nhất 10 ký tự." in weak.text
    assert f'value="{username}"' in weak.text and 'value="Phạm Thu Hà"' in weak.text
    created = post(client, "/console/admin/users", admin, username=username, full_name="Phạm Thu Hà",
                   role="officer", password="Mot-cua-2026!")
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert "Đã tạo tài khoản" in page and "Phạm Thu Hà" in page
    taken = post(client, "/console/admin/users", admin, username=username, role="officer", password="Mot-cua-2026!")
    assert taken.status_code == 409 and "đã có người dùng" in taken.text


def test_role_changes_deactivation_and_password_reset_follow_the_rules(client: TestClient,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    me = make_user(Role.admin)
    csrf = console_login(client, me)
    other = make_user(Role.officer, "Đỗ Minh Tuấn")
    mine, theirs = user_id(me), user_id(other)

    self_lock = post(client, f"/console/admin/users/{mine}/deactivate", csrf)
    assert self_lock.status_code == 409 and "không thể tự khoá" in self_lock.text
    self_demote = post(client, f"/console/admin/users/{mine}/role", csrf, role="officer")
    assert self_demote.status_code == 409 and "không thể tự đổi vai trò" in self_demote.text

    assert post(client, f"/console/admin/users/{theirs}/role", csrf, role="admin").status_code == 303
    monkeypatch.setattr(staff, "active_admins", lambda db: 1)  # as if they were the last admin
    last = post(client, f"/console/admin/users/{theirs}/deactivate", csrf)
    assert last.status_code == 409 and "quản trị viên cuối cùng" in last.text
    monkeypatch.undo()

    with session_scope() as db:
        target = db.get(StaffUser, theirs)
        staff.open_session(db, target, 60)  # they are logged in somewhere
    weak = post(client, f"/console/admin/users/{theirs}/password", csrf, password="1234567890")
    assert weak.status_code == 422 and "cả chữ và số" in weak.text
    assert post(client, f"/console/admin/users/{theirs}/password", csrf, password="Mat-khau-moi-9").status_code == 303
    from api.db.models import StaffSession

    with session_scope() as db:
        assert db.scalars(select(StaffSession).where(StaffSession.user_id == theirs)).all() == []
        assert staff.authenticate(db, other, "Mat-khau-moi-9") is not None

    assert post(client, f"/console/admin/users/{theirs}/deactivate", csrf).status_code == 303
    with session_scope() as db:
        assert staff.authenticate(db, other, "Mat-khau-moi-9") is None
    assert post(client, f"/console/admin/users/{theirs}/reactivate", csrf).status_code == 303

    audit = client.get("/console/admin/audit", params={"actor": mine}).text
    for label in ("Đổi vai trò", "Đặt lại mật khẩu", "Khoá tài khoản", "Mở khoá tài khoản"):
        assert label in audit
    assert "từ: cán bộ một cửa; thành: quản trị viên" in audit
    only_roles = client.get("/console/admin/audit", params={"action": "staff.role", "actor": ""}).text
    assert "Đổi vai trò" in only_roles and "Đặt lại mật khẩu" not in only_roles.split("<tbody>", 1)[1]


def test_the_editor_refuses_what_kb_validate_refuses_beside_the_field(client: TestClient, admin: str) -> None:
    url = f"/console/admin/procedures/{PROCEDURE}"
    values = without(editor_values(client, url), "fees")
    fee = {"fees-0-name": "Lệ phí thử", "fees-0-amount": "8000", "fees-0-provenance-source": "https://dichvucong.gov.vn",
           "fees-0-provenance-read_on": "2026-09-15", "fees-0-provenance-at": "Lệ phí",
           "fees-0-provenance-as_read-amount": "5000"}
    response = post(client, url, admin, **{**values, **fee, "checked_on": "2026-12-31"}, action="draft")
    assert response.status_code == 422
    assert ("Số tiền đọc được trên trang chính thức (5.000 đồng) khác số tiền đang ghi (8.000 đồng)"
            in error_beside(response.text, "fees-0-provenance-as_read-amount"))
    assert "Nguồn “https://dichvucong.gov.vn” là trang chủ" in error_beside(response.text, "fees-0-provenance-source")
    assert editor_values(client, url)["version"] == values["version"]  # nothing saved


def test_the_review_page_lists_what_kb_review_lists_with_links_to_the_editor(client: TestClient, admin: str) -> None:
    import datetime as dt

    from api.services import kb_store

    page = client.get("/console/admin/review", params={"on": "2026-12-20", "days": 30})
    assert page.status_code == 200
    with session_scope() as db:
        items = kb_store.review(db, dt.date(2026, 12, 20), 30)
    assert f"{len(items)} mục" in page.text
    for item in items:
        assert f'href="/console/admin/procedures/{item.procedure_id}"' in page.text
