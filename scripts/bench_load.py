"""Load: many citizens at once through POST /api/v1/chat, closed loop, against the real stack.

Run: .venv/bin/python scripts/bench_load.py --label main-144cd04 [--rows 1,10,50,100,200,50x300] [--duration 60]
     smoke:    .venv/bin/python scripts/bench_load.py --label smoke --rows 1,10,50 --duration 10
     external: … --url http://127.0.0.1:8080 (--var-dir DIR | --database-url URL) [--pids LAUNCHER_PID,…]

Each virtual citizen has its own httpx client and keep-alive connection from its own loopback source address
(127.0.0.2 and up), sends its next message as soon as it has the reply, and starts a new conversation (sender)
every 10 turns or after a handoff. Row "1" is one citizen: 20 warm-up turns, then --turns measured turns; a row
"N" is N citizens for --duration seconds; "NxS" is N citizens for S seconds. Per row: bot answers per second,
busy notices (503 + Retry-After), latency percentiles over every turn, errors by kind, citizen messages sent vs
stored in the database, and CPU-ms per turn of every process under the launcher (from /proc; the load client
apart). Without --url the script starts the stack itself (tests/utils/stack.py, embedded SQLite by default,
or DATABASE_URL from the environment).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import os
import random
import re
import resource
import shlex
import ssl
import sys
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from benchlib import ROOT, percentile, write_section

sys.path.insert(0, str(ROOT))
from knowledge_base.text import fold
from tests.utils.stack import running_stack

EVAL_FILE = ROOT / "tests" / "data" / "retrieval_eval.jsonl"
REQUEST_TIMEOUT_S = 60.0  # a turn slower than this is an error ("timeout")
TURNS_PER_CONVERSATION = 10
WARMUP_TURNS = 20
SETTLE_MAX_S = 120.0  # after a row, wait (at most this) for the stack's CPU to go quiet before counting
CLK_TCK = os.sysconf("SC_CLK_TCK")

SMALL_TALK = [
    "xin chào", "Xin chào bạn", "chào bạn", "chao ban", "alo", "hello", "cảm ơn", "cảm ơn bạn nhiều nhé",
    "cam on nhieu", "ok cảm ơn", "ok cam on ban", "bạn là ai", "bạn là người hay máy", "ban la nguoi hay may vay",
    "tạm biệt", "tam biet", "vâng", "ừ được rồi", "không", "khong can nua", "hay quá", "bạn giỏi quá",
]
FOLLOW_UPS = [  # about the current procedure, as citizens write them
    "thế lệ phí bao nhiêu?", "the le phi bao nhieu", "lệ phí bao nhiêu", "le phi bao nhieu vay", "mất bao lâu",
    "mat bao lau", "thế mất bao lâu?", "bao lâu thì có kết quả?", "bao lau thi co ket qua", "mấy ngày thì xong",
    "may ngay thi xong", "nộp hồ sơ ở đâu?", "nop ho so o dau", "làm ở đâu", "lam o dau vay", "cơ quan nào giải quyết?",
    "co quan nao giai quyet", "cần giấy tờ gì?", "can giay to gi", "hồ sơ gồm những gì", "ho so gom nhung gi",
    "có làm online được không?", "co lam online duoc khong", "nộp trực tuyến được không", "nop truc tuyen duoc ko",
    "các bước làm thế nào?", "cac buoc lam the nao", "thủ tục gồm mấy bước", "căn cứ pháp lý là gì?",
    "can cu phap ly la gi", "mẫu tờ khai ở đâu?", "mau to khai o dau", "có mất tiền không?", "co mat tien khong",
    "tốn bao nhiêu tiền", "ton bao nhieu tien", "thế còn thời gian giải quyết?", "còn lệ phí thì sao",
]
VAGUE = [  # may get a clarification with choices
    "làm căn cước", "lam can cuoc", "thẻ căn cước", "the can cuoc", "căn cước", "giấy phép lái xe",
    "giay phep lai xe", "bằng lái xe", "bang lai", "tạm trú", "tam tru", "hộ khẩu", "ho khau", "khai sinh",
    "liên thông", "lien thong", "chứng thực", "chung thuc", "trợ cấp", "tro cap", "sổ đỏ", "so do", "đăng ký",
    "dang ky", "thủ tục hộ tịch", "giấy tờ đất",
]
CHOICE_WORDS = [  # choosing among offered candidates by words
    "cái thứ hai", "cai thu hai", "cái đầu tiên", "cai dau tien", "cái cuối", "số 1", "so 2", "thứ ba", "cái số 2",
    "cấp đổi", "cap lai", "cấp mới", "mất thẻ cần làm lại", "đổi thẻ", "cái đầu", "thu nhat",
]
HANDOFF = [
    "cho tôi gặp cán bộ", "cho toi gap can bo", "tôi muốn nói chuyện với cán bộ", "toi muon gap nguoi that",
    "gặp nhân viên hỗ trợ", "chuyển cho cán bộ giúp tôi",
]
HANDOFF_PAYLOAD = "/request_human"


@dataclass(frozen=True)
class Pool:
    questions: list[str]  # the retrieval evaluation's questions and their versions without diacritics
    follow_ups: list[str] = field(default_factory=lambda: list(FOLLOW_UPS))
    vague: list[str] = field(default_factory=lambda: list(VAGUE))
    choices: list[str] = field(default_factory=lambda: list(CHOICE_WORDS))
    handoff: list[str] = field(default_factory=lambda: list(HANDOFF))
    small_talk: list[str] = field(default_factory=lambda: list(SMALL_TALK))

    def texts(self) -> set[str]:
        return {*self.questions, *self.follow_ups, *self.vague, *self.choices, *self.handoff, *self.small_talk}


def build_pool(path: Path = EVAL_FILE) -> Pool:
    asked = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    folded = [fold(q) for q in asked]
    return Pool(questions=list(dict.fromkeys(asked + [f for f in folded if f not in asked])))


@dataclass
class Plan:
    text: str | None = None
    payload: str | None = None
    kind: str = "question"


@dataclass
class ConversationState:
    turns: int = 0
    choice_payloads: list[str] = field(default_factory=list)  # a clarification's candidates, to choose from
    aspect_payloads: list[str] = field(default_factory=list)  # the buttons of the last answer
    has_procedure: bool = False  # the bot answered about a procedure: follow-ups make sense


def plan_message(rng: random.Random, pool: Pool, state: ConversationState) -> Plan:
    """What a citizen sends next, given the bot's last reply."""
    if state.choice_payloads:
        if rng.random() < 0.5:
            return Plan(payload=rng.choice(state.choice_payloads), kind="choice_button")
        return Plan(text=rng.choice(pool.choices), kind="choice_words")
    r = rng.random()  # 1% officer, 34% follow-up, 5% aspect button, 7% vague, 8% small talk, else a question
    if r < 0.01:
        return Plan(payload=HANDOFF_PAYLOAD, kind="handoff") if rng.random() < 0.3 else \
            Plan(text=rng.choice(pool.handoff), kind="handoff")
    if r < 0.35 and state.has_procedure:
        return Plan(text=rng.choice(pool.follow_ups), kind="follow_up")
    if 0.35 <= r < 0.40 and state.aspect_payloads:
        return Plan(payload=rng.choice(state.aspect_payloads), kind="aspect_button")
    if 0.40 <= r < 0.47:
        return Plan(text=rng.choice(pool.vague), kind="vague")
    if 0.47 <= r < 0.55:
        return Plan(text=rng.choice(pool.small_talk), kind="small_talk")
    return Plan(text=rng.choice(pool.questions), kind="question")  # also when a follow-up has no context


def observe(state: ConversationState, body: Any) -> None:
    """Update the conversation's state from a 200 response's body."""
    buttons = [b.get("payload", "") for r in (body or {}).get("replies") or [] for b in r.get("buttons") or []]
    state.choice_payloads = [p for p in buttons if p.startswith("/choose_option")]
    state.aspect_payloads = [p for p in buttons if p.startswith("/ask_")]
    if state.aspect_payloads:
        state.has_procedure = True


BOT, HANDOFF_REPLY, BUSY = "bot", "handoff", "busy"


def classify(status: int, headers: Mapping[str, str], body: Any) -> str:
    """One turn's outcome: "bot" (answered by the bot), "handoff" (a reply while the conversation is with the
    officers), "busy" (503 with Retry-After), or an error kind."""
    if status == 503 and "retry-after" in {k.lower() for k in headers}:
        return BUSY
    if status != 200:
        return f"http_{status}"
    if not isinstance(body, dict) or not body.get("replies"):
        return "empty_reply"
    return BOT if body.get("mode", "bot") == "bot" else HANDOFF_REPLY


def retry_after_seconds(headers: Mapping[str, str], cap: float = 30.0) -> float:
    try:
        return min(max(float(headers.get("retry-after", "1")), 0.0), cap)
    except ValueError:
        return 1.0


def classify_exception(error: BaseException) -> str:
    if isinstance(error, (asyncio.TimeoutError, httpx.TimeoutException)):
        return "timeout"
    if isinstance(error, (httpx.TransportError, OSError)):  # reset, closed without a response, refused
        return "dropped"
    return f"client_{type(error).__name__}"


def is_error(kind: str) -> bool:
    return kind not in (BOT, HANDOFF_REPLY, BUSY)


@dataclass
class Turn:
    start: float
    end: float
    kind: str
    sender: str
    sent: str  # the text or payload
    plan: str
    clarified: bool = False  # the reply offered candidates to choose from
    reply: str = ""  # an error's body, for the samples

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class Citizen:
    def __init__(self, index: int, prefix: str, url: str, pool: Pool, seed: str, use_ids: bool,
                 local_address: str | None, ssl_context: ssl.SSLContext) -> None:
        self.index, self.prefix, self.url, self.pool, self.use_ids = index, prefix, url, pool, use_ids
        self.rng = random.Random(f"{seed}-{index}")
        transport = httpx.AsyncHTTPTransport(local_address=local_address, verify=ssl_context,
                                             limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
        self.http = httpx.AsyncClient(transport=transport, timeout=REQUEST_TIMEOUT_S)
        self.conversation = 0
        self.state = ConversationState()
        self.key: str | None = None  # the conversation_key of the current conversation (X-Conversation-Key)

    @property
    def sender(self) -> str:
        return f"{self.prefix}-c{self.index}-{self.conversation}"

    def new_conversation(self) -> None:
        self.conversation += 1
        self.state = ConversationState()
        self.key = None

    async def turn(self) -> Turn:
        plan = plan_message(self.rng, self.pool, self.state)
        body: dict[str, Any] = {"sender": self.sender}
        body |= {"text": plan.text} if plan.text else {"payload": plan.payload}
        if self.use_ids:
            body["client_msg_id"] = uuid.uuid4().hex
        reply: Any = None
        start = time.monotonic()
        try:
            headers = {"X-Conversation-Key": self.key} if self.key else {}
            response = await asyncio.wait_for(self.http.post(f"{self.url}/api/v1/chat", json=body, headers=headers),
                                              REQUEST_TIMEOUT_S)
            try:
                reply = response.json()
            except ValueError:
                reply = response.text[:300]
            if isinstance(reply, dict) and isinstance(reply.get("conversation_key"), str):
                self.key = reply["conversation_key"]  # the first reply (200, 429 or 503) of a conversation
            kind = classify(response.status_code, response.headers, reply)
        except (asyncio.TimeoutError, httpx.HTTPError, OSError) as error:
            kind, reply = classify_exception(error), f"{type(error).__name__}: {error}"
        turn = Turn(start, time.monotonic(), kind, self.sender, plan.text or plan.payload or "", plan.kind)
        if kind == BOT:
            observe(self.state, reply)
            turn.clarified = bool(self.state.choice_payloads)
        else:
            self.state.choice_payloads = []
        if kind not in (BOT, BUSY, HANDOFF_REPLY) and isinstance(reply, (dict, str)):
            turn.reply = json.dumps(reply, ensure_ascii=False)[:300]
        self.state.turns += 1
        if self.state.turns >= TURNS_PER_CONVERSATION or kind == HANDOFF_REPLY:
            self.new_conversation()
        if kind == BUSY:  # told many people are asking: the citizen waits as asked before writing again
            await asyncio.sleep(retry_after_seconds(response.headers))
        return turn

    async def run(self, until: float, max_turns: int | None, out: list[Turn]) -> None:
        count = 0
        while time.monotonic() < until and (max_turns is None or count < max_turns):
            out.append(await self.turn())
            count += 1

    async def close(self) -> None:
        await self.http.aclose()


# ---- processes and CPU, from /proc


def parse_stat(text: str) -> tuple[int, float]:
    """(parent pid, utime+stime in ms) from the text of /proc/<pid>/stat."""
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) * 1000 / CLK_TCK


def process_name(argv: list[str], parent: str | None = None) -> str:
    """rasa, actions, app, launcher; another process is named after its nearest named ancestor
    ("actions:worker" for a multiprocessing child of the action server)."""
    if "rasa_sdk" in argv or "actions.server" in argv:
        return "actions"
    if any("uvicorn" in a for a in argv[:3]):
        return "app"
    if "api.cli" in argv and "serve" in argv:
        return "launcher"
    if any(Path(a).name == "rasa" for a in argv[:2]):
        return "rasa"
    joined = " ".join(argv)
    own = ("worker" if "spawn_main" in joined or "--multiprocessing-fork" in joined
           else "resource-tracker" if "resource_tracker" in joined else Path(argv[0]).name if argv else "?")
    return f"{parent.split(':')[0]}:{own}" if parent and parent != "launcher" else own


def proc_table() -> dict[int, tuple[int, float, list[str]]]:
    """pid → (parent pid, CPU ms, argv) of every process we can read."""
    table: dict[int, tuple[int, float, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid, cpu = parse_stat((entry / "stat").read_text())
            argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except (OSError, IndexError, ValueError):
            continue
        table[int(entry.name)] = (ppid, cpu, [a for a in argv if a])
    return table


def stack_cpu(roots: list[int]) -> dict[int, tuple[str, float]]:
    """pid → (name, CPU ms) of the roots and all their descendants."""
    table = proc_table()
    members = {pid for pid in roots if pid in table}
    grew = True
    while grew:
        found = {pid for pid, (ppid, _, _) in table.items() if ppid in members} - members
        members |= found
        grew = bool(found)
    names: dict[int, str] = {}

    def name(pid: int) -> str:
        if pid not in names:
            ppid = table[pid][0]
            names[pid] = process_name(table[pid][2], name(ppid) if ppid in members and ppid != pid else None)
        return names[pid]

    return {pid: (name(pid), table[pid][1]) for pid in members}


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU ms spent between two snapshots, by "name[pid]"; a process that appeared counts from zero.
    (A process that exited in between is missing: its last CPU time is lost.)"""
    return {f"{name}[{pid}]": cpu - before.get(pid, (name, 0.0))[1] for pid, (name, cpu) in after.items()}


def responsive(url: str, timeout: float) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def settle(stack: Target, prefix: str, quiet_cores: float = 0.1, window_s: float = 2.0) -> tuple[float, bool]:
    """Wait until the row's late requests are done: the stack's CPU quiet (below `quiet_cores`), /healthz
    answered within the window, the row's stored messages unchanged. (Seconds waited, settled in time.)
    A stack that waits on itself uses no CPU, hence the other two signs."""
    started, last = time.monotonic(), -1
    while time.monotonic() - started < SETTLE_MAX_S:
        t = time.monotonic()
        cpu = sum(c for _, c in stack_cpu(stack.pids).values())
        answered = responsive(stack.url, window_s)
        time.sleep(max(0.0, window_s - (time.monotonic() - t)))
        busy_ms = sum(c for _, c in stack_cpu(stack.pids).values()) - cpu
        stored = stored_messages(stack.database_url, prefix)
        if answered and busy_ms < quiet_cores * (time.monotonic() - t) * 1000 and stored == last:
            return time.monotonic() - started, True
        last = stored if stored is not None else -2
    return time.monotonic() - started, False


# ---- what the database stored


def stored_messages(database_url: str | None, prefix: str) -> int | None:
    """Citizen messages stored for the senders starting with `prefix` (REST channel)."""
    if not database_url:
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.channel = 'api' AND m.author = 'citizen' AND c.user_id LIKE :prefix"),
                {"prefix": prefix + "-%"}).scalar_one())
    finally:
        engine.dispose()


# ---- what the stack logged


_NOISE = re.compile(r"\d+(\.\d+)?")


def log_problem(line: str) -> str | None:
    """A warning or error in one log line (a JSON line of ours: level, message, the exception's last line)."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, dict):
        if str(record.get("level", "")).lower() not in ("warning", "error", "critical"):
            return None
        exc = re.findall(r"^[A-Za-z_][\w.]*: .*$", str(record.get("exc") or ""), re.M)  # "module.Error: …"
        detail = {k: v for k, v in record.items() if k not in ("ts", "level", "logger", "msg", "exc")}
        return " ".join(filter(None, [record.get("level"), str(record.get("msg", "")).strip(), exc[-1] if exc else "",
                                      json.dumps(detail, ensure_ascii=False) if detail else ""]))
    return line.strip() if re.search(r"ERROR|WARNING|Error\b|Exception|Traceback", line) else None


def log_sizes(logs_dir: Path | None) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in logs_dir.glob("*.log")} if logs_dir and logs_dir.is_dir() else {}


def log_problems(logs_dir: Path | None, since: dict[str, int], top: int = 5) -> dict[str, dict[str, int]]:
    """The most frequent warning/error lines each log got since `since` (numbers blanked), to see why a row
    failed (a pool limit, a timeout towards Rasa…)."""
    found: dict[str, dict[str, int]] = {}
    for name, size in log_sizes(logs_dir).items():
        assert logs_dir is not None
        with (logs_dir / name).open("rb") as log:
            log.seek(since.get(name, 0))
            lines = log.read(size - since.get(name, 0)).decode("utf-8", "replace").splitlines()
        counts = Counter(_NOISE.sub("N", problem)[:200] for line in lines if (problem := log_problem(line)))
        if counts:
            found[name] = dict(counts.most_common(top))
    return found


# ---- rows


@dataclass(frozen=True)
class RowSpec:
    name: str
    citizens: int
    seconds: float | None  # None: the single conversation, counted in turns


def parse_rows(spec: str, duration: float) -> list[RowSpec]:
    rows: list[RowSpec] = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        count, _, seconds = item.partition("x")
        if int(count) < 1:
            raise ValueError(f"row {item!r}: at least one conversation")
        if int(count) == 1 and not seconds:
            rows.append(RowSpec("1", 1, None))
        else:
            rows.append(RowSpec(item, int(count), float(seconds) if seconds else duration))
    return rows


def latency_summary(ms: list[float]) -> dict[str, float]:
    return {f"p{q}": percentile(ms, q) for q in (50, 95, 99)} | {"max": max(ms, default=float("nan"))}


@dataclass
class Context:
    stack: Target
    pool: Pool
    run_id: str
    use_ids: bool
    bind_loopback: bool
    turns: int
    ssl_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)


def local_address(index: int, bind: bool) -> str | None:
    """127.0.0.2 and up: each citizen its own loopback source address."""
    return str(ipaddress.IPv4Address("127.0.0.2") + index) if bind else None


async def run_row(ctx: Context, row: RowSpec, number: int) -> dict[str, Any]:
    prefix = f"load-{ctx.run_id}-r{number}"
    seed = f"{ctx.run_id}-{row.name}"
    stack = ctx.stack
    citizens = [Citizen(i, prefix, stack.url, ctx.pool, seed, ctx.use_ids, local_address(i, ctx.bind_loopback),
                        ctx.ssl_context) for i in range(row.citizens)]
    turns: list[Turn] = []
    try:
        if row.seconds is None:  # one conversation: warm up on other senders first
            warm = Citizen(0, f"{prefix}w", stack.url, ctx.pool, seed + "w", ctx.use_ids,
                           local_address(0, ctx.bind_loopback), ctx.ssl_context)
            await warm.run(time.monotonic() + 300, WARMUP_TURNS, [])
            await warm.close()
        load = os.getloadavg()
        logs_before = log_sizes(stack.logs_dir)
        cpu_before = stack_cpu(stack.pids)
        usage_before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        send_until = t0 + (row.seconds if row.seconds is not None else 300)
        tasks = [asyncio.ensure_future(c.run(send_until, ctx.turns if row.seconds is None else None, turns))
                 for c in citizens]
        _, pending = await asyncio.wait(tasks, timeout=send_until - t0 + REQUEST_TIMEOUT_S + 15)
        for task in pending:  # never hang: the whole row has a deadline
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        t_end = time.monotonic()
        usage_after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        await asyncio.gather(*(c.close() for c in citizens), return_exceptions=True)
    settled_s, settled = await asyncio.to_thread(settle, stack, prefix)
    cpu = cpu_delta(cpu_before, stack_cpu(stack.pids)) if stack.pids else {}
    stored = await asyncio.to_thread(stored_messages, stack.database_url, prefix)
    result = summarize(row, turns, t0, t_end, len(pending), cpu, stored, load, settled_s,
                       client_cpu_ms=(usage_after.ru_utime + usage_after.ru_stime - usage_before.ru_utime
                                      - usage_before.ru_stime) * 1000)
    return result | {"settled": settled, "sender_prefix": prefix,
                     "log_problems": log_problems(stack.logs_dir, logs_before)}


def summarize(row: RowSpec, turns: list[Turn], t0: float, t_end: float, unfinished: int, cpu: dict[str, float],
              stored: int | None, load: tuple[float, float, float], settled_s: float,
              client_cpu_ms: float) -> dict[str, Any]:
    kinds = Counter(t.kind for t in turns)
    errors = {k: n for k, n in kinds.most_common() if is_error(k)}
    if unfinished:
        errors["unfinished_at_deadline"] = unfinished
    if row.seconds is None:  # one conversation: every turn, over the time they took
        window = (max((t.end for t in turns), default=t0) - t0) or float("nan")
        answered = kinds[BOT]
    else:  # a timed row: answers completed inside the window (the drain after it is not throughput)
        window = row.seconds
        answered = sum(1 for t in turns if t.kind == BOT and t.end <= t0 + row.seconds)
    by_name: Counter[str] = Counter()
    for key, ms in cpu.items():
        by_name[key.split("[")[0]] += ms
    sent = len(turns)
    samples = {}
    for t in turns:
        if is_error(t.kind) and t.kind not in samples:
            samples[t.kind] = f"{t.sent} → {t.reply}"
    failed = [{"at_s": round(t.start - t0, 2), "ms": round(t.ms), "kind": t.kind, "sender": t.sender,
               "sent": t.sent, "reply": t.reply} for t in sorted(turns, key=lambda t: t.start) if is_error(t.kind)]
    return {
        "row": row.name, "conversations_at_once": row.citizens, "seconds": row.seconds,
        "loadavg_before": list(load), "elapsed_s": t_end - t0, "settle_s": settled_s,
        "sent": sent, "stored": stored, "lost": None if stored is None else sent - stored,
        "bot_answers": kinds[BOT], "bot_answers_in_window": answered, "bot_turns_per_s": answered / window,
        "handoff_replies": kinds[HANDOFF_REPLY], "busy": kinds[BUSY],
        "errors": sum(errors.values()), "errors_by_kind": errors, "error_samples": samples,
        "first_errors": failed[:100],
        "latency_ms": latency_summary([t.ms for t in turns]),
        "bot_latency_ms": latency_summary([t.ms for t in turns if t.kind == BOT]),
        "clarifications_offered": sum(t.clarified for t in turns),
        "plans": dict(Counter(t.plan for t in turns)), "distinct_texts_sent": len({t.sent for t in turns}),
        "conversations": len({t.sender for t in turns}),
        "cpu_ms": cpu, "cpu_ms_by_name": dict(by_name), "cpu_ms_total": sum(cpu.values()) if cpu else None,
        "cpu_ms_per_turn": sum(cpu.values()) / sent if cpu and sent else None,
        "client_cpu_ms_per_turn": client_cpu_ms / sent if sent else None,
    }


# ---- output


def fmt_ms(ms: float) -> str:
    if ms != ms:  # NaN: no turns
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


HEADER = ("| row | at once | load 1m | sent | stored | bot answers | bot turns/s | handoff | busy | p50 | p95 | p99 "
          "| errors | CPU-ms/turn: stack (by process) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def table_row(r: dict[str, Any]) -> str:
    label = "1 conversation" if r["seconds"] is None else f"{r['conversations_at_once']} × {r['seconds']:.0f} s"
    label += " †" * bool(r.get("fresh_stack")) + " ‡" * (not r.get("settled", True))
    errors = str(r["errors"]) + (": " + ", ".join(f"{n} × {k}" for k, n in r["errors_by_kind"].items())
                                 if r["errors"] else "")
    if r["cpu_ms_per_turn"] is None:
        cpu = "n/a"
    else:
        parts = ", ".join(f"{name} {ms / r['sent']:.0f}" for name, ms in
                          sorted(r["cpu_ms_by_name"].items(), key=lambda item: -item[1]) if round(ms / r["sent"]) >= 1)
        cpu = f"{r['cpu_ms_per_turn']:.0f} ({parts})"
    stored = "n/a" if r["stored"] is None else str(r["stored"])
    if r.get("stored_at_end") not in (None, r["stored"]):  # stored after the row's settle wait
        stored += f" ({r['stored_at_end']} at the end)"
    lat = r["latency_ms"]
    return (f"| {label} | {r['conversations_at_once']} | {r['loadavg_before'][0]:.1f} | {r['sent']} | {stored} "
            f"| {r['bot_answers']} | {r['bot_turns_per_s']:.1f} | {r['handoff_replies']} | {r['busy']} "
            f"| {fmt_ms(lat['p50'])} | {fmt_ms(lat['p95'])} | {fmt_ms(lat['p99'])} | {errors} | {cpu} |")


def probe_ids(url: str) -> bool:
    """Does POST /api/v1/chat accept client_msg_id? (Today's main refuses unknown fields with 422.)"""
    body = {"sender": f"load-probe-{uuid.uuid4().hex[:8]}", "text": "xin chào", "client_msg_id": uuid.uuid4().hex}
    response = httpx.post(f"{url}/api/v1/chat", json=body, timeout=REQUEST_TIMEOUT_S)
    if response.status_code not in (200, 422):
        raise SystemExit(f"probe: HTTP {response.status_code} {response.text[:300]}")
    return response.status_code == 200


@dataclass
class Target:
    url: str
    database_url: str | None  # where to count stored messages
    pids: list[int]  # their process trees are the stack
    description: str
    logs_dir: Path | None


class Stacks:
    """The stack under load: one this script starts (and may start afresh) or an external one (--url)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._running: ExitStack | None = None

    @property
    def own(self) -> bool:
        return not self.args.url

    def start(self) -> Target:
        args = self.args
        if args.url:
            var_dir = Path(args.var_dir).resolve() if args.var_dir else None
            database = args.database_url or (f"sqlite:///{var_dir / 'app.db'}" if var_dir else None)
            pids = [int(p) for p in args.pids.split(",") if p.strip()] if args.pids else []
            return Target(args.url.rstrip("/"), database, pids, f"External stack at {args.url}",
                          var_dir / "logs" if var_dir else None)
        self._running = ExitStack()
        stack = self._running.enter_context(running_stack())
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{stack.var_dir / 'app.db'}"
        kind = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        print(f"stack ready: {stack.app_url}, VAR_DIR {stack.var_dir}", flush=True)
        return Target(stack.app_url, database, [stack.launcher_pid],
                      f"Stack started by the script (embedded, {kind})", stack.var_dir / "logs")

    def restart(self) -> Target:
        self.close()
        return self.start()

    def close(self) -> None:
        if self._running is not None:
            self._running.close()
            self._running = None


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True, help="names the docs section (load-LABEL) and the JSON file")
    parser.add_argument("--rows", default="1,10,50,100,200,50x300")
    parser.add_argument("--duration", type=float, default=60, help="seconds of a row without its own (N)")
    parser.add_argument("--turns", type=int, default=300, help="measured turns of the single conversation")
    parser.add_argument("--url", help="an already running app (or proxy) instead of starting the stack")
    parser.add_argument("--var-dir", help="with --url: its VAR_DIR, to count stored messages in app.db")
    parser.add_argument("--database-url", help="with --url: its DATABASE_URL, to count stored messages")
    parser.add_argument("--pids", help="with --url: pids (e.g. the launcher's) whose process trees are the stack")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9.-]+", args.label):
        parser.error("--label: letters, digits, dots and dashes")
    rows = parse_rows(args.rows, args.duration)
    command = ".venv/bin/python scripts/bench_load.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    pool = build_pool()
    print(f"question pool: {len(pool.texts())} distinct texts ({len(pool.questions)} questions)", flush=True)
    out_file = ROOT / "var" / "bench" / f"load-{args.label}.json"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    databases: list[str | None] = []  # per row (a fresh stack has its own)
    stacks = Stacks(args)
    try:
        stack = stacks.start()
        use_ids = probe_ids(stack.url)
        bind = is_loopback(stack.url)
        print(f"client_msg_id: {'sent with every message' if use_ids else 'not supported (422), not sent'}; "
              f"source addresses: {'127.0.0.2 and up' if bind else 'default (not a loopback URL)'}", flush=True)
        ctx = Context(stack=stack, pool=pool, run_id=uuid.uuid4().hex[:6], use_ids=use_ids, bind_loopback=bind,
                      turns=args.turns)
        meta = {"label": args.label, "command": command, "target": stack.description, "client_msg_id": use_ids,
                "pool_distinct_texts": len(pool.texts()), "machine": os.uname().nodename,
                "started": dt.datetime.now().isoformat(timespec="seconds"), "rows": results}
        print(HEADER, flush=True)
        for number, row in enumerate(rows):
            fresh = bool(results) and not results[-1]["settled"] and stacks.own
            if fresh:  # the previous row left requests behind: do not measure its backlog
                print(f"the stack did not settle within {SETTLE_MAX_S:.0f} s: starting a fresh one", flush=True)
                ctx.stack = stacks.restart()
                settle(ctx.stack, "-")
            results.append(asyncio.run(run_row(ctx, row, number)) | {"fresh_stack": fresh})
            databases.append(ctx.stack.database_url)
            print(table_row(results[-1]), flush=True)
            meta["total_s"] = time.monotonic() - started
            out_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        for result, database in zip(results, databases, strict=True):  # stored late (after its row) is not lost
            result["stored_at_end"] = stored_messages(database, result["sender_prefix"])
        out_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        stacks.close()
    marks = (f" † = on a freshly started stack (the previous row's requests were still pending {SETTLE_MAX_S:.0f} s "
             "after it); ‡ = still pending after that wait." if any(not r["settled"] for r in results) else "")
    intro = (f"{stack.description}; {len(pool.texts())} distinct texts; client_msg_id "
             f"{'sent' if use_ids else 'not supported, not sent'}; whole run {meta['total_s'] / 60:.0f} min. "
             "Latency over every turn (errors and busy notices included); bot turns/s = bot answers completed "
             "inside the row's window; CPU-ms per turn sent, from /proc, load client excluded "
             f"(client: {statistics_client(results)} CPU-ms/turn). Raw: `var/bench/load-{args.label}.json`.{marks}")
    write_section(f"load-{args.label}", command, intro + "\n\n" + HEADER + "\n" + "\n".join(map(table_row, results)))
    print(f"written: docs/benchmarks.md (load-{args.label}), {out_file.relative_to(ROOT)}")


def statistics_client(results: list[dict[str, Any]]) -> str:
    values = [r["client_cpu_ms_per_turn"] for r in results if r["client_cpu_ms_per_turn"] is not None]
    return f"{min(values):.1f}–{max(values):.1f}" if values else "n/a"


if __name__ == "__main__":
    main()
