from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from newsmirror.testing.catalog import Catalog, corpus_articles
from newsmirror.testing.server import UpstreamServer


def get(server: UpstreamServer, path: str) -> tuple[int, str]:
    try:
        with urlopen(server.url + path, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_server_listens_on_loopback_only(upstream: UpstreamServer) -> None:
    assert upstream.url.startswith("http://127.0.0.1:")


def test_lists_use_each_endpoint_spelling(upstream: UpstreamServer) -> None:
    _, media = get(upstream, "/web/webapi?type=45&count=3&newsid=1")
    _, flash = get(upstream, "/web/webapi?type=102&count=3&newsid=1")
    record = json.loads(media)["nodeList"][0]
    assert {"infocode", "showtime", "from"} <= record.keys()
    assert {"id", "infoCode", "digest", "url_w"} <= json.loads(flash)["records"][0].keys()
    assert len(json.loads(flash)["records"]) == 3


def test_lists_are_newest_first(upstream: UpstreamServer) -> None:
    _, flash = get(upstream, "/web/webapi?type=102&count=500")
    times = [r["showtime"] for r in json.loads(flash)["records"]]
    assert times == sorted(times, reverse=True)


def test_synthetic_articles_fill_every_list_with_fresh_codes(upstream_factory) -> None:
    server = upstream_factory(articles=50)
    assert len(server.catalog) == len(corpus_articles()) + 50
    _, market = get(server, "/information/newmarket/web/webapi?marketType=38&count=100")
    records = json.loads(market)["record"]
    assert len(records) == 10
    assert all(r["infoCode"].startswith("NW") and r["medianame"] for r in records)
    assert all(r["datetime"][:10].replace("-", "") == r["infoCode"][2:10] for r in records)


def test_text_serves_both_keys_and_accepts_codes_with_or_without_nw(
    upstream: UpstreamServer,
) -> None:
    status, text = get(upstream, "/NewsData/GetNewsText.do?id=NW202205312398034850")
    status2, text2 = get(upstream, "/NewsData/GetNewsText.do?id=202205312398034850")
    assert status == status2 == 200
    doc = json.loads(text)
    assert doc == json.loads(text2)
    assert doc["text"] != doc["content"]  # the media article and its flash twin differ
    assert "em_media" in doc["text"]


def test_unknown_text_and_paths_are_404(upstream: UpstreamServer) -> None:
    assert get(upstream, "/NewsData/GetNewsText.do?id=NW0")[0] == 404
    assert get(upstream, "/nope")[0] == 404
    assert get(upstream, "/web/webapi?type=1")[0] == 400


def test_share_page_carries_title_time_and_source(upstream: UpstreamServer) -> None:
    status, page = get(upstream, "/html_News/NewsShare.html?infoCode=NW202205292395331423")
    assert status == 200
    assert "<h1" in page and 'datetime="2022-05-29T00:02:28+08:00"' in page
    assert "来源：四川新闻网" in page


def test_requests_are_counted_by_path(upstream: UpstreamServer) -> None:
    get(upstream, "/web/webapi?type=45&count=1")
    get(upstream, "/web/webapi?type=45&count=1")
    assert upstream.hits["/web/webapi"] == 2


def test_catalog_refuses_duplicate_codes() -> None:
    article = corpus_articles()[0]
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([article, article])


def test_hits_endpoint_reports_the_counts_without_counting_itself(
    upstream: UpstreamServer,
) -> None:
    get(upstream, "/web/webapi?type=45&count=1")
    get(upstream, "/NewsData/GetNewsText.do?id=NW0")
    status, text = get(upstream, "/_fixture/hits")
    assert status == 200
    assert json.loads(text) == {"hits": {"/web/webapi": 1, "/NewsData/GetNewsText.do": 1}}
    assert json.loads(get(upstream, "/_fixture/hits")[1]) == json.loads(text)


def test_newer_articles_come_first_and_leave_the_rest_unchanged() -> None:
    before, after = Catalog.build(50), Catalog.build(50, newer=10)
    assert len(after) == len(before) + 10
    assert before.by_code.items() <= after.by_code.items()
    for name, articles in after.lists.items():
        fresh = [a for a in articles if a.code not in before.by_code]
        assert len(fresh) == 2
        assert articles[: len(fresh)] == fresh  # newer than everything else
        assert articles[len(fresh) :] == before.lists[name]
