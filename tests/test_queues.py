"""The scheduler's memory queue: requests kept pickled and compressed, LIFO as Scrapy's."""

from __future__ import annotations

import pickle

from scrapy import FormRequest, Request
from scrapy.crawler import Crawler
from scrapy.squeues import LifoMemoryQueue
from scrapy.utils.test import get_crawler

from newsmirror.queues import PickledLifoMemoryQueue
from newsmirror.sources.eastmoney import ListEntry
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import project_settings_dict


def entry(code: str, **changes: str) -> ListEntry:
    values = {
        "code": code,
        "info_code": code,
        "list_kind": "media",
        "title": "国家知识产权局：打击非正常专利申请",
        "published_raw": "2022-05-29 00:02:28",
        "source_name": "四川新闻网",
        "digest": "",
        "original_url": "",
    }
    values.update(changes)
    return ListEntry(**values)  # type: ignore[arg-type]


def crawler_and_spider() -> tuple[Crawler, EastmoneySpider]:
    crawler = get_crawler(EastmoneySpider, project_settings_dict({"UPSTREAM_BASE": "http://h"}))
    spider = EastmoneySpider.from_crawler(crawler)
    crawler.spider = spider
    return crawler, spider


def test_the_project_uses_it() -> None:
    settings = project_settings_dict({})
    assert settings["SCHEDULER_MEMORY_QUEUE"] == "newsmirror.queues.PickledLifoMemoryQueue"


def test_requests_come_back_as_they_went_in_last_first() -> None:
    crawler, spider = crawler_and_spider()
    queue = PickledLifoMemoryQueue.from_crawler(crawler, "key/0")
    requests = [
        *spider.list_requests(),
        spider.text_request(entry("NW202205292395331423"), "media"),
        spider.text_request(
            entry("202205292395331424", list_kind="flash", digest="【标题】摘要" * 50), "flash"
        ),
    ]
    requests[-1].headers.setdefault("Referer", "http://h/web/webapi?type=102")
    requests[-1].meta["retry_times"] = 2
    for request in requests:
        queue.push(request)
    assert len(queue) == len(requests)
    assert all(isinstance(item, bytes) for item in queue._items)
    peeked = queue.peek()
    assert peeked is not None and peeked.url == requests[-1].url and len(queue) == len(requests)
    popped = []
    while (request := queue.pop()) is not None:
        popped.append(request)
    assert len(queue) == 0 and queue.peek() is None
    for back, request in zip(popped, reversed(requests), strict=True):
        assert back is not request
        assert (back.url, back.callback, back.errback, back.priority, back.dont_filter) == (
            request.url,
            request.callback,
            request.errback,
            request.priority,
            request.dont_filter,
        )
        assert back.cb_kwargs == request.cb_kwargs and back.meta == request.meta
        assert back.headers == request.headers


def test_requests_are_serialised_as_scrapy_serialises_them() -> None:
    crawler, spider = crawler_and_spider()
    queue = PickledLifoMemoryQueue.from_crawler(crawler, "key/0")
    requests = [
        *spider.list_requests(),
        spider.text_request(entry("NW202205292395331423"), "media"),
        spider.text_request(entry("NW202205292395331424"), "media"),
        FormRequest("http://h/f", formdata={"a": "b"}, callback=spider.parse_text, flags=["x"]),
        Request("http://h/n"),
    ]
    for _ in range(2):  # the first time names the callbacks, the second uses the names
        for request in requests:
            assert queue._as_dict(request) == request.to_dict(spider=spider)


def test_the_order_is_scrapys_lifo_memory_queue() -> None:
    crawler, spider = crawler_and_spider()
    ours = PickledLifoMemoryQueue.from_crawler(crawler, "key/0")
    scrapys = LifoMemoryQueue.from_crawler(crawler, "key/0")
    codes = [f"NW2022052923953314{i:02d}" for i in range(30)]
    for i, code in enumerate(codes):
        for queue in (ours, scrapys):
            queue.push(spider.text_request(entry(code), "media"))
        if i % 3 == 2:
            assert ours.pop().url == scrapys.pop().url  # type: ignore[union-attr]
    while len(scrapys):
        assert ours.pop().url == scrapys.pop().url  # type: ignore[union-attr]
    assert ours.pop() is None


def test_a_request_that_does_not_serialise_is_kept_as_it_is() -> None:
    crawler, spider = crawler_and_spider()
    queue = PickledLifoMemoryQueue.from_crawler(crawler, "key/0")
    closure = Request("http://h/a", callback=lambda response: None)  # not a spider method
    unpicklable = spider.text_request(entry("NW202205292395331423"), "media")
    unpicklable.meta["handle"] = (x for x in ())  # generators do not pickle
    fine = spider.text_request(entry("NW202205292395331424"), "media")
    for request in (closure, unpicklable, fine):
        queue.push(request)
    assert queue.pop().url == fine.url  # type: ignore[union-attr]
    assert queue.pop() is unpicklable
    assert queue.pop() is closure


def test_waiting_requests_are_small() -> None:
    """What the queue is for: a waiting text request costs a few hundred bytes, not the
    ~3 KB of a Request object with its headers, dicts and ListEntry."""
    crawler, spider = crawler_and_spider()
    queue = PickledLifoMemoryQueue.from_crawler(crawler, "key/0")
    for i in range(100):
        request = spider.text_request(entry(f"NW2022052923953{i:05d}"), "media")
        request.headers.setdefault("Referer", "http://h/web/webapi?type=45&count=100")
        queue.push(request)
        assert len(pickle.dumps(request.to_dict(spider=spider))) > 600
    sizes = [len(item) for item in queue._items[1:]]  # type: ignore[arg-type]
    assert max(sizes) < 300
