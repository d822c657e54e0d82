"""A fixture upstream: every endpoint of ``upstream-api.md`` on 127.0.0.1.

Serves the bundled corpus articles and, on request, synthetic clones. Used by the
tests (``UpstreamServer`` as a context manager), by ``newsmirror demo`` and from the
command line::

    python -m newsmirror.testing.server --articles 500 --port 8080
    python -m newsmirror.testing.server --articles 500 --latency 0.1
    python -m newsmirror.testing.server --error-rate 0.1 --gbk-rate 0.2 --seed 7

It can misbehave on purpose, deterministically (see :mod:`newsmirror.testing.faults`
and ``docs/fixture-upstream.md``): error statuses with ``Retry-After``, slow answers,
dropped connections, truncated bodies, invalid JSON, HTML error pages with status 200,
GBK/GB18030 bodies, empty documents, oversized texts, duplicate codes across lists,
and codes or lists that fail for good. Without a fault plan it answers exactly as
the spec says, with no extra work per request.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from newsmirror.testing.catalog import LIST_NAMES, Catalog, UpstreamArticle
from newsmirror.testing.faults import (
    PERMANENT_STATUS,
    RETRY_AFTER_STATUSES,
    TRANSIENT,
    Faults,
)
from newsmirror.testing.publisher_fixtures import PREFIX as PUBLISHER_PREFIX
from newsmirror.testing.publisher_fixtures import serve_publisher

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"

LIST_PATH = "/web/webapi"
MARKET_PATH = "/information/newmarket/web/webapi"
TEXT_PATH = "/NewsData/GetNewsText.do"
SHARE_PATH = "/html_News/NewsShare.html"
#: The fixture's own counter of requests served by path (``{"hits": {path: n}}``), for
#: benchmarks in another process; not counted itself, never delayed or faulty.
HITS_PATH = "/_fixture/hits"
#: ``type=`` of the list endpoint -> (list name, record container).
LIST_TYPES = {"45": ("media", "nodeList"), "102": ("flash", "records")}
#: Lists that may carry each other's records (flash codes are spelt differently).
DUPLICABLE_LISTS = tuple(name for name in LIST_NAMES if name != "flash")

STATUS_TEXT = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
#: What a misconfigured gateway answers with status 200.
HTML_ERROR_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>502 Bad Gateway</title>'
    "</head><body><h1>502 Bad Gateway</h1><hr><p>nginx</p></body></html>"
)
UTF8_META = '<meta charset="utf-8">'


def share_page(article: UpstreamArticle) -> str:
    """The human-facing ``NewsShare.html`` page of an article."""
    title = html.escape(article.title)
    source = html.escape(article.source)
    iso = article.showtime.replace(" ", "T") + "+08:00"
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head>{UTF8_META}'
        f"<title>{title}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{iso}">'
        '</head><body><div class="newsContent">'
        f'<h1 class="title">{title}</h1>'
        f'<div class="info"><time datetime="{iso}">{html.escape(article.showtime)}</time>'
        f'<span class="source">来源：{source}</span></div>'
        f'<div class="body" id="ContentBody">{article.body}</div>'
        "</div></body></html>"
    )


@dataclass
class Reply:
    """An answer before it is encoded: a JSON document or an HTML page."""

    status: int
    document: Any
    html: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        if self.html:
            return str(self.document)
        return json.dumps(self.document, ensure_ascii=False)

    def encode(self, *, gbk: bool = False, declared: bool = True) -> tuple[bytes, str]:
        """``(body, Content-Type)``; GBK (GB18030 when GBK cannot hold the text)."""
        kind = "text/html" if self.html else "application/json"
        text = self.text()
        if not gbk:
            return text.encode("utf-8"), f"{kind}; charset=utf-8"
        try:
            body, label = text.encode("gbk"), "GBK"
        except UnicodeEncodeError:
            body, label = text.encode("gb18030"), "GB18030"
        if self.html:
            body = body.replace(UTF8_META.encode(), f'<meta charset="{label}">'.encode())
        return body, f"{kind}; charset={label}" if declared else kind


def error_reply(status: int, retry_after: int) -> Reply:
    """An HTML error page; 429 and 503 say when to come back."""
    title = f"{status} {STATUS_TEXT.get(status, 'Error')}"
    headers = {"Retry-After": str(retry_after)} if status in RETRY_AFTER_STATUSES else {}
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return Reply(status, page, html=True, headers=headers)


def empty_reply(reply: Reply, variant: int) -> Reply:
    """The same answer with its fields missing (variant 0) or empty (variant 1)."""
    if reply.html:
        return replace(reply, document="<html><body></body></html>")
    if variant == 0 or not isinstance(reply.document, dict):
        return replace(reply, document={})
    return replace(reply, document={k: type(v)() for k, v in reply.document.items()})


def break_json(body: bytes, variant: int) -> bytes:
    """A JSON body made invalid: JSONP-wrapped (variant 0) or cut in half (variant 1)."""
    if variant == 0:
        return b"jQuery1124_1654(" + body + b");"
    return body[: len(body) // 2]


def oversized_text(document: dict[str, str], size: int) -> dict[str, str]:
    """A text document padded to about ``size`` bytes of UTF-8 JSON (every field
    grows by the same amount)."""
    missing = size - len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    filler = "<p>" + "填" * max(0, missing // (3 * max(len(document), 1))) + "</p>"
    return {key: value + filler for key, value in document.items()}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle's algorithm
    # the body waited for the client's delayed ACK, ~40 ms on every keep-alive answer,
    # which capped a crawl at ~170 answers/s (real servers set it too).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == HITS_PATH:
            self.send_reply(Reply(200, {"hits": dict(self.server.hits)}))
            return
        route = self.server.routes.get(parts.path)
        self.server.count(parts.path)
        if self.server.latency:
            time.sleep(self.server.latency)
        if route is None and parts.path.startswith(PUBLISHER_PREFIX):
            serve_publisher(self, self.server.server_address[1])  # stored publisher pages
            return
        if route is None:
            self.send_reply(Reply(404, {"error": "not found"}))
        elif not self.server.faulty:
            self.send_reply(route(self, query))
        else:
            self.send_faulty(parts.path, query, route)

    # -- responses -------------------------------------------------------------------
    def send_body(
        self,
        body: bytes,
        content_type: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        length: int | None = None,
    ) -> None:
        """Send an answer; a ``length`` above ``len(body)`` cuts the connection short."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        if length is not None and length > len(body):
            self.wfile.flush()
            self.close_connection = True

    def send_reply(self, reply: Reply, *, gbk: bool = False, declared: bool = True) -> None:
        body, content_type = reply.encode(gbk=gbk, declared=declared)
        self.send_body(body, content_type, reply.status, reply.headers)

    def send_faulty(self, path: str, query: dict[str, str], route: _Route) -> None:
        """Answer as the fault plan says for this URL and attempt."""
        faults = self.server.faults
        key = f"{path}?{urlencode(sorted(query.items()))}"
        attempt = self.server.attempt(key)
        list_name = _list_name(path, query)
        text_id = query.get("id", "") if path == TEXT_PATH else ""
        if (list_name and faults.list_fails(list_name)) or (
            text_id and faults.fails_permanently(text_id)
        ):
            self.server.note("permanent")
            self.send_reply(error_reply(PERMANENT_STATUS, faults.retry_after))
            return
        fault = faults.transient(key, attempt)
        if fault is not None:
            self.server.note(fault)
        variant = faults.variant(key, 2)
        if fault == "error":
            self.send_reply(error_reply(faults.error_status(key), faults.retry_after))
            return
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(faults.slow_delay)
        if fault == "html":
            self.send_reply(Reply(200, HTML_ERROR_PAGE, html=True))
            return
        reply = route(self, query)
        if text_id and reply.status == 200 and faults.is_oversized(text_id):
            reply = replace(reply, document=oversized_text(reply.document, faults.oversize_bytes))
        if fault == "empty" and reply.status == 200:
            reply = empty_reply(reply, variant)
        gbk, declared = faults.encoding(key)
        if gbk:
            self.server.note("gbk")
        body, content_type = reply.encode(gbk=gbk, declared=declared)
        if fault == "invalid_json" and not reply.html:
            body = break_json(body, variant)
        if fault == "truncate":
            cut = body[: len(body) // 2]
            length = len(body) if variant == 0 else len(cut)
            self.send_body(cut, content_type, reply.status, reply.headers, length=length)
            return
        self.send_body(body, content_type, reply.status, reply.headers)

    # -- endpoints -------------------------------------------------------------------
    def news_list(self, query: dict[str, str]) -> Reply:
        kind = LIST_TYPES.get(query.get("type", ""))
        if kind is None:
            return Reply(400, {"error": "unknown type"})
        return Reply(200, {kind[1]: self.server.records(kind[0], _count(query))})

    def market_list(self, query: dict[str, str]) -> Reply:
        name = f"market{query.get('marketType', '')}"
        if name not in self.server.catalog.lists:
            return Reply(400, {"error": "unknown marketType"})
        return Reply(200, {"record": self.server.records(name, _count(query))})

    def news_text(self, query: dict[str, str]) -> Reply:
        document = self.server.catalog.text_for(query.get("id", ""))
        if document is None:
            return Reply(404, {"error": "no such article"})
        return Reply(200, document)

    def news_share(self, query: dict[str, str]) -> Reply:
        code = query.get("infoCode", "")
        article = self.server.catalog.by_code.get(code) or self.server.catalog.by_code.get(
            code.removeprefix("NW")
        )
        if article is None:
            return Reply(404, "<html><body>not found</body></html>", html=True)
        return Reply(200, share_page(article), html=True)


_Route = Callable[[_Handler, dict[str, str]], Reply]


def _count(query: dict[str, str]) -> int:
    try:
        return max(0, int(query.get("count", "20")))
    except ValueError:
        return 20


def _list_name(path: str, query: dict[str, str]) -> str | None:
    """Which list a request asks for (``None`` for the text and share endpoints)."""
    if path == LIST_PATH:
        kind = LIST_TYPES.get(query.get("type", ""))
        return kind[0] if kind else None
    if path == MARKET_PATH:
        return f"market{query.get('marketType', '')}"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], catalog: Catalog, faults: Faults, latency: float
    ) -> None:
        super().__init__(address, _Handler)
        self.catalog = catalog
        self.faults = faults
        #: Whether any answer differs from the spec's (else the plain, fast path).
        self.faulty = faults.active
        self.latency = latency
        self.hits: Counter[str] = Counter()
        #: Faults served so far, by name (``permanent`` for codes and lists that fail,
        #: ``gbk`` for GBK-encoded answers).
        self.injected: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.routes: dict[str, _Route] = {
            LIST_PATH: _Handler.news_list,
            MARKET_PATH: _Handler.market_list,
            TEXT_PATH: _Handler.news_text,
            SHARE_PATH: _Handler.news_share,
        }

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def note(self, fault: str) -> None:
        """Count one injected fault."""
        with self._lock:
            self.injected[fault] += 1

    def attempt(self, key: str) -> int:
        """Count one more request for URL ``key``; return its number (1-based)."""
        with self._lock:
            self._attempts[key] += 1
            return self._attempts[key]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) is not an error of the server."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("client %s went away", client_address)
            return
        super().handle_error(request, client_address)

    def records(self, list_name: str, count: int) -> list[dict[str, Any]]:
        articles = self.catalog.listed(list_name, count)
        if self.faults.duplicates and list_name in DUPLICABLE_LISTS:
            articles = sorted(
                [*self.catalog.lists[list_name], *self._duplicates_for(list_name)],
                key=lambda a: a.showtime,
                reverse=True,
            )[: max(count, 0)]
            return [replace(a, kind=list_name).list_record() for a in articles]
        return [a.list_record() for a in articles]

    def _duplicates_for(self, list_name: str) -> list[UpstreamArticle]:
        """Articles of the other media/market lists that this list also carries."""
        return [
            article
            for other in DUPLICABLE_LISTS
            if other != list_name
            for article in self.catalog.lists[other]
            if self.faults.duplicate_target(article.code, other, DUPLICABLE_LISTS) == list_name
        ]


class UpstreamServer:
    """The fixture upstream in a background thread; ``with UpstreamServer(...) as s:``.

    ``faults`` makes it misbehave (deterministically, see :class:`Faults`); ``latency``
    holds every answer back that many seconds; ``newer`` adds that many synthetic
    articles published after all the others (the same upstream, later).
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        articles: int = 0,
        port: int = 0,
        faults: Faults | None = None,
        latency: float = 0.0,
        newer: int = 0,
    ) -> None:
        self.catalog = catalog if catalog is not None else Catalog.build(articles, newer=newer)
        self.faults = faults if faults is not None else Faults()
        self._server = _Server((LOOPBACK, port), self.catalog, self.faults, max(0.0, latency))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The value for ``UPSTREAM_BASE``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def hits(self) -> Counter[str]:
        """Requests served so far, by path."""
        return self._server.hits

    @property
    def injected(self) -> Counter[str]:
        """Faults served so far, by name."""
        return self._server.injected

    def unservable_codes(self) -> dict[str, str]:
        """Archive codes whose text this server never serves usable, with the reason."""
        return self.faults.unservable({a.code: a.info_code for a in self.catalog.by_code.values()})

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` (or an interrupt)."""
        self._server.serve_forever()

    def start(self) -> UpstreamServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="upstream-fixture", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> UpstreamServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _names(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=0, help="synthetic articles to add")
    parser.add_argument(
        "--new-articles",
        type=int,
        default=0,
        help="synthetic articles published after all the others (the same upstream, later)",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds every answer is held back"
    )
    group = parser.add_argument_group(
        "faults", "rates are fractions (0-1) of URLs; the same seed gives the same faults"
    )
    group.add_argument("--seed", type=int, default=0)
    rates = {
        "error": ("--error-rate", "500, 503 or 429 answers (503/429 with Retry-After)"),
        "slow": ("--slow-rate", "answers held back --slow-delay seconds"),
        "drop": ("--drop-rate", "connections closed without an answer"),
        "truncate": ("--truncate-rate", "bodies cut in half"),
        "invalid_json": ("--invalid-json-rate", "200 answers that are not JSON"),
        "html": ("--html-rate", "HTML error pages with status 200"),
        "empty": ("--empty-rate", "documents with empty or missing fields"),
        "gbk": ("--gbk-rate", "GBK/GB18030 answers, half without a charset header"),
        "oversize": ("--oversize-rate", "codes whose text is --oversize-bytes long"),
        "duplicates": ("--duplicate-rate", "media/market records listed in a second list too"),
        "fail_rate": ("--fail-rate", "codes whose text fails permanently"),
    }
    for name, (flag, text) in rates.items():
        group.add_argument(flag, dest=name, type=float, default=0.0, help=text)
    group.add_argument(
        "--fault-attempts",
        dest="attempts",
        type=int,
        default=1,
        help="a faulty URL fails this many first requests, then succeeds (default: 1)",
    )
    group.add_argument("--slow-delay", type=float, default=2.0, help="seconds (default: 2)")
    group.add_argument("--retry-after", type=int, default=1, help="seconds (default: 1)")
    group.add_argument("--oversize-bytes", type=int, default=4 * 1024 * 1024)
    group.add_argument(
        "--fail-codes", type=_names, default=frozenset(), help="codes whose text always fails"
    )
    group.add_argument(
        "--fail-lists", type=_names, default=frozenset(), help="lists that always fail"
    )
    return parser


def faults_from_args(args: argparse.Namespace) -> Faults:
    """The fault plan the command-line flags describe."""
    names = (
        *TRANSIENT,
        "gbk",
        "oversize",
        "duplicates",
        "fail_rate",
        "fail_codes",
        "fail_lists",
        "attempts",
        "slow_delay",
        "retry_after",
        "oversize_bytes",
        "seed",
    )
    return Faults(**{name: getattr(args, name) for name in names})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = faults_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = UpstreamServer(
        articles=args.articles,
        port=args.port,
        faults=faults,
        latency=args.latency,
        newer=args.new_articles,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"UPSTREAM_BASE={server.url}  ({len(server.catalog)} articles)", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
