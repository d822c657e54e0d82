"""Deterministic fault injection for the fixture upstream.

A :class:`Faults` plan says how often the fixture upstream misbehaves and how. Every
decision is a pure function of ``seed`` and the request's URL, so one plan gives the
same faults on every run:

* **transient faults** (``error``, ``slow``, ``drop``, ``truncate``, ``invalid_json``,
  ``html``, ``empty``): a URL picked for a fault gets it on its first ``attempts``
  requests and the right answer from then on, so a client that retries enough
  eventually gets every such answer;
* **permanent faults**: the text of codes in ``fail_codes`` (or picked by
  ``fail_rate``) and every request for a list in ``fail_lists`` always fail; the text
  of codes picked by ``oversize`` is always ``oversize_bytes`` long;
* **variants** that are not failures: ``gbk`` answers are GBK/GB18030-encoded (half of
  them say so in ``Content-Type``, half do not); ``duplicates`` copies records of one
  list into another (same code).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Transient faults in the order their rates are stacked on the unit interval.
TRANSIENT = ("error", "slow", "drop", "truncate", "invalid_json", "html", "empty")
#: Every rate of a plan.
RATES = (*TRANSIENT, "gbk", "oversize", "duplicates", "fail_rate")
#: Statuses of the ``error`` fault; 429 and 503 carry ``Retry-After``.
ERROR_STATUSES = (500, 503, 429)
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Status of every answer for a permanently failing code or list.
PERMANENT_STATUS = 503

#: Reasons :meth:`Faults.unservable` gives, by fault.
REASON_FAILS = "text fails permanently"
REASON_OVERSIZE = "text is oversized"


def unit(seed: int, *parts: str) -> float:
    """A number in [0, 1) fixed by ``seed`` and ``parts`` (stable across runs and Pythons)."""
    digest = hashlib.blake2b("\x1f".join((str(seed), *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


def info_key(code: str) -> str:
    """The text endpoint's key for a code: the ``NW``-prefixed infoCode."""
    return code if code.startswith("NW") else f"NW{code}"


@dataclass(frozen=True)
class Faults:
    """How a fixture upstream misbehaves; the rates are fractions of URLs (0 to 1)."""

    seed: int = 0
    #: 500, 503 or 429 answers (503 and 429 with ``Retry-After: retry_after``).
    error: float = 0.0
    #: Answers held back ``slow_delay`` seconds.
    slow: float = 0.0
    #: Connections closed without an answer.
    drop: float = 0.0
    #: Bodies cut in half: either the connection closes before ``Content-Length`` bytes
    #: arrived, or ``Content-Length`` itself is the cut length (a clean, broken answer).
    truncate: float = 0.0
    #: JSON endpoints answer 200 with a body that is not JSON (cut or JSONP-wrapped).
    invalid_json: float = 0.0
    #: An HTML error page with status 200.
    html: float = 0.0
    #: The document's fields are empty or missing (``{}``, an empty record list,
    #: ``{"text": "", "content": ""}``, a blank share page).
    empty: float = 0.0
    #: GBK/GB18030-encoded answers (a variant, not a failure).
    gbk: float = 0.0
    #: Codes whose text is always ``oversize_bytes`` long.
    oversize: float = 0.0
    #: Media and market records also listed in one other such list.
    duplicates: float = 0.0
    #: Codes whose text fails permanently, picked by rate ...
    fail_rate: float = 0.0
    #: ... or named (archive codes or infoCodes).
    fail_codes: frozenset[str] = field(default_factory=frozenset)
    #: Lists (``media``, ``flash``, ``market37`` ...) that always fail.
    fail_lists: frozenset[str] = field(default_factory=frozenset)
    #: How many first requests of a faulty URL get its fault.
    attempts: int = 1
    slow_delay: float = 2.0
    retry_after: int = 1
    oversize_bytes: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in RATES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {name} must be between 0 and 1, got {value}")
        if sum(getattr(self, name) for name in TRANSIENT) > 1.0:
            raise ValueError("the transient fault rates add up to more than 1")
        if self.attempts < 0 or self.retry_after < 0 or self.slow_delay < 0:
            raise ValueError("attempts, retry_after and slow_delay must not be negative")
        object.__setattr__(self, "fail_codes", frozenset(map(info_key, self.fail_codes)))
        object.__setattr__(self, "fail_lists", frozenset(self.fail_lists))

    @property
    def active(self) -> bool:
        """Whether the plan changes any answer at all."""
        return any(getattr(self, name) for name in RATES) or bool(
            self.fail_codes or self.fail_lists
        )

    # -- per URL -------------------------------------------------------------------------
    def transient(self, key: str, attempt: int) -> str | None:
        """The fault of the ``attempt``-th request (1-based) for URL ``key``, if any."""
        if attempt > self.attempts:
            return None
        point = unit(self.seed, "fault", key)
        for name in TRANSIENT:
            rate: float = getattr(self, name)
            if point < rate:
                return name
            point -= rate
        return None

    def variant(self, key: str, choices: int) -> int:
        """Which of ``choices`` variants of its fault URL ``key`` gets."""
        return int(unit(self.seed, "variant", key) * choices)

    def error_status(self, key: str) -> int:
        return ERROR_STATUSES[self.variant(key, len(ERROR_STATUSES))]

    def encoding(self, key: str) -> tuple[bool, bool]:
        """``(GBK-encoded, charset declared)`` for URL ``key``."""
        if unit(self.seed, "gbk", key) >= self.gbk:
            return False, True
        return True, unit(self.seed, "gbk-declared", key) < 0.5

    # -- per code and list -------------------------------------------------------------
    def fails_permanently(self, info_code: str) -> bool:
        key = info_key(info_code)
        return key in self.fail_codes or unit(self.seed, "fail", key) < self.fail_rate

    def is_oversized(self, info_code: str) -> bool:
        key = info_key(info_code)
        return not self.fails_permanently(key) and unit(self.seed, "oversize", key) < self.oversize

    def list_fails(self, list_name: str) -> bool:
        return list_name in self.fail_lists

    def duplicate_target(self, code: str, list_name: str, candidates: Iterable[str]) -> str | None:
        """The other list that also carries ``code`` (listed in ``list_name``), if any."""
        if unit(self.seed, "dup", code) >= self.duplicates:
            return None
        others = sorted(name for name in candidates if name != list_name)
        if not others:
            return None
        return others[int(unit(self.seed, "dup-target", code) * len(others))]

    def unservable(self, info_codes: dict[str, str]) -> dict[str, str]:
        """Of ``{archive code: infoCode}``, the codes whose text is never served usable,
        with the reason."""
        out: dict[str, str] = {}
        for code, info_code in info_codes.items():
            if self.fails_permanently(info_code):
                out[code] = REASON_FAILS
            elif self.is_oversized(info_code):
                out[code] = REASON_OVERSIZE
        return out
