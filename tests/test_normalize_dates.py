"""newsmirror.normalize.dates: every recognised form, the plausibility rules, the
code fallback, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files

import pytest

from newsmirror.normalize.dates import (
    MIN_PUBLISHED,
    SHANGHAI,
    DateProblem,
    ParsedDate,
    date_from_code,
    format_post_date,
    parse_date,
    parse_published,
    resolve_published,
)

#: A pinned fetch time (Beijing): 2022-05-29 12:00:30.
FETCHED = datetime(2022, 5, 29, 12, 0, 30, 250000, tzinfo=SHANGHAI)


def bj(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> str:
    """The ISO form of a Beijing-time instant, as the tests expect it."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=SHANGHAI).isoformat()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # the upstream's own form (corpus), with stray whitespace
        ("2022-05-29 00:02:28", bj(2022, 5, 29, 0, 2, 28)),
        (" 2021-12-08 10:19:17 ", bj(2021, 12, 8, 10, 19, 17)),
        ("2022-05-29  00:02:28", bj(2022, 5, 29, 0, 2, 28)),
        # other separators, unpadded parts
        ("2022/5/29 0:02", bj(2022, 5, 29, 0, 2)),
        ("2022/05/29 00:02:28", bj(2022, 5, 29, 0, 2, 28)),
        ("2022-5-29 0:02:28", bj(2022, 5, 29, 0, 2, 28)),
        ("2022.05.29 00:02", bj(2022, 5, 29, 0, 2)),
        ("2022-05-29", bj(2022, 5, 29)),
        ("2022/5/29", bj(2022, 5, 29)),
        # Chinese forms, also full-width digits and colon
        ("2022年05月29日 00:02", bj(2022, 5, 29, 0, 2)),
        ("2022年5月29日00:02:28", bj(2022, 5, 29, 0, 2, 28)),
        ("2022年5月29日", bj(2022, 5, 29)),
        ("２０２２年５月２９日　００：０２", bj(2022, 5, 29, 0, 2)),
        # ISO 8601 with zones: converted to Beijing time
        ("2022-05-29T00:02:28+08:00", bj(2022, 5, 29, 0, 2, 28)),
        ("2022-05-28T16:02:28Z", bj(2022, 5, 29, 0, 2, 28)),
        ("2022-05-28T16:02:28.500Z", bj(2022, 5, 29, 0, 2, 28, 500000)),
        ("2022-05-28T12:02:28-04:00", bj(2022, 5, 29, 0, 2, 28)),
        ("2022-05-29T00:02:28", bj(2022, 5, 29, 0, 2, 28)),
        # the archive's own front-matter form reads back
        ("2022-05-29 00:02:28 +0800", bj(2022, 5, 29, 0, 2, 28)),
        ("2022-05-29 00:02:28 +0000", bj(2022, 5, 29, 8, 2, 28)),
        # RFC 2822 (HTTP headers, feeds)
        ("Sun, 29 May 2022 00:02:28 +0800", bj(2022, 5, 29, 0, 2, 28)),
        ("28 May 2022 16:02:28 GMT", bj(2022, 5, 29, 0, 2, 28)),
        # epoch seconds and milliseconds, compact dates
        ("1653753748", bj(2022, 5, 29, 0, 2, 28)),
        ("1653753748000", bj(2022, 5, 29, 0, 2, 28)),
        ("1653753748.5", bj(2022, 5, 29, 0, 2, 28, 500000)),
        ("946684800", bj(2000, 1, 1, 8)),
        ("20220529", bj(2022, 5, 29)),
        ("20220529000228", bj(2022, 5, 29, 0, 2, 28)),
    ],
)
def test_absolute_forms(raw: str, expected: str) -> None:
    value = parse_published(raw)
    assert value is not None
    assert value.isoformat() == expected
    assert value.utcoffset() == timedelta(hours=8)
    # the same with a fetch time: absolute forms do not depend on it
    assert parse_published(raw, fetched_at=FETCHED) == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("刚刚", bj(2022, 5, 29, 12, 0, 30)),
        ("刚才", bj(2022, 5, 29, 12, 0, 30)),
        ("30秒前", bj(2022, 5, 29, 12, 0)),
        ("3分钟前", bj(2022, 5, 29, 11, 57, 30)),
        ("3 分钟前", bj(2022, 5, 29, 11, 57, 30)),
        ("3分前", bj(2022, 5, 29, 11, 57, 30)),
        ("半小时前", bj(2022, 5, 29, 11, 30, 30)),
        ("2小时前", bj(2022, 5, 29, 10, 0, 30)),
        ("2个小时前", bj(2022, 5, 29, 10, 0, 30)),
        ("13小时前", bj(2022, 5, 28, 23, 0, 30)),
        ("1天前", bj(2022, 5, 28, 12, 0, 30)),
        ("今天 10:20", bj(2022, 5, 29, 10, 20)),
        ("今天10:20:05", bj(2022, 5, 29, 10, 20, 5)),
        ("昨天 10:20", bj(2022, 5, 28, 10, 20)),
        ("昨天 23:59", bj(2022, 5, 28, 23, 59)),
        ("昨日 10:20", bj(2022, 5, 28, 10, 20)),
        ("前天 08:00", bj(2022, 5, 27, 8, 0)),
        ("昨天", bj(2022, 5, 28)),
        # yearless: this year when that is not in the future
        ("05-29 00:02", bj(2022, 5, 29, 0, 2)),
        ("5/29 10:20", bj(2022, 5, 29, 10, 20)),
        ("5月29日", bj(2022, 5, 29)),
        ("5月29日 10:20", bj(2022, 5, 29, 10, 20)),
        ("05月29日10:20", bj(2022, 5, 29, 10, 20)),
        ("5月30日 11:00", bj(2022, 5, 30, 11, 0)),  # 23 h ahead: clock skew, this year
        ("5月30日 13:00", bj(2021, 5, 30, 13, 0)),  # 25 h ahead: last year's
        ("12-31 23:50", bj(2021, 12, 31, 23, 50)),
    ],
)
def test_relative_and_yearless_forms_resolve_against_the_fetch_time(
    raw: str, expected: str
) -> None:
    value = parse_published(raw, fetched_at=FETCHED)
    assert value is not None
    assert value.isoformat() == expected


@pytest.mark.parametrize(
    ("fetched_at", "raw", "expected"),
    [
        # across New Year, both ways
        (datetime(2022, 1, 1, 0, 5, tzinfo=SHANGHAI), "12-31 23:50", bj(2021, 12, 31, 23, 50)),
        (datetime(2022, 1, 1, 0, 5, tzinfo=SHANGHAI), "12月31日", bj(2021, 12, 31)),
        (datetime(2021, 12, 31, 23, 59, tzinfo=SHANGHAI), "01-01 00:05", bj(2022, 1, 1, 0, 5)),
        (datetime(2022, 1, 1, 8, tzinfo=SHANGHAI), "06-15 10:00", bj(2021, 6, 15, 10)),
        (datetime(2022, 1, 1, 0, 5, tzinfo=SHANGHAI), "昨天 23:50", bj(2021, 12, 31, 23, 50)),
        (datetime(2022, 3, 1, 0, 30, tzinfo=SHANGHAI), "2天前", bj(2022, 2, 27, 0, 30)),
        # 29 February: only in a leap year
        (datetime(2024, 3, 1, tzinfo=SHANGHAI), "02-29 10:00", bj(2024, 2, 29, 10)),
        (datetime(2025, 3, 1, tzinfo=SHANGHAI), "2月29日", bj(2024, 2, 29)),
        # the calendar day is Beijing's, whatever zone the fetch time is in
        (datetime(2022, 5, 28, 17, 0, tzinfo=UTC), "今天 10:20", bj(2022, 5, 29, 10, 20)),
        (datetime(2022, 5, 28, 17, 0, tzinfo=UTC), "昨天 10:20", bj(2022, 5, 28, 10, 20)),
        (datetime(2022, 5, 28, 17, 0, tzinfo=UTC), "3分钟前", bj(2022, 5, 29, 0, 57)),
        (datetime(2022, 12, 31, 16, 30, tzinfo=UTC), "01-01 00:10", bj(2023, 1, 1, 0, 10)),
    ],
)
def test_year_and_day_inference(fetched_at: datetime, raw: str, expected: str) -> None:
    value = parse_published(raw, fetched_at=fetched_at)
    assert value is not None
    assert value.isoformat() == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", DateProblem.EMPTY),
        ("   ", DateProblem.EMPTY),
        ("\u200b\ufeff", DateProblem.EMPTY),
        # what dateutil would happily turn into "today"
        ("3", DateProblem.UNRECOGNISED),
        ("May", DateProblem.UNRECOGNISED),
        ("29", DateProblem.UNRECOGNISED),
        ("2022", DateProblem.UNRECOGNISED),
        ("10:20", DateProblem.UNRECOGNISED),
        ("05-29", DateProblem.UNRECOGNISED),
        ("not a date", DateProblem.UNRECOGNISED),
        ("+0800", DateProblem.UNRECOGNISED),  # the corpus's empty date, "date:  +0800"
        ("发布时间：2022-05-29 00:02", DateProblem.UNRECOGNISED),
        ("2022-05-29 00:02:28 CST", DateProblem.UNRECOGNISED),
        ("Sun, 29 May 2022 00:02:28 CST", DateProblem.UNRECOGNISED),
        ("3 minutes ago", DateProblem.UNRECOGNISED),
        ("12345", DateProblem.UNRECOGNISED),
        ("16537537480", DateProblem.UNRECOGNISED),
        ("2022/05-29", DateProblem.UNRECOGNISED),
        # shaped like a date, but no such day or time
        ("2022-02-30", DateProblem.IMPOSSIBLE),
        ("2022-13-01 00:00", DateProblem.IMPOSSIBLE),
        ("2022-05-29 25:00", DateProblem.IMPOSSIBLE),
        ("2022-05-29 00:60", DateProblem.IMPOSSIBLE),
        ("2022-05-29T24:00:00", DateProblem.IMPOSSIBLE),
        ("2022年2月30日", DateProblem.IMPOSSIBLE),
        ("20220230", DateProblem.IMPOSSIBLE),
        ("0000-00-00 00:00:00", DateProblem.IMPOSSIBLE),
        ("02-30 10:00", DateProblem.IMPOSSIBLE),
        ("今天 24:00", DateProblem.IMPOSSIBLE),
        ("99999999999天前", DateProblem.IMPOSSIBLE),
        # real, but not a plausible publication time
        ("1989-12-31 23:59:59", DateProblem.TOO_OLD),
        ("1970-01-01 08:00:00", DateProblem.TOO_OLD),
        ("315532800", DateProblem.TOO_OLD),
        ("100000天前", DateProblem.TOO_OLD),
        ("2022-05-30 12:00:31", DateProblem.FUTURE),
        ("2099-01-01", DateProblem.FUTURE),
        ("4102444800000", DateProblem.FUTURE),
    ],
)
def test_unusable_values_say_why(raw: str, problem: DateProblem) -> None:
    parsed = parse_date(raw, fetched_at=FETCHED)
    assert parsed == ParsedDate(None, problem)
    assert parse_published(raw, fetched_at=FETCHED) is None


def test_the_future_limit_is_inclusive_and_configurable() -> None:
    limit = "2022-05-30 12:00:30"  # exactly 24 h after FETCHED, to the second
    assert parse_published(limit, fetched_at=FETCHED.replace(microsecond=0)) is not None
    one_hour_ahead = "2022-05-29 13:00:00"
    assert parse_published(one_hour_ahead, fetched_at=FETCHED) is not None
    strict = parse_date(one_hour_ahead, fetched_at=FETCHED, max_future=timedelta(0))
    assert strict.problem is DateProblem.FUTURE
    # without a fetch time there is no future check, only the minimum
    assert parse_published("2099-01-01") is not None
    assert parse_date("1989-01-01").problem is DateProblem.TOO_OLD


def test_minimum_is_1990_in_beijing_time() -> None:
    assert MIN_PUBLISHED.isoformat() == "1990-01-01T00:00:00+08:00"
    assert parse_published("1990-01-01 00:00:00") == MIN_PUBLISHED


@pytest.mark.parametrize("raw", ["3分钟前", "刚刚", "昨天 10:20", "05-29 00:02", "5月29日"])
def test_relative_forms_need_a_fetch_time(raw: str) -> None:
    assert parse_date(raw).problem is DateProblem.NO_REFERENCE


def test_a_naive_fetch_time_is_a_bug() -> None:
    with pytest.raises(TypeError, match="timezone-aware"):
        parse_published("3分钟前", fetched_at=datetime(2022, 5, 29, 12))
    with pytest.raises(TypeError, match="timezone-aware"):
        parse_published("2022-05-29 00:02:28", fetched_at=datetime(2022, 5, 29, 12))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NW202205292395331423", bj(2022, 5, 29)),
        ("202205262391921712", bj(2022, 5, 26)),
        ("AB202112082206672930", bj(2021, 12, 8)),
        ("20220529", bj(2022, 5, 29)),
        ("NW202202302395331423", None),  # 30 February
        ("NW198912312395331423", None),  # before 1990
        ("NW202205312395331423", None),  # two days after the fetch time
        ("NW2022052", None),
        ("NW", None),
        ("X1Y202205292395331423", None),
        ("", None),
    ],
)
def test_date_from_code(code: str, expected: str | None) -> None:
    value = date_from_code(code, fetched_at=FETCHED)
    assert (value.isoformat() if value else None) == expected


@pytest.mark.parametrize(
    ("raw", "code", "expected", "problem", "from_code"),
    [
        # usable value: the code is not consulted
        ("2022-05-29 00:02:28", "NW202205282395331423", bj(2022, 5, 29, 0, 2, 28), None, False),
        ("3分钟前", "NW202201012395331423", bj(2022, 5, 29, 11, 57, 30), None, False),
        # unusable value, usable code: midnight of the code's day
        ("", "NW202205292395331423", bj(2022, 5, 29), DateProblem.EMPTY, True),
        ("2099-05-29 00:02:28", "NW202205292395331423", bj(2022, 5, 29), DateProblem.FUTURE, True),
        ("2022-02-30 10:00", "202205262391921712", bj(2022, 5, 26), DateProblem.IMPOSSIBLE, True),
        ("May", "202205262391921712", bj(2022, 5, 26), DateProblem.UNRECOGNISED, True),
        ("1970-01-01", "202205262391921712", bj(2022, 5, 26), DateProblem.TOO_OLD, True),
        # unusable value and no usable code date: nothing
        ("May", "NW202212312395331423", None, DateProblem.UNRECOGNISED, False),
        ("", "ABCDEF", None, DateProblem.EMPTY, False),
    ],
)
def test_resolve_published_falls_back_to_the_code(
    raw: str, code: str, expected: str | None, problem: DateProblem | None, from_code: bool
) -> None:
    result = resolve_published(raw, code, fetched_at=FETCHED)
    assert (result.value.isoformat() if result.value else None) == expected
    assert (result.problem, result.from_code) == (problem, from_code)


def test_every_corpus_date_parses_to_its_codes_day() -> None:
    data = files("newsmirror.testing").joinpath("data/articles.jsonl").read_text("utf-8")
    records = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert len(records) > 100
    for record in records:
        value = parse_published(record["showtime"])
        assert value is not None, record["showtime"]
        code_day = date_from_code(record["code"])
        assert code_day is not None and code_day.date() == value.date(), record["code"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2022, 5, 29, 0, 2, 28, tzinfo=SHANGHAI), "2022-05-29 00:02:28 +0800"),
        (datetime(2022, 5, 28, 16, 2, 28, 999999, tzinfo=UTC), "2022-05-29 00:02:28 +0800"),
        (
            datetime(2022, 5, 28, 9, 2, 28, tzinfo=timezone(timedelta(hours=-7))),
            "2022-05-29 00:02:28 +0800",
        ),
        # Asia/Shanghai had summer time in 1991; the archive is always +0800
        (datetime(1991, 7, 1, 12, 0, tzinfo=SHANGHAI), "1991-07-01 12:00:00 +0800"),
        (datetime(1991, 7, 1, 4, 0, tzinfo=UTC), "1991-07-01 12:00:00 +0800"),
    ],
)
def test_format_post_date(value: datetime, expected: str) -> None:
    assert format_post_date(value) == expected


def test_format_post_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_post_date(datetime(2022, 5, 29, 0, 2, 28))
