"""Near-duplicates in an archive: which archived articles tell the same story.

Fingerprints (:mod:`newsmirror.normalize.neardup`) are kept in the index's
``fingerprint`` column; the link from a later copy to the story's *first copy* (the
earliest published, then the smallest code) in its ``near_duplicate_of`` column, and
with the ``tag`` policy also in the post's front matter.

- :class:`FingerprintLookup` is the one question asked of all fingerprints: which
  codes may be near-duplicates of this one (``find``), answered by band keys, never a
  pairwise scan. :class:`MemoryLookup` answers it in memory, built at the start of a
  run from the index (about half a second for 100,000 posts); another store (Redis,
  :mod:`newsmirror.distributed.neardup`) only needs ``add`` and ``find``.
- :class:`NearDuplicates` checks each candidate against the index (similarity,
  minimum length), decides the first copy of the story, and changes what the archive
  records: links in the index, the ``near_duplicate_of`` key of a post, or a later
  copy's post removed (the ``skip`` policy, for a copy written in the same run).

Index lines without a fingerprint (written before near-duplicates were detected, or
rebuilt from posts whose content changed) get one the first time a run needs them:
their posts are read once and the fingerprints recorded.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from newsmirror.archive import reader
from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.frontmatter import FENCE, FrontMatterError, split_document, yaml_line
from newsmirror.archive.index import IndexEntry
from newsmirror.archive.post import NEAR_DUPLICATE_KEY
from newsmirror.archive.state import ArchiveState
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.neardup import (
    BANDS,
    NUM_PERM,
    ROWS,
    Fingerprint,
    fingerprint,
    fingerprint_text,
    similarity,
)

logger = logging.getLogger(__name__)

#: Fingerprints recorded per journal write while filling in missing ones.
_BATCH = 500

#: :meth:`Fingerprint.parse`, remembered for the strings parsed last: a check parses
#: the article's fingerprint and its candidates' again and again (the lookup, the
#: length test, the similarity). Bounded, so memory stays flat however large the
#: archive; the index keeps only the strings.
_parse = functools.lru_cache(maxsize=2048)(Fingerprint.parse)


class NearDuplicatePolicy(enum.Enum):
    """What happens to a later copy of a story (``NEAR_DUPLICATE_POLICY``)."""

    #: Archive it; the index links it to the first copy.
    KEEP = "keep"
    #: Do not archive it (a later copy written earlier in the same run is removed).
    SKIP = "skip"
    #: Archive it with ``near_duplicate_of: <first copy>`` in its front matter.
    TAG = "tag"

    @classmethod
    def from_setting(cls, value: object) -> NearDuplicatePolicy:
        """The policy a setting names (case-insensitive; unset or empty: ``keep``)."""
        text = str(value or "").strip().lower() or cls.KEEP.value
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise ValueError(
                f"NEAR_DUPLICATE_POLICY must be one of {names}, got {value!r}"
            ) from None


class FingerprintLookup(Protocol):
    """Where fingerprints are looked up: candidates only, checked by the caller."""

    def add(self, code: str, fingerprint: str) -> None:
        """Remember ``code`` under the band keys of ``fingerprint`` (a stored string)."""

    def find(self, fingerprint: str) -> list[str]:
        """Codes that share a band key with ``fingerprint`` (sorted, may hold false
        candidates and codes that are no longer archived)."""


def _band_values(signatures: np.ndarray) -> np.ndarray:
    """``(n, BANDS)`` unsigned band values of ``(n, NUM_PERM)`` signature bytes:
    value ``v`` of band ``b`` is the key ``f"{b:x}:{v:08x}"`` of ``band_keys``."""
    rows = signatures.reshape(-1, NUM_PERM).view(f">u{ROWS}")
    return rows.astype(np.uint64).reshape(-1, BANDS)


#: Fingerprints added to a :class:`MemoryLookup` before they are merged into its sorted
#: arrays (until then they are in a dict: ~1.5 KB per fingerprint, against ~0.2 KB).
_MERGE_EVERY = 512


class MemoryLookup:
    """:class:`FingerprintLookup` in memory: per band, the band values sorted (binary
    search), about 0.2 KB per fingerprint; what was added since the last merge is in
    a small dict."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        parsed = ((code, Fingerprint.parse(value)) for code, value in items)
        self._build([(code, value) for code, value in parsed if value is not None])

    @classmethod
    def of(cls, items: Iterable[tuple[str, Fingerprint]]) -> MemoryLookup:
        """A lookup of fingerprints already parsed."""
        lookup = cls.__new__(cls)
        lookup._build(items)
        return lookup

    def _build(self, items: Iterable[tuple[str, Fingerprint]]) -> None:
        codes: list[str] = []
        rows: list[bytes] = []
        for code, value in items:
            if len(value.signature) == NUM_PERM:
                codes.append(code)
                rows.append(value.signature)
        self._codes = codes
        values = _band_values(np.frombuffer(b"".join(rows), dtype=np.uint8)).T  # (BANDS, n)
        order = np.argsort(values, axis=1, kind="stable")
        self._order = order.astype(np.int32)
        self._sorted = np.ascontiguousarray(np.take_along_axis(values, order, axis=1))
        #: Added since the last merge: ``band << 32 | value`` -> codes; and their rows.
        self._added: dict[int, list[str]] = defaultdict(list)
        self._added_rows: list[tuple[str, bytes]] = []

    def add(self, code: str, fingerprint: str) -> None:
        parsed = _parse(fingerprint)
        if parsed is None or len(parsed.signature) != NUM_PERM:
            return
        for band, value in self._band_keys(parsed.signature):
            self._added[band << 32 | value].append(code)
        self._added_rows.append((code, parsed.signature))
        if len(self._added_rows) >= _MERGE_EVERY:
            self._merge()

    def _merge(self) -> None:
        """Move the fingerprints added since the last merge into the sorted arrays."""
        if not self._added_rows:
            return
        start = len(self._codes)
        self._codes.extend(code for code, _ in self._added_rows)
        rows = b"".join(signature for _, signature in self._added_rows)
        new = _band_values(np.frombuffer(rows, dtype=np.uint8)).T  # (BANDS, m)
        values = np.concatenate([self._sorted, new], axis=1)
        added = np.arange(start, len(self._codes), dtype=np.int32)
        index = np.concatenate([self._order, np.broadcast_to(added, new.shape)], axis=1)
        order = np.argsort(values, axis=1, kind="stable")
        self._sorted = np.ascontiguousarray(np.take_along_axis(values, order, axis=1))
        self._order = np.ascontiguousarray(np.take_along_axis(index, order, axis=1))
        self._added.clear()
        self._added_rows.clear()

    def find(self, fingerprint: str) -> list[str]:
        parsed = _parse(fingerprint)
        if parsed is None or len(parsed.signature) != NUM_PERM:
            return []
        found: set[str] = set()
        for band, value in self._band_keys(parsed.signature):
            column = self._sorted[band]
            key = np.uint64(value)  # searching for a Python int costs numpy 20 times more
            low = int(column.searchsorted(key, side="left"))
            high = int(column.searchsorted(key, side="right"))
            if high > low:
                found.update([self._codes[i] for i in self._order[band, low:high].tolist()])
            found.update(self._added.get(band << 32 | value, ()))
        return sorted(found)

    @staticmethod
    def _band_keys(signature: bytes) -> list[tuple[int, int]]:
        """(band, value) of each band of a NUM_PERM-byte signature."""
        row = _band_values(np.frombuffer(signature, dtype=np.uint8))[0]
        return list(enumerate(row.tolist()))


@dataclass(frozen=True)
class ArchivedCopy:
    """What a check needs to know of an archived candidate."""

    #: Its fingerprint as stored ("" when not computed).
    fingerprint: str
    #: Its date as the index writes dates (``2022-05-29 00:02:28 +0800``).
    date: str
    #: The first copy it links to ("" when none).
    link: str


@dataclass(frozen=True)
class Verdict:
    """What :meth:`NearDuplicates.check` found for one article."""

    #: The first copy of the story when it is another article ("" when this article is
    #: the first copy, or no near-duplicate was found).
    first: str = ""
    #: The most similar archived article ("" when none is similar enough).
    matched: str = ""
    similarity: float = 0.0
    #: Archived copies of the story whose link must change to name the first copy (this
    #: article when ``first`` is ""): later copies archived before this one arrived.
    relink: tuple[str, ...] = ()
    #: The article's text is shorter than the minimum: nothing was looked up.
    short: bool = False
    #: Codes the lookup (or a story's links) named that the index does not hold: posts
    #: still being written (or another worker's, or a failed write's). They were left
    #: out of the decision.
    unseen: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.matched)


def post_fingerprint(text: str) -> str:
    """The fingerprint of a post's text, as the crawl computes it for the article
    (``mh1:0:`` — nothing to compare — when its front matter cannot be read)."""
    try:
        parts = reader.parse_post(text)
    except reader.PostUnreadable:
        return str(Fingerprint(0, b""))
    title = parts.meta.get("title")
    title = title if isinstance(title, str) else "" if title is None else str(title)
    return str(fingerprint(fingerprint_text(title, parts.body_html, parts.digest)))


def show_link(text: str, first: str) -> str | None:
    """``text`` (a post) with the front-matter line ``near_duplicate_of: <first>`` right
    after its ``tags`` (replacing an earlier one); ``None`` when its front matter is not
    where newsmirror writes it (old-generator layouts are left as they are)."""
    start = len(FENCE) + 1
    end = text.find("\n" + FENCE + "\n", len(FENCE))
    if not text.startswith(FENCE + "\n") or end == -1:
        return None
    lines = [
        ln for ln in text[start:end].split("\n") if not ln.startswith(NEAR_DUPLICATE_KEY + ":")
    ]
    at = len(lines)
    for i, line in enumerate(lines):
        if line.startswith("tags:"):
            at = i + 1
            while at < len(lines) and lines[at].startswith((" ", "-")):
                at += 1  # a tag list in block style
    lines.insert(at, yaml_line(NEAR_DUPLICATE_KEY, first))
    edited = text[:start] + "\n".join(lines) + text[end:]
    try:
        meta = split_document(edited).meta
    except FrontMatterError:
        return None
    return edited if meta.get(NEAR_DUPLICATE_KEY) == first else None


def check_settings(threshold: float, min_chars: int) -> None:
    """Raise ``ValueError`` for an unusable ``NEAR_DUPLICATE_THRESHOLD`` or
    ``NEAR_DUPLICATE_MIN_CHARS``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"NEAR_DUPLICATE_THRESHOLD must be above 0 and at most 1, got {threshold}")
    if min_chars < 0:
        raise ValueError(f"NEAR_DUPLICATE_MIN_CHARS must be 0 or more, got {min_chars}")


class NearDuplicates:
    """The near-duplicates of an open archive (``state``) for one run.

    ``threshold`` is the least estimated similarity (0 … 1) of two near-duplicates;
    texts with fewer than ``min_chars`` letters and digits are never declared ones.
    """

    def __init__(
        self,
        state: ArchiveState,
        *,
        threshold: float = 0.8,
        min_chars: int = 150,
        lookup: FingerprintLookup | None = None,
    ) -> None:
        check_settings(threshold, min_chars)
        self.state = state
        self.threshold = threshold
        self.min_chars = min_chars
        self._lookup = lookup
        self._loaded = False
        #: first copy -> the archived codes linking to it
        self._members: dict[str, set[str]] = defaultdict(set)
        #: Fingerprints filled in from posts by :meth:`load`.
        self.filled = 0

    @property
    def lookup(self) -> FingerprintLookup:
        """The lookup, loaded with the archive's fingerprints on first use."""
        if not self._loaded:
            self.load()
        assert self._lookup is not None
        return self._lookup

    # -- start ---------------------------------------------------------------------------
    def load(self) -> None:
        """Fill in missing fingerprints from the posts (recorded in the index), then
        build the lookup from the index (a lookup given to the constructor gets each
        fingerprint through ``add``) and learn the archive's links."""
        self._loaded = True
        usable = self._scan(fill=True)
        if self._lookup is None:
            self._lookup = MemoryLookup.of(usable)
        else:
            for code, value in usable:
                self._lookup.add(code, str(value))

    def _scan(self, *, fill: bool) -> list[tuple[str, Fingerprint]]:
        """Learn the archive's links; return its fingerprints long enough to compare
        (with ``fill``, missing ones are first computed from the posts)."""
        known: dict[str, Fingerprint] = {}
        missing: list[IndexEntry] = []
        for entry in self.state.entries():
            parsed = Fingerprint.parse(entry.fingerprint)
            if parsed is None:
                missing.append(entry)
            else:
                known[entry.code] = parsed
            link = entry.near_duplicate_of
            if link and is_valid_code(link):
                self._members[link].add(entry.code)
        if fill:
            filled = self._fill(missing)
            known.update(filled)
            self.filled = len(filled)
        return [(c, v) for c, v in known.items() if v.chars >= self.min_chars and v.signature]

    def _fill(self, missing: list[IndexEntry]) -> dict[str, Fingerprint]:
        """Fingerprints of these entries' posts, recorded in the index."""
        if not missing:
            return {}
        logger.info(
            "near-duplicates: fingerprinting %d archived post(s) indexed without one "
            "(once: the index records them)",
            len(missing),
        )
        done: dict[str, Fingerprint] = {}
        batch: list[IndexEntry] = []
        for entry in missing:
            try:
                text = (self.state.root / entry.file).read_bytes().decode("utf-8", "replace")
            except OSError as exc:
                logger.warning("post %s could not be read for its fingerprint: %s", entry.file, exc)
                continue
            value = post_fingerprint(text)
            done[entry.code] = Fingerprint.parse(value) or Fingerprint(0, b"")
            batch.append(replace(entry, fingerprint=value))
            if len(batch) >= _BATCH:
                self.state.record(*batch)
                batch.clear()
                self._progress()
        if batch:
            self.state.record(*batch)
        return done

    def _progress(self) -> None:
        """Called while fingerprints are filled in, between batches (a distributed run's
        worker renews its lease)."""

    def _long_enough(self, value: str) -> bool:
        return self._usable(_parse(value))

    def _usable(self, parsed: Fingerprint | None) -> bool:
        """Whether a fingerprint is long enough to compare."""
        return parsed is not None and parsed.chars >= self.min_chars and bool(parsed.signature)

    # -- questions -----------------------------------------------------------------------
    def check(self, code: str, value: str, date: str) -> Verdict:
        """The archived near-duplicates of article ``code`` (fingerprint ``value``,
        published ``date`` as the index writes dates) and the first copy of its story."""
        mine = _parse(value)
        if mine is None or not self._usable(mine):
            return Verdict(short=True)
        asked = {c for c in self.lookup.find(value) if c != code}
        known = self.describe(asked)
        matches: dict[str, float] = {}
        for other, copy in known.items():
            parsed = _parse(copy.fingerprint)
            if parsed is None or not self._usable(parsed):
                continue
            score = similarity(mine, parsed)
            if score >= self.threshold:
                matches[other] = score
        if not matches:
            return Verdict(unseen=tuple(sorted(asked - known.keys())))
        links = {m: known[m].link for m in matches if known[m].link}
        asked |= set(links.values())
        known.update(self.describe(set(links.values()) - known.keys()))
        story = set(matches)
        for match in matches:
            link = links.get(match, "")
            root = link if link in known else match  # linked to a copy that is gone
            story.add(root)
            story.update(self._members.get(root, ()))
        story.discard(code)
        asked |= story
        known.update(self.describe(story - known.keys()))
        story &= known.keys()
        first = min([*story, code], key=lambda c: (date if c == code else known[c].date, c))
        relink = sorted(c for c in story if c != first and known[c].link != first)
        matched = max(matches, key=lambda c: (matches[c], c))
        return Verdict(
            first="" if first == code else first,
            matched=matched,
            similarity=matches[matched],
            relink=tuple(relink),
            unseen=tuple(sorted(asked - known.keys())),
        )

    def describe(self, codes: Collection[str]) -> dict[str, ArchivedCopy]:
        """What a check needs of those of ``codes`` that are archived (the others are
        left out)."""
        out = {}
        for code in codes:
            entry = self.state.get(code)
            if entry is not None:
                out[code] = ArchivedCopy(entry.fingerprint, entry.date, self._link(code))
        return out

    def _link(self, code: str) -> str:
        entry = self.state.get(code)
        link = entry.near_duplicate_of if entry is not None else ""
        return link if is_valid_code(link) else ""

    def run_codes(self) -> dict[str, str]:
        """The codes the last process of a run re-checks with the whole archive in view
        (-> the list of those new to the archive, "" for the others). None here: a
        process alone on the archive decides with all of it in view; the lookup the
        workers of a distributed run share (:mod:`newsmirror.distributed.neardup`)
        names every code they archived."""
        return {}

    # -- changes -------------------------------------------------------------------------
    def accept(
        self, code: str, value: str, first: str = "", *, date: str = "", listed: str = ""
    ) -> None:
        """Article ``code`` is being archived, as a later copy of ``first`` or not.

        ``date`` (its date as the index writes dates) and ``listed`` (the list it came
        from, when it is new to the archive) are for a lookup shared with other
        processes, which do not see this process's index."""
        if self._long_enough(value):
            self.lookup.add(code, value)
        self._joined(code, first)

    def _joined(self, code: str, first: str) -> None:
        """Learn that ``code`` now links to ``first`` (or to nothing)."""
        self._members[self._link(code)].discard(code)  # an archived article fetched again
        if first:
            self._members[first].add(code)

    def relink(self, code: str, first: str, *, show: bool) -> bool:
        """Record that archived article ``code`` is a later copy of ``first``; with
        ``show``, write it into the post's front matter too. Returns whether the post
        shows it (``False`` for a post in an old layout: only the index records it)."""
        entry = self.state.get(code)
        if entry is None:
            return False
        self._members[self._link(code)].discard(code)
        self._members[first].add(code)
        linked = replace(entry, near_duplicate_of=first)
        if not show:
            self.state.record(linked)
            return False
        path = self.state.root / entry.file
        try:
            edited = show_link(path.read_bytes().decode("utf-8"), first)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("post %s could not be read to tag it: %s", entry.file, exc)
            edited = None
        if edited is None:
            self.state.record(linked)
            return False
        self.state.will_change(entry.file)
        atomic_write_text(path, edited, fsync=self.state.fsync)
        self.state.record(linked)
        return True

    def remove(self, code: str) -> IndexEntry | None:
        """Remove the post of archived article ``code`` (a later copy, ``skip``)."""
        entry = self.state.get(code)
        if entry is None:
            return None
        self.state.will_change(entry.file)
        (self.state.root / entry.file).unlink(missing_ok=True)
        self._members[self._link(code)].discard(code)
        self.state.forget(code)
        return entry
