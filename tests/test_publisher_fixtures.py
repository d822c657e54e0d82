"""Publishers' stored pages on the fixture server (``/publisher/<name>/…``)."""

from __future__ import annotations

import urllib.request
from urllib.error import HTTPError

import pytest

from newsmirror.testing.publisher_fixtures import publisher_reply
from newsmirror.testing.server import UpstreamServer

SERVER = "http://127.0.0.1:8765"
MIRROR = f"{SERVER}/publisher/caijingdaily"


def test_stored_pages_are_served_with_links_to_the_mirror() -> None:
    reply = publisher_reply("/publisher/caijingdaily/rss/finance.xml", SERVER)
    assert reply.status == 200
    assert reply.headers == {"Content-Type": "application/rss+xml; charset=utf-8"}
    text = reply.body.decode("utf-8")
    assert f"<link>{MIRROR}/news/2024/02/05/100231.html</link>" in text
    assert "https://www.caijingdaily.example" not in text
    assert "https://partner.example.com/wealth/2024/0206.html" in text


def test_the_gbk_page_keeps_its_bytes_and_its_charset_less_content_type() -> None:
    reply = publisher_reply("/publisher/caijingdaily/news/2024/02/06/100587.html", SERVER)
    assert reply.headers == {"Content-Type": "text/html"}
    assert b"<meta charset=gbk>" in reply.body
    assert "沪深交易所优化融券交易机制".encode("gbk") in reply.body
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")


@pytest.mark.parametrize(
    "path",
    ["/publisher/nosuch/rss.xml", "/publisher/caijingdaily/nope.html", "/publisher/eastmoney/x"],
)
def test_anything_not_stored_is_a_404(path: str) -> None:
    assert publisher_reply(path, SERVER).status == 404


def test_the_fixture_server_serves_them(upstream: UpstreamServer) -> None:
    url = f"{upstream.url}/publisher/caijingdaily/news/2024/02/08/101120.html"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode("utf-8")
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"{upstream.url}/publisher/caijingdaily/news/2024/02/08/101101.html" in body
    with pytest.raises(HTTPError) as missing:
        urllib.request.urlopen(f"{upstream.url}/publisher/caijingdaily/none.html", timeout=10)
    assert missing.value.code == 404
    missing.value.close()
