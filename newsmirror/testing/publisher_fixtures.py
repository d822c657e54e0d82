"""Publishers' stored pages, served by the fixture server under ``/publisher/<name>/``.

``GET /publisher/caijingdaily/rss/finance.xml`` answers with the file stored for
``https://www.caijingdaily.example/rss/finance.xml`` in that publisher's fixture folder
(``newsmirror/testing/data/sources/caijingdaily/``), with its stored status and
headers (so a GBK page served as plain ``text/html`` must be decoded from its
``<meta charset>``, as a crawler must). Absolute links to the real site inside the
stored bytes are rewritten to the fixture server, so a crawl that starts there stays
there (``PUBLISHER_BASE=<server URL>``). Bytes are rewritten as bytes: the real base
is ASCII, which every encoding the fixtures use (UTF-8, GBK) keeps as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from newsmirror.testing.source_fixtures import FixtureError, cached_fixture, fixture_names

#: Path prefix of the publishers' pages on the fixture server.
PREFIX = "/publisher/"


@dataclass(frozen=True)
class PublisherReply:
    """What the fixture server sends back."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def publisher_reply(path_and_query: str, server_url: str) -> PublisherReply:
    """The answer to ``GET /publisher/<name>/<path>`` on the server at ``server_url``."""
    name, _, rest = path_and_query.removeprefix(PREFIX).partition("/")
    name = unquote(name)
    if name not in fixture_names():
        return _not_found(f"no stored publisher {name!r}")
    try:
        fixture = cached_fixture(name)
    except FixtureError as exc:
        return _not_found(str(exc))
    if not fixture.base:
        return _not_found(f'{name} has no stored site (no "base" in its fixture)')
    stored = fixture.responses.get(f"{fixture.base}/{rest}")
    if stored is None:
        return _not_found(f"nothing stored for {fixture.base}/{rest}")
    mirror = f"{server_url.rstrip('/')}{PREFIX}{name}"
    body = fixture.body(stored).replace(fixture.base.encode("ascii"), mirror.encode("ascii"))
    return PublisherReply(stored.status, body, dict(stored.headers))


def _not_found(why: str) -> PublisherReply:
    return PublisherReply(
        404, f"not found: {why}\n".encode(), {"Content-Type": "text/plain; charset=utf-8"}
    )


def serve_publisher(handler: Any, port: int) -> None:
    """Answer the fixture server's current request (a ``/publisher/…`` path) through
    its handler's ``send_body``."""
    reply = publisher_reply(handler.path, f"http://127.0.0.1:{port}")
    headers = dict(reply.headers)
    content_type = headers.pop("Content-Type", "application/octet-stream")
    handler.send_body(reply.body, content_type, reply.status, headers)
