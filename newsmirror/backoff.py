"""Retry delays: exponential backoff with jitter, caps, and ``Retry-After`` (pure)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Backoff:
    """Delay before the n-th retry: ``base * 2**(n-1)``, capped at ``cap``, of which up to
    ``jitter`` (a fraction) is randomly taken off so that failed requests do not all
    come back at once. A server's ``Retry-After`` is a floor: never retry earlier."""

    base: float = 1.0
    cap: float = 60.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError("backoff base and cap must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"backoff jitter is a fraction between 0 and 1, got {self.jitter}")

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        exponent = min(max(retry - 1, 0), 62)  # 2**62 seconds is past any cap already
        raw = min(self.cap, self.base * 2.0**exponent)
        delay = raw * (1.0 - self.jitter * rng.random())
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def allows(self, retry_after: float | None) -> bool:
        """Whether a server's ``Retry-After`` is within the cap (else: give up for now)."""
        return retry_after is None or retry_after <= self.cap


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date);
    ``None`` when absent or unreadable. ``now`` is for tests (default: the clock)."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) or seconds < 0 else seconds
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
