"""The scheduler's memory queue, holding each waiting request as a few hundred bytes.

A list answer names every article on it at once, so the scheduler holds one text
request per listed article until it is downloaded: 20,000 of them in a full crawl of
long lists. As objects, a waiting ``scrapy.Request`` costs about 3 KB (the request,
its ``Headers`` with the ``Referer`` the referer middleware sets, its meta and
``cb_kwargs`` dicts, the ``ListEntry`` with its strings, and the entries Scrapy keeps
per live request in ``trackref``'s and ``urlparse_cached``'s weak dictionaries).

:class:`PickledLifoMemoryQueue` is Scrapy's ``LifoMemoryQueue`` (same order; the
scheduler still counts it as its memory queue) keeping each request as the JOBDIR
disk queues do, pickled ``Request.to_dict()`` (0.8–1.2 KB), compressed with the
queue's first request as zlib's preset dictionary, so what the requests have in
common (keys, callbacks, URL prefixes, the referer) costs nothing: 150–300 bytes for
a media or market text request, small enough for Python's small-object allocator,
whose memory the growing index reuses once the queue empties. The objects are made
again when the request is handed to the downloader (~40 µs per request in all).
A request that cannot be serialised (a callback that is not a method of the spider,
as in ``scrapy check`` contracts, or meta that does not pickle) is kept as it is.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.request import request_from_dict


class PickledLifoMemoryQueue:
    """LIFO queue of requests, each kept pickled (``SCHEDULER_MEMORY_QUEUE``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._items: list[bytes | Request] = []
        #: The first request pushed, pickled: the preset dictionary of the others'
        #: compression (what requests of a crawl have in common costs them nothing).
        self._zdict = b""
        #: Spider method names of the callbacks and errbacks serialised so far.
        self._names: dict[object, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        return cls(crawler)

    def push(self, request: Request) -> None:
        try:
            data = pickle.dumps(self._as_dict(request), protocol=5)
        except Exception:  # whatever does not serialise is kept as it is
            self._items.append(request)
        else:
            if not self._zdict:
                self._zdict = data
            packer = zlib.compressobj(1, zdict=self._zdict)
            self._items.append(packer.compress(data) + packer.flush())

    def pop(self) -> Request | None:
        return self._load(self._items.pop()) if self._items else None

    def peek(self) -> Request | None:
        return self._load(self._items[-1]) if self._items else None

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._items)

    def _as_dict(self, request: Request) -> dict[str, Any]:
        """``request.to_dict(spider=…)``, naming the callback and errback from what
        earlier requests had (``to_dict`` searches all of the spider's members for them,
        40 µs a request)."""
        callback, errback = _function(request.callback), _function(request.errback)
        if callback not in self._names or errback not in self._names:
            data = request.to_dict(spider=self.crawler.spider)
            self._names[callback] = data["callback"]
            self._names[errback] = data["errback"]
            return data
        data = {
            "url": request.url,
            "callback": self._names[callback],
            "errback": self._names[errback],
            "headers": dict(request.headers),
        }
        for attr in request.attributes:
            data.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return data

    def _load(self, item: bytes | Request) -> Request:
        if isinstance(item, Request):
            return item
        unpacker = zlib.decompressobj(zdict=self._zdict)
        data = unpacker.decompress(item) + unpacker.flush()
        return request_from_dict(pickle.loads(data), spider=self.crawler.spider)


def _function(callback: Any) -> object:
    """What names a callback: the function of a method (a bound method is made anew
    each time it is read from the spider), else the callable itself."""
    return getattr(callback, "__func__", callback)
