"""How long ``newsmirror check`` takes on a large archive (the target: 20,000 posts in
at most 10 s).

Builds an archive of ``--posts`` posts written by newsmirror's own writer (bodies,
digests, titles and sources of the bundled corpus, one code and date each, a quarter
rotated into ``old_post/``; every post has article HTML), once, into ``--out``, then
times ``check`` on it::

    python benchmarks/check_archive.py --posts 20000 --out /tmp/check-20k

It prints one JSON line: ``{"posts": …, "seconds": …, "problems": …}``. Timing is
here, never in the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from newsmirror.archive.check import check_archive
from newsmirror.archive.paths import POSTS_DIR
from newsmirror.archive.post import PostContent
from newsmirror.archive.rotation import rotate
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.normalize.html import clean_body
from newsmirror.normalize.slugs import category_slug, category_title
from newsmirror.testing.catalog import corpus_articles

SITE = "//finews.withounder.com"
START = datetime(2022, 1, 1, tzinfo=SHANGHAI)


def build(root: Path, count: int) -> None:
    """Write ``count`` posts into ``root`` through the archive store, then rotate."""
    corpus = corpus_articles()
    # Every post gets article HTML (the 2021 flash records have none), so every body
    # goes through the HTML check, as in an archive newsmirror wrote.
    html = [clean_body(a.body) for a in corpus if a.body]
    with ArchiveState.open(root, fsync=False) as state:
        store = ArchiveStore(ArchiveWriter(root, SITE, fsync=False), state)
        for n in range(count):
            article = corpus[n % len(corpus)]
            published = START + timedelta(minutes=7 * n)
            flash = article.kind == "flash"
            source = article.source or "未知来源"
            code = f"{'' if flash else 'NW'}{published:%Y%m%d}{n:010d}"
            post = PostContent(
                code=code,
                title=f"{article.title} {n}",
                published=published,
                category="emnews" if flash else category_slug(source),
                category_title="东财滚动新闻" if flash else category_title(source),
                tags=("东财滚动新闻" if flash else category_title(source),),
                body_html=html[n % len(html)],
                digest=article.digest.rpartition("】")[2] if flash else "",
                source_url=article.url_w
                or f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}",
            )
            store.store(post, list_kind="flash" if flash else "media")
        last = START + timedelta(minutes=7 * count)
        rotate(state, keep_days=max(1, (7 * count) // (60 * 24) * 3 // 4), today=last.date())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not (args.out / POSTS_DIR).is_dir():
        build(args.out, args.posts)
    started = time.perf_counter()
    report = check_archive(args.out, site_base=SITE)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"posts": report.posts, "seconds": round(seconds, 2), "problems": len(report.errors)}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
