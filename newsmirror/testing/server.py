"""A fixture upstream: every endpoint of ``upstream-api.md`` on 127.0.0.1.

Serves the bundled corpus articles and, on request, synthetic clones. Used by the
tests (``UpstreamServer`` as a context manager), by ``newsmirror demo`` and from the
command line::

    python -m newsmirror.testing.server --articles 500 --port 8080
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from newsmirror.testing.catalog import Catalog, UpstreamArticle

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def share_page(article: UpstreamArticle) -> str:
    """The human-facing ``NewsShare.html`` page of an article."""
    title = html.escape(article.title)
    source = html.escape(article.source)
    iso = article.showtime.replace(" ", "T") + "+08:00"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
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


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        route = self.server.routes.get(parts.path)
        self.server.count(parts.path)
        if route is None:
            self.send_json({"error": "not found"}, status=404)
            return
        route(self, query)

    # -- responses -------------------------------------------------------------------
    def send_body(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, payload: Any, status: int = 200) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_body(body, "application/json; charset=utf-8", status)

    # -- endpoints -------------------------------------------------------------------
    def news_list(self, query: dict[str, str]) -> None:
        kinds = {"45": ("media", "nodeList"), "102": ("flash", "records")}
        kind = kinds.get(query.get("type", ""))
        if kind is None:
            self.send_json({"error": "unknown type"}, status=400)
            return
        self.send_json({kind[1]: self.server.records(kind[0], _count(query))})

    def market_list(self, query: dict[str, str]) -> None:
        name = f"market{query.get('marketType', '')}"
        if name not in self.server.catalog.lists:
            self.send_json({"error": "unknown marketType"}, status=400)
            return
        self.send_json({"record": self.server.records(name, _count(query))})

    def news_text(self, query: dict[str, str]) -> None:
        document = self.server.catalog.text_for(query.get("id", ""))
        if document is None:
            self.send_json({"error": "no such article"}, status=404)
            return
        self.send_json(document)

    def news_share(self, query: dict[str, str]) -> None:
        code = query.get("infoCode", "")
        article = self.server.catalog.by_code.get(code) or self.server.catalog.by_code.get(
            code.removeprefix("NW")
        )
        if article is None:
            self.send_body(b"<html><body>not found</body></html>", "text/html", status=404)
            return
        self.send_body(share_page(article).encode("utf-8"), "text/html; charset=utf-8")


def _count(query: dict[str, str]) -> int:
    try:
        return max(0, int(query.get("count", "20")))
    except ValueError:
        return 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], catalog: Catalog) -> None:
        super().__init__(address, _Handler)
        self.catalog = catalog
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.routes: dict[str, Callable[[_Handler, dict[str, str]], None]] = {
            "/web/webapi": _Handler.news_list,
            "/information/newmarket/web/webapi": _Handler.market_list,
            "/NewsData/GetNewsText.do": _Handler.news_text,
            "/html_News/NewsShare.html": _Handler.news_share,
        }

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def records(self, list_name: str, count: int) -> list[dict[str, Any]]:
        return [a.list_record() for a in self.catalog.listed(list_name, count)]


class UpstreamServer:
    """The fixture upstream in a background thread; ``with UpstreamServer(...) as s:``."""

    def __init__(self, catalog: Catalog | None = None, *, articles: int = 0, port: int = 0) -> None:
        self.catalog = catalog if catalog is not None else Catalog.build(articles)
        self._server = _Server((LOOPBACK, port), self.catalog)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=0, help="synthetic articles to add")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args(argv)
    server = UpstreamServer(articles=args.articles, port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"UPSTREAM_BASE={server.url}  ({len(server.catalog)} articles)", flush=True)
    try:
        server._server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
