"""Telling failed requests apart in errbacks."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError


def deliberately_ignored(failure: Any) -> bool:
    """A request dropped on purpose (``IgnoreRequest``, e.g. an article already
    archived), as opposed to a failed one (``HttpError`` is an ``IgnoreRequest`` too)."""
    return bool(failure.check(IgnoreRequest)) and not failure.check(HttpError)
