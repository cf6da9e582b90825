"""Rate limits for the whole app, with the `limits` library: in memory on the embedded default, in Redis (shared by
every app replica) when `REDIS_URL` is set. Sliding-window counters: "30 per minute" also allows a burst of 30.

Keys: a conversation ("web:<key>", "api:<sender>", "telegram:<chat>"), a client address (after uvicorn's
proxy-headers handling, so behind a trusted proxy it is the citizen's address), a widget socket, a search client.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from api.core.errors import AppError

NAMESPACE = "tlhc"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the next attempt can pass


class RateLimits:
    def __init__(self, redis_url: str = "", *, conversation_per_minute: int, client_per_minute: int,
                 search_per_minute: int, frames_per_minute: int = 60) -> None:
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = storage_from_string(uri, implementation="redispy", key_prefix=NAMESPACE)
        else:
            storage = storage_from_string("async+memory://")
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.conversation = RateLimitItemPerMinute(conversation_per_minute, namespace="conversation")
        self.client = RateLimitItemPerMinute(client_per_minute, namespace="client")
        self.search = RateLimitItemPerMinute(search_per_minute, namespace="search")
        self.frames = RateLimitItemPerMinute(frames_per_minute, namespace="frames")

    async def hit(self, item: RateLimitItem, key: str) -> Verdict:
        if await self.limiter.hit(item, key):
            return Verdict(True)
        stats = await self.limiter.get_window_stats(item, key)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def citizen_message(self, conversation: str, client: str | None) -> Verdict:
        """One citizen message: counted against its conversation and, when known, its client address."""
        verdict = await self.hit(self.conversation, conversation)
        if verdict.allowed and client:
            verdict = await self.hit(self.client, client)
        return verdict


def too_many(verdict: Verdict, message: str) -> AppError:
    return AppError(429, "rate_limited", message, headers={"Retry-After": str(verdict.retry_after)})
