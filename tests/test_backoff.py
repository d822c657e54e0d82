from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from newsmirror.backoff import Backoff, parse_retry_after


class FixedRandom(random.Random):
    """``random()`` always returns ``value``: the jitter's extremes, chosen by the test."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("retry", "expected"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 10.0), (100, 10.0), (10_000, 10.0)],
)
def test_delays_double_up_to_the_cap(retry: int, expected: float) -> None:
    assert Backoff(base=1.0, cap=10.0, jitter=0.5).delay(retry, FixedRandom(0.0)) == expected


def test_jitter_takes_off_at_most_its_fraction() -> None:
    backoff = Backoff(base=2.0, cap=60.0, jitter=0.5)
    assert backoff.delay(2, FixedRandom(0.999999)) == pytest.approx(2.0, abs=1e-5)
    delays = [backoff.delay(2, random.Random(seed)) for seed in range(200)]
    assert all(2.0 < d <= 4.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 150  # spread out, not one value


def test_retry_after_is_a_floor() -> None:
    backoff = Backoff(base=1.0, cap=60.0, jitter=0.0)
    assert backoff.delay(1, FixedRandom(0.0), retry_after=5.0) == 5.0
    assert backoff.delay(4, FixedRandom(0.0), retry_after=5.0) == 8.0


def test_a_retry_after_beyond_the_cap_is_not_allowed() -> None:
    backoff = Backoff(cap=30.0)
    assert backoff.allows(None) and backoff.allows(30.0)
    assert not backoff.allows(31.0)


@pytest.mark.parametrize("kwargs", [{"base": -1.0}, {"cap": -1.0}, {"jitter": 1.5}])
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**kwargs)


NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"120", 120.0),
        ("0", 0.0),
        (" 1.5 ", 1.5),
        ("Fri, 01 Mar 2024 12:00:30 GMT", 30.0),
        ("Fri, 01 Mar 2024 11:00:00 GMT", 0.0),  # in the past: now
        (None, None),
        ("", None),
        ("-5", None),
        ("nan", None),
        ("soon", None),
    ],
)
def test_retry_after_header_values(value: str | bytes | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected
