"""Category slugs: the old archive's toneless pinyin, made safe for URLs and file names."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from xpinyin import Pinyin

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=1)
def _pinyin() -> Pinyin:
    return Pinyin()


@lru_cache(maxsize=4096)
def category_slug(source_name: str) -> str:
    """``四川新闻网`` -> ``sichuanxinwenwang``; ``21财经APP`` -> ``21caijingAPP``.

    Han characters become concatenated toneless pinyin (xpinyin, the library the old
    archive used, so existing category URLs keep working); Latin letters and digits
    stay as they are; any other run of characters becomes one ``-``. A name with
    nothing spellable gets ``source-<hash>`` so it still has a stable, safe slug.
    """
    spelled = _pinyin().get_pinyin(source_name, splitter="")
    slug = _UNSAFE.sub("-", spelled).strip("-")
    if slug:
        return slug
    digest = hashlib.sha1(source_name.encode("utf-8")).hexdigest()[:10]
    return f"source-{digest}"
