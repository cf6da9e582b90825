"""schemathesis over the app's OpenAPI spec, in-process (ASGI) on this module's own SQLite database, one app for the
whole module.

Every operation gets its generated cases (schemathesis' examples, coverage and fuzzing phases as pytest runs them;
the fuzzing phase alone makes up to 25) with the credential it needs — an admin session, an officer session, the bot
token, and for the REST chat a conversation key (`X-Conversation-Key` of a conversation the run owns) — and then a
stateful run follows the links schemathesis infers between operations (a handoff from the queue is claimed, replied
to, resolved…). Every other case of an operation is aimed at a 2xx by `World.aim`: a record that exists (a handoff,
a procedure, a user, a question) and its current version; the run's own conversation (continuing it, reading its
messages); a handoff the run's officer holds (reply, resolve, transfer); a valid bundle (import); an account whose
password the case knows (password change); Rasa and the action server answering (/readyz). Random ids alone would
only ever meet 404 and 409.

Bar: no server error (5xx) anywhere; every operation reaches at least one 2xx. The count of 2xx/4xx/5xx per
operation, and the seconds its requests took, are written to test-artifacts/schemathesis.md (the table in
docs/security.md comes from it).
"""

from __future__ import annotations

import copy
import itertools
import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core.transport import Response
from sqlalchemy import select

from api.core.config import get_settings
from api.core.login_throttle import LoginThrottle
from api.db.base import session_scope
from api.db.models import (
    Conversation,
    FaqRow,
    Handoff,
    HandoffStatus,
    KbRevision,
    ProcedureRow,
    Role,
    StaffUser,
    UnansweredQuestion,
)
from api.services import conversation_keys, handoffs, staff
from knowledge_base.formats import Bundle, Format, render
from knowledge_base.records import Faq
from tests.utils.browser import artifact_path

pytestmark = [pytest.mark.slow]

EXAMPLES = 25
PASSWORD = "Mat-khau-thu-2026"
NEW_PASSWORD = "Mat-khau-moi-2026"
RESULTS: dict[str, Counter[str]] = defaultdict(Counter)
CODES: dict[str, Counter[int]] = defaultdict(Counter)
SECONDS: dict[str, float] = defaultdict(float)
STARTED = time.monotonic()
UP = threading.Event()  # set while a /readyz case marked by `aim` runs: Rasa and the action server "up"
_turn = itertools.count()
# Aimed at a 2xx only this often: each of their 2xx costs argon2 work (64 MiB and a core for a moment, seconds on a
# loaded machine); the rest of their cases stay as schemathesis made them.
COSTLY = {"POST /api/v1/auth/login", "POST /api/v1/auth/password", "POST /api/v1/staff/users"}
COSTLY_AIMS = 4
# 503 is these operations' documented answer when Rasa is away (as in every in-process test): not a server error.
BUSY_BY_DESIGN = {"GET /readyz", "POST /api/v1/chat"}


class World:
    """The accounts and records the run works on, and the credential each operation gets."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:6]
        with session_scope() as db:
            self.admin = staff.create_user(db, username=f"st-admin-{suffix}", full_name="Quản trị thử", role=Role.admin,
                                           password=PASSWORD)
            self.officer = staff.create_user(db, username=f"st-officer-{suffix}", full_name="Cán bộ thử",
                                             role=Role.officer, password=PASSWORD)
            self.colleague_id = staff.create_user(db, username=f"st-colleague-{suffix}", full_name="Đồng nghiệp",
                                                  role=Role.officer, password=PASSWORD).id
            self.spare_ids = [staff.create_user(db, username=f"st-spare-{suffix}-{i}", full_name=f"Dự phòng {i}",
                                                role=Role.officer, password=PASSWORD).id for i in range(40)]
            self.admin_token = staff.open_session(db, self.admin, 600).token
            self.officer_token = staff.open_session(db, self.officer, 600).token
            self.admin_id, self.officer_id, self.officer_name = self.admin.id, self.officer.id, self.officer.username
            for i in range(60):  # citizens waiting for an officer
                handoffs.open_handoff(db, f"api:st-citizen-{suffix}-{i}", "citizen_request", note=f"cần hỗ trợ {i}")
            db.add_all(UnansweredQuestion(text=f"câu hỏi chưa trả lời số {i} ({suffix})", channel="api")
                       for i in range(30))
            # a REST conversation and its key: continuing it and reading its messages need X-Conversation-Key
            self.citizen, self.conversation_key = f"st-keyed-{suffix}", conversation_keys.new_key()
            db.add(Conversation(channel="api", user_id=self.citizen,
                                key_hash=conversation_keys.key_hash(self.conversation_key)))
            # whose password the unaimed password changes try (and lock: failures count as failed logins)
            self.password_user = staff.create_user(db, username=f"st-pw-{suffix}", full_name="Đổi mật khẩu",
                                                   role=Role.officer, password=PASSWORD)
            self.password_token = staff.open_session(db, self.password_user, 600).token
            faq = db.scalars(select(FaqRow).where(FaqRow.published.is_not(None))).first()
            assert faq is not None and faq.published is not None
            record = {k: v for k, v in copy.deepcopy(faq.published).items() if k != "procedure_id"}
            record["id"] = f"st-import-{suffix}"
            self.bundle = render(Bundle(procedures=[], faqs=[Faq.model_validate(record)]), Format.yaml).encode()
        self.bot_token = get_settings().bot_api_token
        self.overrides: dict[int, dict[str, Any]] = {}  # per case (id): headers or a raw body set by `aim`
        self.turns: Counter[str] = Counter()  # cases seen per operation

    def headers(self, method: str, path: str) -> dict[str, str]:
        if path.startswith("/api/v1/chat"):  # the keyed conversation's key (a new sender with a key starts one)
            return {conversation_keys.HEADER: self.conversation_key}
        if path == "/api/v1/auth/password":
            return {"Authorization": f"Bearer {self.password_token}"}
        if path.startswith("/api/v1/bot/") or path == "/readyz":  # /readyz: with the checks' details
            return {"Authorization": f"Bearer {self.bot_token}"}
        if path == "/api/v1/auth/logout":  # a session of its own to end, so the run's sessions live on
            with session_scope() as db:
                user = db.get(StaffUser, self.officer_id)
                assert user is not None
                return {"Authorization": f"Bearer {staff.open_session(db, user, 5).token}"}
        if path.startswith(("/api/v1/admin/", "/api/v1/staff/users")):
            return {"Authorization": f"Bearer {self.admin_token}"}
        if path.startswith(("/api/v1/handoffs", "/api/v1/staff/officers", "/api/v1/auth/me")):
            token = self.admin_token if path.endswith("/transfer") and next(_turn) % 2 else self.officer_token
            return {"Authorization": f"Bearer {token}"}
        return {}

    # --- pointing half of the cases at records that exist ------------------------------------------------

    def aim(self, case: Any) -> None:
        if "user_id" in (case.path_parameters or {}) and self._protected(case.path_parameters["user_id"]):
            case.path_parameters["user_id"] = 2**31 - 1  # never lock the run's own accounts out
        path, method = case.operation.path, case.method.upper()
        name = f"{method} {path}"
        self.turns[name] += 1
        if self.turns[name] % 2 == 0 or (name in COSTLY and self.turns[name] > 2 * COSTLY_AIMS):
            return  # the other half stays as schemathesis made it
        with session_scope() as db:
            if path == "/api/v1/auth/password":  # an account of its own each time: its current password is known
                user = staff.create_user(db, username=f"st-pw-{uuid.uuid4().hex[:8]}", full_name="Đổi mật khẩu",
                                         role=Role.officer, password=PASSWORD)
                token = staff.open_session(db, user, 5).token
                case.body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
                self.overrides[id(case)] = {"headers": {"Authorization": f"Bearer {token}"}}
            elif path == "/api/v1/admin/kb/import":  # a valid bundle (one FAQ) as the body, saved as a draft
                case.query = {"format": "yaml", "publish": "false"}
                self.overrides[id(case)] = {"content": self.bundle}
            elif path == "/api/v1/chat/{sender}/messages":
                case.path_parameters["sender"] = self.citizen
            elif path.startswith("/api/v1/handoffs/{handoff_id}"):
                self._aim_handoff(db, case, path)
            elif path.startswith("/api/v1/admin/procedures/{entity_id}") or path.startswith("/api/v1/admin/faqs/{"):
                self._aim_record(db, case, path, method)
            elif path in ("/api/v1/admin/procedures", "/api/v1/admin/faqs") and method == "POST":
                self._aim_create(db, case, path)
            elif path == "/api/v1/admin/unanswered/{question_id}/resolve":
                open_ids = db.scalars(select(UnansweredQuestion.id).where(UnansweredQuestion.resolved.is_(False))).all()
                if open_ids:
                    case.path_parameters["question_id"] = open_ids[0]
                    case.body = {"outcome": "dismissed"}
            elif path == "/api/v1/staff/users/{user_id}/deactivate" and self.spare_ids:
                case.path_parameters["user_id"] = self.spare_ids.pop()
            elif path == "/api/v1/staff/users" and method == "POST":
                case.body = {"username": f"st-new-{uuid.uuid4().hex[:8]}", "full_name": "Cán bộ mới",
                             "role": "officer", "password": PASSWORD}
            elif path == "/api/v1/auth/login":
                case.body = {"username": self.officer_name, "password": PASSWORD}
            elif path == "/api/v1/procedures/{procedure_id}":
                case.path_parameters["procedure_id"] = db.scalars(select(ProcedureRow.id)).first()
            elif path == "/api/v1/chat" and isinstance(case.body, dict):  # continuing the keyed conversation
                case.body = {"sender": self.citizen, "text": "làm hộ chiếu cần giấy tờ gì"}
            elif path == "/readyz":
                self.overrides[id(case)] = {"ready": True}

    def _protected(self, raw: Any) -> bool:
        """The id names one of the run's own accounts, however it is written ("3", " 03", 3)."""
        try:
            return int(str(raw).strip()) in (self.admin_id, self.officer_id, self.colleague_id)
        except ValueError:
            return False

    def _aim_handoff(self, db: Any, case: Any, path: str) -> None:
        mine = db.scalars(select(Handoff.id).where(Handoff.status == HandoffStatus.assigned,
                                                   Handoff.officer_id == self.officer_id)).all()
        waiting = db.scalars(select(Handoff.id).where(Handoff.status == HandoffStatus.waiting)).all()
        if path.endswith("/claim"):
            pool = waiting
        elif path.endswith(("/reply", "/resolve", "/transfer")):
            pool = mine
        else:
            pool = [*mine, *waiting]
        if not pool:  # a citizen of the run's own asks for an officer now (and the run's officer took it)
            opened, _ = handoffs.open_handoff(db, f"api:st-late-{uuid.uuid4().hex[:8]}", "citizen_request",
                                           note="cần hỗ trợ")
            if not path.endswith("/claim"):
                officer = db.get(StaffUser, self.officer_id)
                assert officer is not None
                handoffs.claim(db, opened.id, officer)
            pool = [opened.id]
        case.path_parameters["handoff_id"] = str(pool[-1])
        if path.endswith("/reply"):
            case.body = {"text": "Chào anh/chị, cán bộ đã nhận hồ sơ."}
        if path.endswith("/transfer"):
            case.body = {"officer_id": self.colleague_id}

    def _aim_record(self, db: Any, case: Any, path: str, method: str) -> None:
        table, kind = (ProcedureRow, "procedure") if "/procedures/" in path else (FaqRow, "faq")
        query = select(table)
        if path.endswith("/publish"):
            query = query.where(table.draft.is_not(None))
        elif path.endswith("/restore"):
            query = query.where(table.archived.is_(True))
        else:
            query = query.where(table.archived.is_(False))
        row = db.scalars(query.order_by(table.updated_at.desc())).first()
        if row is None:
            return
        case.path_parameters["entity_id"] = row.id
        if method == "PUT":
            case.body = {"expected_version": row.version, "record": copy.deepcopy(row.published or row.draft)}
        elif path.endswith("/rollback"):
            revision = db.scalars(select(KbRevision.id).where(KbRevision.kind == kind, KbRevision.entity_id == row.id,
                                                              KbRevision.content.is_not(None))).first()
            case.body = {"revision_id": revision or 1, "expected_version": row.version}
        elif method == "POST":
            case.body = {"expected_version": row.version}

    def _aim_create(self, db: Any, case: Any, path: str) -> None:
        table = ProcedureRow if path.endswith("procedures") else FaqRow
        row = db.scalars(select(table).where(table.published.is_not(None))).first()
        if row is None or row.published is None:
            return
        record = copy.deepcopy(row.published)
        record["id"] = f"{row.id[:100]}-st{uuid.uuid4().hex[:6]}"
        case.body = {"record": record, "publish": False}


@pytest.fixture(scope="module")
def world(migrated: None) -> World:
    global STARTED
    STARTED = time.monotonic()  # the run's time, from its first fixture (not from collection)
    return World()


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    """The app on this module's database, started once; a server error comes back as a 500, not an exception."""
    from api.main import create_app
    from api.routes import health

    with (pytest.MonkeyPatch.context() as patch,
          TestClient(create_app(), base_url="https://testserver", raise_server_exceptions=False) as test_client):
        app: Any = test_client.app
        # A publish rebuilds the search index in the background (seconds of CPU): dozens of publishes here would
        # only slow the run down; the index after a publish is tested in tests/knowledge_base/test_service.py.
        app.state.on_kb_published = lambda: None
        # Nor the watcher's rebuilds (it follows the published revisions: hundreds here, ~5 minutes of CPU), once
        # the index the app starts with is built (/readyz needs it).
        deadline = time.monotonic() + 180
        while not app.state.search.ready and time.monotonic() < deadline:
            time.sleep(0.2)
        patch.setattr(app.state.kb_sync, "refresh", lambda: None)
        # Every call comes from one address ("testclient"): the per-address login limit (tested in
        # test_findings.py) would soon refuse the logins and password changes aimed at a 2xx.
        app.state.login_throttle = LoginThrottle(per_address=1_000_000)
        # /readyz: Rasa and the action server are away in-process (503, its contract); for the cases `aim` marks,
        # they answer as when they are up (200 with the real stack: test_internal_services.py).
        rasa_ready, action_server = app.state.rasa.ready, health._action_server

        async def ready() -> tuple[bool, str]:
            return (True, "up (stub)") if UP.is_set() else await rasa_ready()

        async def action_server_health(url: str) -> tuple[bool, str]:
            return (True, "up (stub)") if UP.is_set() else await action_server(url)

        patch.setattr(app.state.rasa, "ready", ready)
        patch.setattr(health, "_action_server", action_server_health)
        yield test_client


def _spec() -> dict[str, Any]:
    from api.main import create_app

    return create_app().openapi()


# The spec is read when the module is collected (no database is touched); calls go to `client` (schemathesis' lazy
# fixture loader does not run under pytest 9).
schema = schemathesis.openapi.from_dict(_spec())
if only := os.environ.get("SCHEMATHESIS_ONLY"):  # a regular expression over paths, to attack a few operations
    schema = schema.include(path_regex=only)


def send(client: TestClient, case: Any, headers: dict[str, str], override: dict[str, Any] | None = None) -> Response:
    """The case as schemathesis serialises it, sent in-process (with what `aim` set beside it: headers, a raw body,
    Rasa "up" for /readyz)."""
    override = override or {}
    kwargs = case.as_transport_kwargs(base_url="https://testserver", headers={**headers, **override.get("headers", {})})
    request: dict[str, Any] = {"headers": kwargs.get("headers"), "params": kwargs.get("params")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    if isinstance(kwargs.get("data"), (bytes, str)):
        request["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        request["data"] = kwargs["data"]
    if kwargs.get("files") is not None:
        request["files"] = kwargs["files"]
    if "content" in override:
        request = {**{k: v for k, v in request.items() if k not in ("json", "data", "files")},
                   "content": override["content"]}
    started = time.perf_counter()
    if override.get("ready"):
        UP.set()
    try:
        response = client.request(kwargs["method"], kwargs["url"], **request)
    finally:
        UP.clear()
    name = f"{case.method.upper()} {case.operation.path}"
    SECONDS[name] += time.perf_counter() - started
    by_design = response.status_code == 503 and name in BUSY_BY_DESIGN
    RESULTS[name]["503 by design" if by_design else f"{response.status_code // 100}xx"] += 1
    CODES[name][response.status_code] += 1
    assert response.status_code < 500 or by_design, f"{name}: {response.status_code} {response.text[:300]}"
    return Response.from_any(response)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, client: TestClient, world: World) -> None:
    world.aim(case)
    send(client, case, world.headers(case.method.upper(), case.operation.path), world.overrides.pop(id(case), None))


def test_stateful_links(client: TestClient, world: World) -> None:
    """Sequences of calls along the links schemathesis infers from the spec (ids from one response into the next)."""
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Response:
            return send(client, case, world.headers(case.method.upper(), case.operation.path))

        def validate_response(self, response: Response, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            pass  # `send` asserts: no server error

    Workflow.run(settings=settings(max_examples=40, stateful_step_count=6, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))


def test_every_operation_reached_a_2xx_and_none_a_5xx() -> None:
    operations = [f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations()]
    columns = ["2xx", "4xx", "5xx", "503 by design"]
    lines = ["| operation | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| `{name}` | " + " | ".join(str(RESULTS[name][c]) for c in columns) + " |"
              for name in sorted(operations)]
    total = sum((RESULTS[name] for name in operations), Counter())
    lines.append(f"| **all {len(operations)} operations** | " + " | ".join(str(total[c]) for c in columns) + " |")
    lines.append(f"\n{sum(total.values())} calls in {time.monotonic() - STARTED:.0f} s.\n")
    lines += [f"- `{name}`: " + ", ".join(f"{code} × {n}" for code, n in sorted(CODES[name].items()))
              + f" ({SECONDS[name]:.1f} s)" for name in sorted(operations)]
    artifact_path("schemathesis.md").write_text("\n".join(lines) + "\n")
    assert total["5xx"] == 0
    # Every operation reaches a 2xx: `aim` gives /readyz Rasa and the action server "up", a transfer a handoff the
    # run's officer holds, the import a valid bundle, a password change an account whose password it knows.
    without_2xx = [name for name in operations if not RESULTS[name]["2xx"]]
    assert not without_2xx, without_2xx
