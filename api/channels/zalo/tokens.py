"""The OA's token pair: read from the database, refreshed before it expires (OAuth v4), stored encrypted.

A refresh token works once. The refresh happens with the pair's row locked (`SELECT … FOR UPDATE` on PostgreSQL; a
thread lock within a process), and the row is read again under the lock: a replica that waited finds the new pair
and makes no call. The new pair replaces the old one in the same transaction. The pair is sealed with Fernet
(`ZALO_TOKEN_KEYS`: the first key encrypts, every key decrypts, so keys can be rotated). A refresh that fails is
written on the row (`failure`): every replica then reports `zalo: degraded` until a refresh works.

The first pair comes from the `ZALO_REFRESH_TOKEN` setting (the refresh token got by authorising the OA); the row
keeps its hash, so putting a new value in the setting (after authorising again) replaces the stored pair.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.channels.zalo.api import TokenPair, ZaloApi, ZaloError
from api.db.base import session_scope
from api.db.models import ZaloToken, utcnow

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RETRY_AFTER_FAILURE = dt.timedelta(seconds=60)  # a failed refresh is tried again after this long


class TokenUnavailable(Exception):
    """No usable access token: never set up, or expired and the refresh failed."""


@dataclasses.dataclass(frozen=True)
class TokenState:
    ok: bool
    detail: str


def fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite gives naive datetimes back


class TokenStore:
    def __init__(self, api: ZaloApi, app_id: str, seed_refresh_token: str, keys: str, margin_s: int) -> None:
        self.api, self.app_id, self.seed = api, app_id, seed_refresh_token
        self.seed_hash = hashlib.sha256(seed_refresh_token.encode()).hexdigest() if seed_refresh_token else ""
        self.crypto = fernet(keys)
        self.margin = dt.timedelta(seconds=margin_s)
        self._lock = threading.Lock()
        self._cached: tuple[str, dt.datetime] | None = None
        self.state = TokenState(False, "starting")
        self.refreshes = 0  # refresh calls this process made (tests, logs)

    def seal(self, access: str, refresh: str) -> str:
        return self.crypto.encrypt(json.dumps({"access": access, "refresh": refresh}).encode()).decode()

    def unseal(self, sealed: str) -> tuple[str, str]:
        data = json.loads(self.crypto.decrypt(sealed.encode()))
        return str(data["access"]), str(data["refresh"])

    def access_token(self, stale: str | None = None) -> str:
        """A usable access token, refreshed first when it expires within the margin or when `stale` (a token Zalo
        just refused) is still the stored one. In a worker thread (database and HTTP calls)."""
        cached = self._cached
        if cached and stale is None and cached[1] - utcnow() > self.margin:
            return cached[0]
        with self._lock:
            self._ensure_row()
            return self._under_row_lock(stale)

    def check(self) -> TokenState:
        """Refresh if due, and the state every replica agrees on (read from the row; the cached token is read
        again too, so a pair another replica refreshed is picked up)."""
        self._cached = None
        with contextlib.suppress(TokenUnavailable):  # the state below says why
            self.access_token()
        with session_scope() as db:
            row = db.get(ZaloToken, self.app_id)
            if row is None:
                self.state = TokenState(False, "degraded: no token (set ZALO_REFRESH_TOKEN)")
            elif row.failure:
                self.state = TokenState(False, f"degraded: token refresh failed ({row.failure})")
            else:
                self.state = TokenState(True, f"token valid until {_aware(row.access_expires_at):%Y-%m-%d %H:%M} UTC")
        return self.state

    def _ensure_row(self) -> None:
        """The row exists and comes from the current ZALO_REFRESH_TOKEN setting."""
        with session_scope() as db:
            row = db.get(ZaloToken, self.app_id)
            if row is not None and (not self.seed_hash or row.seed_hash == self.seed_hash):
                return
            if not self.seed:
                return
            if row is None:
                try:
                    with db.begin_nested():
                        db.add(ZaloToken(app_id=self.app_id, sealed=self.seal("", self.seed), access_expires_at=EPOCH,
                                         seed_hash=self.seed_hash))
                except IntegrityError:  # another replica created it
                    pass
                return
        with session_scope() as db:  # a new refresh token in the setting: the operator authorised the OA again
            row = db.execute(select(ZaloToken).where(ZaloToken.app_id == self.app_id).with_for_update()).scalar_one()
            if row.seed_hash != self.seed_hash:
                row.sealed, row.access_expires_at = self.seal("", self.seed), EPOCH
                row.seed_hash, row.failure, row.failed_at = self.seed_hash, None, None
                log.info("zalo: token pair replaced from ZALO_REFRESH_TOKEN")

    def _under_row_lock(self, stale: str | None) -> str:
        failure: str | None = None
        usable: str | None = None
        with session_scope() as db:
            row = db.execute(select(ZaloToken).where(ZaloToken.app_id == self.app_id)
                             .with_for_update()).scalar_one_or_none()
            if row is None:
                raise TokenUnavailable("no Zalo token: set ZALO_REFRESH_TOKEN")
            try:
                access, refresh = self.unseal(row.sealed)
            except (InvalidToken, ValueError, KeyError) as error:
                raise TokenUnavailable("the stored token pair cannot be decrypted (ZALO_TOKEN_KEYS)") from error
            expires = _aware(row.access_expires_at)
            now = utcnow()
            if access and expires - now > self.margin and (stale is None or access != stale):
                self._cached = (access, expires)
                return access
            failed_at = _aware(row.failed_at) if row.failed_at else None
            if failed_at and now - failed_at < RETRY_AFTER_FAILURE:  # do not hammer OAuth with a refused token
                if access and expires > now and access != stale:
                    return access
                raise TokenUnavailable(f"token refresh failed: {row.failure}")
            try:
                self.refreshes += 1
                pair: TokenPair = self.api.refresh(refresh)
            except ZaloError as error:
                failure = str(error)[:300]
                row.failure, row.failed_at = failure, now
                usable = access if access and expires > now and access != stale else None
            else:
                row.sealed, row.access_expires_at = self.seal(pair.access, pair.refresh), pair.access_expires_at
                row.refreshed_at, row.failure, row.failed_at = now, None, None
                self._cached = (pair.access, pair.access_expires_at)
                self.state = TokenState(True, f"token valid until {pair.access_expires_at:%Y-%m-%d %H:%M} UTC")
                log.info("zalo: access token refreshed", extra={"expires_at": pair.access_expires_at.isoformat()})
                return pair.access
        # the failure is committed (every replica sees it) before anyone is told
        self.state = TokenState(False, f"degraded: token refresh failed ({failure})")
        log.error("zalo: token refresh failed", extra={"error": failure})
        if usable is None:
            self._cached = None
            raise TokenUnavailable(f"token refresh failed: {failure}")
        return usable
