"""Publication dates: every form the upstream uses -> aware Asia/Shanghai datetimes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse_published(raw: str) -> datetime | None:
    """Parse a publication time; naive times are Beijing time. ``None`` if unparseable."""
    text = raw.strip()
    if not text:
        return None
    try:
        parsed = date_parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(SHANGHAI)


def format_post_date(value: datetime) -> str:
    """``2022-05-29 00:02:28 +0800``: the archive's front-matter form."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S %z")
