"""Distributed runs: several crawler processes on one frontier, in Redis.

With ``REDIS_URL`` set, ``scrapy crawl <spider>`` is one *worker* of a distributed run;
the same command on every worker (and machine). Without it nothing here is loaded,
and ``redis`` is never imported.

- :mod:`~newsmirror.distributed.addon` switches a crawl to Redis mode when it starts:
  scrapy-redis's queue and duplicate filter (persistent), and the components below.
- :mod:`~newsmirror.distributed.run` is the Redis side: the run, its workers and their
  leases, the claims on codes, the seed, the idle and sweep decisions (Lua scripts:
  each decision is atomic).
- :mod:`~newsmirror.distributed.scheduler`: scrapy-redis's scheduler, adapted to
  Scrapy 2.19, that claims a code before handing out its request.
- :mod:`~newsmirror.distributed.components`: the extension that joins the run, keeps
  the lease and decides when to stop; the spider middlewares that seed the run and
  keep a claimed code's follow-up requests with the worker holding it; the run-wide
  summary.
- :mod:`~newsmirror.distributed.session`: the archive shared by the workers
  (``newsmirror.archive.shared``), its "already archived" check and the claim before
  each write.
- :mod:`~newsmirror.distributed.seed`: ``newsmirror seed``, to seed a run by hand.

The README's "Distributed runs" section is the operator's guide.
"""
