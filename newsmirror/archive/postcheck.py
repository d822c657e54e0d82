"""Check one post file: its name, front matter, dates and body (pure: text in, problems out).

The rules are docs/archive-format.md's; the problem kinds are
:mod:`newsmirror.archive.problems`. The reading helpers here (:func:`read_date`,
:func:`title_problem`, :func:`back_link_problems`) are also what
:mod:`newsmirror.archive.postfix` uses to decide what to change, so the two always
agree on what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import yaml

from newsmirror.archive.consistency import Problem
from newsmirror.archive.frontmatter import yaml_quoted
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.archive.postfile import (
    NoFrontMatter,
    PostFile,
    load_front_matter,
    raw_title,
    split_post,
    tolerant_front_matter,
)
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.normalize.html_check import find_unsafe_markup
from newsmirror.normalize.html_quick import plainly_clean
from newsmirror.normalize.liquid import has_liquid_markup

REQUIRED_KEYS = ("layout", "title", "date", "categories", "tags")
#: The old generator's date-less name (an empty date made ``-<code>.md``).
DATELESS_NAME_RE = re.compile(r"-(?P<code>[A-Za-z0-9]+)\.md")
_CANONICAL_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \+0800")
_EMPTY_DATES = ("", "+0800")
_OTHER_DATE_FORMS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M %z")
_LIQUID_MESSAGE = "unsafe: Liquid"
#: A Markdown link's target: ``](…)``, but not the ``\](`` of escaped link text.
_BACK_LINK_URL = re.compile(r"(?<!\\)\]\((?P<url>[^)]*)\)")


@dataclass(frozen=True)
class DateReading:
    """What a front-matter ``date`` says: the problem kind ("" when well formed) and
    the time it stands for (``None`` when it cannot be read)."""

    problem: str
    value: datetime | None
    detail: str = ""


@dataclass
class PostInfo:
    """One post file as the check saw it."""

    file: str
    #: The code its name gives ("" when the name gives none).
    code: str = ""
    #: Front-matter ``categories`` and the first ``tags`` value, when readable.
    category: str | None = None
    tag: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, detail: str = "") -> None:
        self.problems.append(Problem(kind, self.file, detail))

    @property
    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}


def name_parts(file: str) -> tuple[str, str, str]:
    """``(kind, code, day)`` from a post's path: kind "" for a good name,
    ``name-no-date`` for the old ``-<code>.md``, ``file-name`` otherwise."""
    name = file.rsplit("/", 1)[-1]
    match = POST_NAME_RE.fullmatch(name)
    if match is not None:
        code, day = match["code"], match["date"]
        try:
            date.fromisoformat(day)
        except ValueError:
            return "file-name", code, ""
        return ("" if is_valid_code(code) else "file-name"), code, day
    dateless = DATELESS_NAME_RE.fullmatch(name)
    if dateless is not None and is_valid_code(dateless["code"]):
        return "name-no-date", dateless["code"], ""
    return "file-name", "", ""


def read_date(value: Any) -> DateReading:
    """Read a front-matter ``date`` (as YAML gives it) the way the archive writes it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return DateReading("date-no-zone", value.replace(tzinfo=SHANGHAI))
        return DateReading("date-format", value.astimezone(SHANGHAI), "not in +0800")
    if isinstance(value, date):
        at = datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
        return DateReading("date-format", at, "no time of day")
    if value is None or (isinstance(value, str) and value.strip() in _EMPTY_DATES):
        return DateReading("date-empty", None)
    if not isinstance(value, str):
        return DateReading("date-format", None, f"not a date: {value!r}"[:100])
    text = value.strip()
    canonical = _CANONICAL_DATE.fullmatch(text)
    if canonical is not None:
        try:
            year, month, day, hour, minute, second = (int(part) for part in canonical.groups())
            at = datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
            return DateReading("", at)
        except ValueError:
            return DateReading("date-format", None, f"not a real time: {text!r}")
    for form in _OTHER_DATE_FORMS:
        try:
            parsed = datetime.strptime(text, form).astimezone(SHANGHAI)
        except ValueError:
            continue
        return DateReading("date-format", parsed, f"{text!r}")
    return DateReading("date-format", None, f"unreadable: {text!r}"[:100])


def title_problem(post: PostFile, meta: dict[str, Any]) -> tuple[str, str]:
    """``(kind, the title's text)``: kind ``title-escaping`` when the title line does
    not read back as the text a reader sees between its quotes (the old generator's
    unescaped titles; the raw text is then the title), ``title-empty``, or ""."""
    line_value = post.meta_value("title")
    value = meta.get("title")
    if line_value is None:
        return "", "" if value is None else str(value)
    raw = raw_title(line_value)
    quoted = raw != line_value
    if isinstance(value, str) and (value == raw or line_value == yaml_quoted(value)):
        text = value
    elif quoted or not isinstance(value, str):
        return "title-escaping", raw
    else:
        text = value  # a plain or single-quoted scalar that reads back as itself
    return ("title-empty" if not text.strip() else ""), text


def back_link_problems(back_links: str, site_host: str) -> list[tuple[str, str]]:
    """``(kind, url)`` for each back-link that is relative or on another host than
    ``site_host``. Absolute links to the site's host are accepted whatever their path
    (the old ``/emnews/`` included: see docs/operations.md)."""
    found = []
    for match in _BACK_LINK_URL.finditer(back_links):
        url = match["url"].strip()
        if url.startswith("//") or url.lower().startswith(("http://", "https://")):
            host = urlsplit(url if not url.startswith("//") else "http:" + url).hostname
            if (host or "") != site_host.lower():
                found.append(("backlink-old-host", url))
        else:
            found.append(("backlink-relative", url))
    return found


def inspect_post(
    file: str, text: str, *, site_host: str, meta: dict[str, Any] | None = None
) -> PostInfo:
    """Every problem of the post at ``file`` (relative path) whose text is ``text``;
    ``meta`` is its front matter when the caller has read it already."""
    kind, code, day = name_parts(file)
    info = PostInfo(file, code)
    if kind:
        info.add(kind)
    try:
        post = split_post(text)
    except NoFrontMatter as exc:
        info.add("front-matter-missing", str(exc))
        return info
    if post.lead:
        info.add("front-matter-not-at-start", f"{len(post.lead)} character(s) before '---'")
    if meta is None or post.lead:
        meta = _front_matter(post, info)
    _check_meta(post, meta, info, day)
    _check_body(post, info, site_host)
    return info


def _front_matter(post: PostFile, info: PostInfo) -> dict[str, Any]:
    try:
        return load_front_matter(post)
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).strip().split("\n", 1)[0]
        info.add("front-matter-yaml", first[:200])
        return tolerant_front_matter(post)


def _check_meta(post: PostFile, meta: dict[str, Any], info: PostInfo, day: str) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        info.add("missing-key", ", ".join(missing))
    category = meta.get("categories")
    if isinstance(category, list):
        category = category[0] if category else None
    info.category = None if category is None else str(category)
    tags = meta.get("tags")
    if isinstance(tags, list):
        tags = tags[0] if tags else None
    info.tag = None if tags is None else str(tags)
    if "title" in meta:
        kind, _ = title_problem(post, meta)
        if kind:
            info.add(kind)
    if "date" in meta:
        reading = read_date(meta["date"])
        if reading.problem:
            info.add(reading.problem, reading.detail)
        if reading.value is not None and day:
            dated = f"{reading.value.astimezone(SHANGHAI):%Y-%m-%d}"
            if dated != day:
                info.add("date-name-mismatch", f"dated {dated}")


def _check_body(post: PostFile, info: PostInfo, site_host: str) -> None:
    if post.link.strip() == "<>":
        info.add("empty-link")
    html = post.html
    if "<" in html and not plainly_clean(html):  # the cleaner's markup needs no parse
        unsafe: list[str] = []
        injected: list[str] = []
        for message in find_unsafe_markup(html):
            if message.startswith(_LIQUID_MESSAGE):
                continue
            (injected if message.startswith("injected:") else unsafe).append(message)
        if unsafe:
            info.add("body-unsafe", "; ".join(unsafe)[:300])
        if injected:
            info.add("body-injected", "; ".join(injected)[:300])
    if has_liquid_markup("\n\n".join(post.blocks)):
        info.add("body-liquid")
    links: dict[str, list[str]] = {}
    for kind, url in back_link_problems(post.back_links, site_host):
        links.setdefault(kind, []).append(url)
    for kind, urls in links.items():
        info.add(kind, ", ".join(urls)[:300])
    if post.trail:
        info.add("trailing-newline")
