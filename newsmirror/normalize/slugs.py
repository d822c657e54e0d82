"""Category slugs: the old archive's toneless pinyin, made safe, and kept unique.

:func:`category_slug` spells one source name; :class:`SlugRegistry` decides which slug a
source actually gets, given the category pages an archive already holds, the
operator's pins and the other sources seen in the run. The rules are documented in
``docs/archive-format.md`` ("Slugs").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache

from xpinyin import Pinyin

from newsmirror.normalize.attribution import clean_source_name

#: Flash news all go to one category, as in the old archive.
FLASH_CATEGORY = "emnews"
FLASH_CATEGORY_TITLE = "东财滚动新闻"
#: Category titles are ``<source>新闻``, verbatim (``每日经济新闻新闻`` included).
CATEGORY_TITLE_SUFFIX = "新闻"
#: Slugs no source may take (compared case-insensitively), with the title they stand for:
#: ``emnews`` is the flash category, ``sitenews`` the site's own notices.
RESERVED_SLUGS: Mapping[str, str] = {FLASH_CATEGORY: FLASH_CATEGORY_TITLE, "sitenews": "站长消息"}

#: Longest slug produced (the page file name adds ``.html``). Longer spellings are cut
#: and end in a hash of the name, so they stay distinct and stable.
MAX_SLUG_LENGTH = 100
#: Hex digits of the name's hash in a disambiguated slug (longer ones only if needed).
HASH_LENGTHS = (8, 16, 64)
#: Names Windows reserves for devices, whatever the extension (``NUL.html``).
_DEVICE_NAMES = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
_SAFE_SLUG = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9]+")


class SlugPinError(ValueError):
    """An operator's slug pin is unusable (unsafe, reserved, or shared by two sources)."""


@lru_cache(maxsize=1)
def _pinyin() -> Pinyin:
    return Pinyin()


def name_hash(name: str, length: int = HASH_LENGTHS[0]) -> str:
    """First ``length`` hex digits of the SHA-256 of the NFC name: stable across runs."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8"))
    return digest.hexdigest()[:length]


def is_safe_slug(slug: str) -> bool:
    """ASCII letters and digits in runs joined by single ``-``, at most
    ``MAX_SLUG_LENGTH`` long, and not a device name: a safe URL part and file name."""
    return (
        len(slug) <= MAX_SLUG_LENGTH
        and _SAFE_SLUG.fullmatch(slug) is not None
        and slug.lower() not in _DEVICE_NAMES
    )


def with_suffix(base: str, suffix: str) -> str:
    """``<base>-<suffix>``, ``base`` cut (at a letter or digit) so the whole fits."""
    room = MAX_SLUG_LENGTH - len(suffix) - 1
    head = base[:room].rstrip("-")
    return f"{head}-{suffix}" if head else suffix


def _spell(name: str) -> str:
    """Toneless pinyin of the Han characters; everything else as it is after
    compatibility decomposition without accents (``ＡＢＣ`` -> ``ABC``, ``é`` -> ``e``)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", name))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _pinyin().get_pinyin(unicodedata.normalize("NFC", plain), splitter="")


@lru_cache(maxsize=4096)
def category_slug(source_name: str) -> str:
    """``四川新闻网`` -> ``sichuanxinwenwang``; ``21财经APP`` -> ``21caijingAPP``.

    Han characters become concatenated toneless pinyin (xpinyin, the library the old
    archive used, so existing category URLs keep working); Latin letters and digits
    stay as they are; any other run of characters becomes one ``-`` (none leading,
    trailing or doubled). A name with nothing spellable gets ``source-<hash>``, a
    spelling over ``MAX_SLUG_LENGTH`` is cut and ends in ``-<hash>``, a device name
    (``NUL``) gets ``-<hash>`` appended: the result is always :func:`is_safe_slug`.
    """
    slug = _UNSAFE_RUN.sub("-", _spell(source_name)).strip("-")
    if not slug:
        return f"source-{name_hash(source_name)}"
    if len(slug) > MAX_SLUG_LENGTH or slug.lower() in _DEVICE_NAMES:
        return with_suffix(slug, name_hash(source_name))
    return slug


def category_title(source_name: str) -> str:
    """``四川新闻网`` -> ``四川新闻网新闻``: the old archive's title, kept verbatim even
    when the name already ends in 新闻 (``每日经济新闻新闻``), so existing tags stay."""
    return f"{source_name}{CATEGORY_TITLE_SUFFIX}"


def source_from_title(title: str) -> str:
    """The source a category title names (``每日经济新闻新闻`` -> ``每日经济新闻``);
    ``""`` for a title not of the form ``<source>新闻``."""
    if not title.endswith(CATEGORY_TITLE_SUFFIX):
        return ""
    return clean_source_name(title[: -len(CATEGORY_TITLE_SUFFIX)])


# -- pins ------------------------------------------------------------------------------------


def parse_pins(text: str) -> dict[str, str]:
    """Pins from a TSV text: ``<source name><TAB><slug>`` per line; blank lines and
    lines starting with ``#`` are ignored. Raises :class:`SlugPinError` naming the line."""
    pins: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise SlugPinError(f"pins line {number}: expected '<source name><TAB><slug>'")
        pins[parts[0]] = parts[1].strip()
    return pins


def validate_pins(pins: Mapping[str, str]) -> dict[str, str]:
    """Pins keyed by cleaned source name, every slug checked: safe, not reserved, and
    not pinned for two sources (also case-insensitively)."""
    cleaned: dict[str, str] = {}
    owners: dict[str, str] = {}
    for raw_name, slug in pins.items():
        name = clean_source_name(str(raw_name))
        if not name:
            raise SlugPinError(f"pin {raw_name!r}: the source name is empty")
        if not isinstance(slug, str) or not is_safe_slug(slug):
            raise SlugPinError(
                f"pin {name!r} -> {slug!r}: a slug is ASCII letters and digits joined by "
                f"single '-', at most {MAX_SLUG_LENGTH} long, not a device name"
            )
        if slug.casefold() in RESERVED_SLUGS:
            raise SlugPinError(f"pin {name!r} -> {slug!r}: {slug.casefold()!r} is reserved")
        other = owners.setdefault(slug.casefold(), name)
        if other != name:
            raise SlugPinError(f"pins {other!r} and {name!r} share the slug {slug!r}")
        cleaned[name] = slug
    return cleaned


# -- the registry --------------------------------------------------------------------------


class SlugOutcome(StrEnum):
    """How a source got its slug."""

    #: An existing category page already belongs to this source.
    KEPT = "kept"
    #: The source's own spelling (or pin) was free; it takes it.
    CLAIMED = "claimed"
    #: The spelling belongs to another source or is reserved: ``<slug>-<hash>``.
    DISAMBIGUATED = "disambiguated"


@dataclass(frozen=True)
class SlugAssignment:
    """The slug a source gets, and why."""

    source: str
    slug: str
    outcome: SlugOutcome
    #: The slug the source would have had (its pin or spelling).
    wanted: str
    #: Who holds ``wanted`` when the outcome is ``DISAMBIGUATED``.
    holder: str = ""
    #: True the first time this source is assigned in this registry's life.
    first: bool = True


@dataclass(frozen=True)
class ExistingPage:
    """A category page already in the archive: its slug and its title as written."""

    slug: str
    title: str


class SlugRegistry:
    """Who owns which slug: existing pages first, then sources in order of arrival.

    A page is *owned* by the source its title names when that source could have got
    this slug (its spelling, its pin, or one of their hashed forms). The old generator
    wrote many pages under another source's title; such pages are *unowned*, and the
    first source whose own slug is exactly that page's takes it over (its page is then
    rewritten with its own title). New slugs are unique case-insensitively; only
    case-variant pages the archive already holds (``TechWeb`` / ``Techweb``) stay.
    """

    def __init__(
        self, pages: Iterable[ExistingPage] = (), pins: Mapping[str, str] | None = None
    ) -> None:
        self.pins = validate_pins(pins or {})
        #: exact slug -> owning source ("" for an unowned existing page).
        self._owner: dict[str, str] = {}
        #: casefolded slug -> exact slugs in use.
        self._folded: dict[str, set[str]] = {}
        self._assigned: dict[str, SlugAssignment] = {}
        #: Existing pages whose titles name no source that could have their slug.
        self.unowned_pages: list[str] = []
        for page in sorted(pages, key=lambda p: p.slug):
            self._add_page(page)
        #: Existing pages that differ only in case (``TechWeb`` / ``Techweb``).
        self.case_clashes: list[tuple[str, ...]] = sorted(
            tuple(sorted(s)) for s in self._folded.values() if len(s) > 1
        )

    def _add_page(self, page: ExistingPage) -> None:
        if page.slug.casefold() in RESERVED_SLUGS or page.slug in self._owner:
            return
        source = source_from_title(page.title)
        owner = source if source and page.slug in self._legitimate(source) else ""
        if not owner:
            self.unowned_pages.append(page.slug)
        self._take(page.slug, owner)

    def _legitimate(self, source: str) -> set[str]:
        """Every slug ``source`` could hold: its pin, its spelling, their hashed forms."""
        wanted = {category_slug(source)}
        if source in self.pins:
            wanted.add(self.pins[source])
        return {form for w in wanted for form in self._candidates(source, w)}

    def _take(self, slug: str, owner: str) -> None:
        self._owner[slug] = owner
        self._folded.setdefault(slug.casefold(), set()).add(slug)

    def wanted(self, source: str) -> str:
        """The slug ``source`` asks for: its pin, else its spelling."""
        return self.pins.get(source) or category_slug(source)

    def owner(self, slug: str) -> str | None:
        """The source that owns ``slug`` (``""``: an unowned page; ``None``: not in use)."""
        return self._owner.get(slug)

    def assign(self, source: str) -> SlugAssignment:
        """The slug of ``source`` (a cleaned, non-empty name); the same on every call.

        Candidates, in order: the wanted slug, then ``<wanted>-<hash>`` with 8, 16 and
        64 hex digits of the name's SHA-256. A candidate the source already owns is
        kept (first in that order); else the first candidate nobody else holds.
        """
        known = self._assigned.get(source)
        if known is not None:
            return known
        wanted = self.wanted(source)
        candidates = self._candidates(source, wanted)
        holder = self._holder(source, wanted) or ""
        owned = [slug for slug in candidates if self._owner.get(slug) == source]
        if owned:
            assignment = SlugAssignment(source, owned[0], SlugOutcome.KEPT, wanted, holder)
        else:
            free = next(slug for slug in candidates if self._holder(source, slug) is None)
            outcome = SlugOutcome.CLAIMED if free == wanted else SlugOutcome.DISAMBIGUATED
            assignment = SlugAssignment(source, free, outcome, wanted, holder)
            self._take(free, source)
        self._assigned[source] = replace(assignment, first=False)
        return assignment

    @staticmethod
    def _candidates(source: str, wanted: str) -> list[str]:
        return [wanted] + [with_suffix(wanted, name_hash(source, n)) for n in HASH_LENGTHS]

    def _holder(self, source: str, slug: str) -> str | None:
        """Who stands in the way of ``source`` taking ``slug``; ``None`` if nobody.

        An unowned existing page can be taken over, even where the archive also holds
        a case variant of it (no new file is made); a new slug must differ
        case-insensitively from every slug in use.
        """
        if slug.casefold() in RESERVED_SLUGS:
            return f"reserved:{slug.casefold()}"
        owner = self._owner.get(slug)
        if owner is not None:
            return None if owner in ("", source) else owner
        variants = sorted(self._folded.get(slug.casefold(), ()))
        if variants:
            return self._owner[variants[0]] or f"page:{variants[0]}"
        return None
