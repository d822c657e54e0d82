"""Publication dates: every form the upstream uses -> aware Beijing-time datetimes.

Only forms recognised by an explicit pattern are accepted; nothing is guessed and no
missing part is ever filled in from the clock. Forms that need a reference instant
(``3分钟前``, ``昨天 10:20``, ``05-29 00:02``) resolve against the article's fetch
time, which the caller passes in. A parsed value must also be plausible: not before
:data:`MIN_PUBLISHED` and not more than ``max_future`` after the fetch time.

When the published value is unusable, :func:`resolve_published` falls back to the
date encoded in the article code (``NW20220529…`` -> 2022-05-29 00:00:00 +0800); see
the "Dates" section of docs/archive-format.md.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

#: Beijing time. The archive writes every date as ``+0800``, so this is the fixed
#: offset (not the ``Asia/Shanghai`` zone, whose 1986-1991 summer time would give
#: ``+0900``).
SHANGHAI = timezone(timedelta(hours=8), "CST")
#: Anything earlier is an impossible publication time for this archive.
MIN_PUBLISHED = datetime(1990, 1, 1, tzinfo=SHANGHAI)
#: How far after its fetch time a publication time may lie (clock skew, time zones).
DEFAULT_MAX_FUTURE = timedelta(hours=24)


class DateProblem(enum.Enum):
    """Why a published value was not used (the value is the stats/log key)."""

    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    IMPOSSIBLE = "impossible"
    TOO_OLD = "too_old"
    FUTURE = "future"
    NO_REFERENCE = "no_reference"

    def describe(self, max_future: timedelta = DEFAULT_MAX_FUTURE) -> str:
        """A phrase for log messages: ``… is <describe()>``."""
        hours = max_future / timedelta(hours=1)
        return {
            DateProblem.EMPTY: "empty",
            DateProblem.UNRECOGNISED: "not a date form newsmirror recognises",
            DateProblem.IMPOSSIBLE: "not a real calendar date or time",
            DateProblem.TOO_OLD: f"before {MIN_PUBLISHED:%Y-%m-%d}",
            DateProblem.FUTURE: f"more than {hours:g} h after the fetch time",
            DateProblem.NO_REFERENCE: "relative, and there is no fetch time to resolve it",
        }[self]


@dataclass(frozen=True)
class ParsedDate:
    """A parse result: an aware Beijing-time ``value``, or the ``problem`` with it."""

    value: datetime | None
    problem: DateProblem | None = None


@dataclass(frozen=True)
class PublishedDate:
    """The publication time an article gets, and where it came from.

    ``problem`` says why the published value was not used (``None`` when it was);
    ``from_code`` is true when ``value`` is the code's date instead.
    """

    value: datetime | None
    problem: DateProblem | None = None
    from_code: bool = False


class _Unresolvable(Exception):
    """A relative or yearless form with no reference instant."""


class _Unrecognised(Exception):
    """A string that matched a pattern's shape but is still not a known form."""


# -- recognised forms (matched against the NFKC-folded, space-collapsed string) -----------
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
#: ISO 8601 as upstreams and share pages write it; parsed by ``datetime.fromisoformat``.
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?: ?(?:Z|[+-]\d{2}(?::?\d{2})?))?)?"
)
#: ``2022/5/29 0:02``, ``2022-5-29``, ``2022.05.29 00:02:28`` (one separator throughout).
_NUMERIC = re.compile(
    rf"(?P<year>\d{{4}})(?P<sep>[-/.])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}})"
    rf"(?:[ T]{_TIME})?"
)
#: ``2022年05月29日 00:02``, ``2022年5月29日``.
_CHINESE = re.compile(
    rf"(?P<year>\d{{4}}) ?年 ?(?P<month>\d{{1,2}}) ?月 ?(?P<day>\d{{1,2}}) ?日(?: ?{_TIME})?"
)
#: ``05-29 00:02``, ``5/29 10:20`` (a time is required: ``5-29`` alone is too ambiguous).
_YEARLESS_NUMERIC = re.compile(rf"(?P<month>\d{{1,2}})[-/](?P<day>\d{{1,2}}) {_TIME}")
#: ``5月29日``, ``5月29日 10:20``.
_YEARLESS_CHINESE = re.compile(rf"(?P<month>\d{{1,2}}) ?月 ?(?P<day>\d{{1,2}}) ?日(?: ?{_TIME})?")
#: ``3分钟前``, ``2 小时前``, ``5天前``, ``半小时前``.
_AGO = re.compile(
    r"(?:(?P<amount>\d+) ?(?P<unit>秒钟?|分钟?|个?小时|天|日)|(?P<half>半个?小时)) ?前"
)
_AGO_UNITS = {
    "秒": timedelta(seconds=1),
    "秒钟": timedelta(seconds=1),
    "分": timedelta(minutes=1),
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
}
_JUST_NOW = re.compile(r"刚刚|刚才")
#: ``今天 10:20``, ``昨天``, ``前天 08:00``.
_DAY_WORD = re.compile(rf"(?P<word>今天|今日|昨天|昨日|前天)(?: ?{_TIME})?")
_DAYS_BACK = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
#: ``Sun, 29 May 2022 00:02:28 +0800`` (RFC 2822: HTTP headers, feeds). Zone names
#: other than GMT/UT are refused: email.utils reads ``CST`` as US Central time.
_RFC2822 = re.compile(
    r"(?:[A-Z][a-z]{2}, ?)?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})?"
    r"(?: (?:GMT|UTC?|[+-]\d{4}))?"
)
#: Digit strings: compact dates, epoch seconds or milliseconds.
_DIGITS = re.compile(r"(?P<int>\d+)(?:\.(?P<frac>\d+))?")
#: An article code's date: the first 8 digits after an optional letter prefix.
_CODE_DATE = re.compile(r"[A-Za-z]*(?P<date>\d{8})")
_INVISIBLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def _fold(raw: str) -> str:
    """NFKC (``２０２２／５／２９`` -> ``2022/5/29``, ``：`` -> ``:``), invisible
    characters dropped, spaces collapsed. Safe here: a date string is never shown."""
    text = _INVISIBLE.sub(" ", unicodedata.normalize("NFKC", raw))
    return " ".join(text.split())


def _aware(value: datetime) -> datetime:
    """Naive means Beijing time; aware values are converted to it."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    hour, minute, second = match.group("hour", "minute", "second")
    return int(hour or 0), int(minute or 0), int(second or 0)


def _calendar(match: re.Match[str]) -> datetime:
    year, month, day = (int(match.group(g)) for g in ("year", "month", "day"))
    return datetime(year, month, day, *_clock(match), tzinfo=SHANGHAI)


def _digits(match: re.Match[str]) -> datetime:
    whole, frac = match.group("int", "frac")
    if frac is None and len(whole) == 8:
        return datetime.strptime(whole, "%Y%m%d").replace(tzinfo=SHANGHAI)
    if frac is None and len(whole) == 14:
        return datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
    seconds = float(match.group())
    if len(whole) in (12, 13):
        seconds /= 1000
    elif len(whole) not in (9, 10):
        raise _Unrecognised
    return datetime.fromtimestamp(seconds, UTC).astimezone(SHANGHAI)


def _reference(fetched_at: datetime | None) -> datetime:
    if fetched_at is None:
        raise _Unresolvable
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        raise TypeError(f"fetched_at must be timezone-aware, got {fetched_at!r}")
    return fetched_at.astimezone(SHANGHAI)


def _yearless(match: re.Match[str], fetched_at: datetime | None, max_future: timedelta) -> datetime:
    """The latest year that does not put the date after ``fetched_at + max_future``:
    ``12-31 23:50`` seen on 1 January is last year; ``01-01 00:05`` seen at 23:59
    on 31 December is next year."""
    ref = _reference(fetched_at)
    month, day = int(match.group("month")), int(match.group("day"))
    clock = _clock(match)
    for year in (ref.year + 1, ref.year, ref.year - 1):
        try:
            candidate = datetime(year, month, day, *clock, tzinfo=SHANGHAI)
        except ValueError:
            continue  # 02-29 outside a leap year
        if candidate <= ref + max_future:
            return candidate
    raise ValueError(f"no year around {ref.year} has {month:02d}-{day:02d}")


def _ago(match: re.Match[str], fetched_at: datetime | None, max_future: timedelta) -> datetime:
    ref = _reference(fetched_at).replace(microsecond=0)
    if match.group("half"):
        return ref - timedelta(minutes=30)
    return ref - int(match.group("amount")) * _AGO_UNITS[match.group("unit")]


def _just_now(match: re.Match[str], fetched_at: datetime | None, max_future: timedelta) -> datetime:
    return _reference(fetched_at).replace(microsecond=0)


def _day_word(match: re.Match[str], fetched_at: datetime | None, max_future: timedelta) -> datetime:
    day = _reference(fetched_at) - timedelta(days=_DAYS_BACK[match.group("word")])
    return datetime(day.year, day.month, day.day, *_clock(match), tzinfo=SHANGHAI)


_Reader = Callable[[re.Match[str], datetime | None, timedelta], datetime]

#: Every recognised form, tried in order with ``fullmatch``.
_FORMS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    (_ISO, lambda m, ref, fut: _aware(datetime.fromisoformat(m.group()))),
    (_NUMERIC, lambda m, ref, fut: _calendar(m)),
    (_CHINESE, lambda m, ref, fut: _calendar(m)),
    (_DIGITS, lambda m, ref, fut: _digits(m)),
    (_RFC2822, lambda m, ref, fut: _aware(parsedate_to_datetime(m.group()))),
    (_YEARLESS_NUMERIC, _yearless),
    (_YEARLESS_CHINESE, _yearless),
    (_AGO, _ago),
    (_JUST_NOW, _just_now),
    (_DAY_WORD, _day_word),
)


def _read(text: str, fetched_at: datetime | None, max_future: timedelta) -> ParsedDate:
    for pattern, reader in _FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        try:
            return ParsedDate(reader(match, fetched_at, max_future))
        except _Unresolvable:
            return ParsedDate(None, DateProblem.NO_REFERENCE)
        except _Unrecognised:
            return ParsedDate(None, DateProblem.UNRECOGNISED)
        except (ValueError, OverflowError, OSError):
            return ParsedDate(None, DateProblem.IMPOSSIBLE)
    return ParsedDate(None, DateProblem.UNRECOGNISED)


def check_plausible(
    value: datetime,
    *,
    fetched_at: datetime | None = None,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> DateProblem | None:
    """What is wrong with ``value`` as a publication time fetched at ``fetched_at``
    (``None`` when nothing is; without ``fetched_at`` only the minimum is checked)."""
    if value < MIN_PUBLISHED:
        return DateProblem.TOO_OLD
    if fetched_at is not None and value > _reference(fetched_at) + max_future:
        return DateProblem.FUTURE
    return None


def parse_date(
    raw: str,
    *,
    fetched_at: datetime | None = None,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> ParsedDate:
    """Parse a publication time and check it is plausible, saying why when it is not.

    ``fetched_at`` (aware) resolves relative and yearless forms and bounds the future;
    without it those forms are ``NO_REFERENCE`` and no future check is made.
    """
    text = _fold(raw)
    if not text:
        return ParsedDate(None, DateProblem.EMPTY)
    parsed = _read(text, fetched_at, max_future)
    if parsed.value is None:
        return parsed
    problem = check_plausible(parsed.value, fetched_at=fetched_at, max_future=max_future)
    return parsed if problem is None else ParsedDate(None, problem)


def parse_published(
    raw: str,
    *,
    fetched_at: datetime | None = None,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> datetime | None:
    """An aware Beijing-time publication time, or ``None`` if ``raw`` is unusable
    (see :func:`parse_date` for why)."""
    return parse_date(raw, fetched_at=fetched_at, max_future=max_future).value


def date_from_code(
    code: str,
    *,
    fetched_at: datetime | None = None,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> datetime | None:
    """``NW202205292395331423`` -> 2022-05-29 00:00:00 +0800; ``None`` when the code
    does not start with a real, plausible ``YYYYMMDD`` after its letter prefix."""
    match = _CODE_DATE.match(code)
    if match is None:
        return None
    try:
        value = datetime.strptime(match.group("date"), "%Y%m%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None
    if check_plausible(value, fetched_at=fetched_at, max_future=max_future) is not None:
        return None
    return value


def resolve_published(
    raw: str,
    code: str,
    *,
    fetched_at: datetime,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> PublishedDate:
    """The publication time of article ``code``: ``raw`` when usable, else the date
    in the code (midnight Beijing time) when that is usable, else ``None``."""
    parsed = parse_date(raw, fetched_at=fetched_at, max_future=max_future)
    if parsed.value is not None:
        return PublishedDate(parsed.value)
    fallback = date_from_code(code, fetched_at=fetched_at, max_future=max_future)
    return PublishedDate(fallback, parsed.problem, from_code=fallback is not None)


def format_post_date(value: datetime) -> str:
    """``2022-05-29 00:02:28 +0800``: the archive's front-matter form (any zone is
    converted to Beijing time; a naive value is a bug and raises ``ValueError``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: publication times must be aware")
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S %z")
