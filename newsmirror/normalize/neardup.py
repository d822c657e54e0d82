"""Near-duplicate fingerprints: compact MinHash signatures of an article's text (pure).

The same story syndicated under several codes (a flash item and its media twin, one
wire story carried by several outlets) has almost the same *normalised* text. Two
texts are near-duplicates when the Jaccard similarity of their sets of
:data:`SHINGLE_CHARS`-character shingles (letters and digits only, case-folded) is at
least a threshold. It is estimated from MinHash signatures (datasketch), so no text
is ever compared with every other one:

- :func:`fingerprint_text` is what is compared: the title, then the body's text, or
  the flash digest when there is no body. A 2022 flash body repeats its digest and its
  media twin has none, so adding the digest would only make twins differ.
- :func:`fingerprint` keeps the lowest 8 bits of each of :data:`NUM_PERM` minimum hash
  values ("b-bit minwise hashing", Li & König 2010): 64 bytes, stored in the index as
  ``mh1:<chars>:<base64>`` (about 100 characters), ``chars`` being the number of
  letters and digits compared (short texts are never declared near-duplicates: a
  one-sentence digest that differs from another only in a number is another story).
- :func:`similarity` estimates the Jaccard similarity of two fingerprints.
- :func:`band_keys` cuts a signature into :data:`BANDS` bands of :data:`ROWS` bytes
  (locality-sensitive hashing): two texts of similarity 0.8 share at least one band
  with probability 0.9998, two of similarity 0.3 with probability 0.12, so a lookup
  by band keys finds the candidates without a pairwise scan.

The permutations, hash function and seed are fixed: a stored fingerprint stays
comparable across runs, machines and datasketch versions (its ``affine32`` scheme is
pinned). Changing any of them needs a new scheme prefix; fingerprints of another
scheme are treated as missing and computed again.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32

from newsmirror.normalize.html_text import html_to_text

#: Prefix of every fingerprint of this kind.
SCHEME = "mh1"
#: Minimum hash values per fingerprint (one byte each).
NUM_PERM = 64
#: Banding of the signature for the lookup: BANDS x ROWS == NUM_PERM.
BANDS = 16
ROWS = 4
#: Characters per shingle (4-grams of Chinese text).
SHINGLE_CHARS = 4
#: Seed of the MinHash permutations (never change it: stored fingerprints use it).
SEED = 20220529
#: Probability that two different minimum hashes agree in their lowest 8 bits.
_CHANCE = 1 / 256
#: Shingles hashed at a time (datasketch holds NUM_PERM values for each of them).
_CHUNK = 16384
#: ``\w`` minus the underscore: letters and digits of every script.
_WORD = re.compile(r"[^\W_]+")
_PREFIX = SCHEME + ":"
#: One MinHash with the pinned permutations; each fingerprint starts from a copy.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, scheme="affine32")


@dataclass(frozen=True)
class Fingerprint:
    """A text's signature and how many letters and digits it was taken from."""

    #: Letters and digits of the compared text.
    chars: int
    #: NUM_PERM bytes; empty when the text is shorter than one shingle.
    signature: bytes

    def __str__(self) -> str:
        encoded = base64.b64encode(self.signature).decode("ascii").rstrip("=")
        return f"{_PREFIX}{self.chars}:{encoded}"

    @classmethod
    def parse(cls, value: str) -> Fingerprint | None:
        """The fingerprint written as ``value``; ``None`` when it is empty, of another
        scheme or damaged (it is then computed again)."""
        if not value.startswith(_PREFIX):
            return None
        chars, sep, encoded = value[len(_PREFIX) :].partition(":")
        if not sep or not chars.isdigit() or not chars.isascii():
            return None
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            signature = binascii.a2b_base64(padded, strict_mode=True)
        except (binascii.Error, ValueError):
            return None
        if len(signature) not in (0, NUM_PERM):
            return None
        return cls(int(chars), signature)


def fingerprint_text(title: str, body_html: str, digest: str) -> str:
    """The text near-duplicates are compared on: title, then body text (else digest)."""
    return f"{title}\n{html_to_text(body_html) or digest}"


def comparable(text: str) -> str:
    """``text`` reduced to its letters and digits, case-folded: spacing, punctuation and
    full-width or half-width brackets do not make two copies differ."""
    return "".join(_WORD.findall(text.casefold()))


def shingles(text: str) -> set[bytes]:
    """The distinct SHINGLE_CHARS-character substrings of :func:`comparable` text."""
    letters = comparable(text)
    last = len(letters) - SHINGLE_CHARS + 1
    return {letters[i : i + SHINGLE_CHARS].encode("utf-8") for i in range(max(last, 0))}


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of ``text`` (see the module docstring)."""
    chars = len(comparable(text))
    grams = shingles(text)
    if not grams:
        return Fingerprint(chars, b"")
    minhash = _TEMPLATE.copy()
    ordered = sorted(grams)
    for start in range(0, len(ordered), _CHUNK):  # bounded memory for huge articles
        minhash.update_batch(ordered[start : start + _CHUNK])
    low_bytes = np.asarray(minhash.hashvalues, dtype=np.uint32) & 0xFF
    return Fingerprint(chars, low_bytes.astype(np.uint8).tobytes())


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0.0 … 1.0), corrected
    for 8-bit values agreeing by chance; 0.0 when either has no signature."""
    if len(a.signature) != NUM_PERM or len(b.signature) != NUM_PERM:
        return 0.0
    agree = sum(x == y for x, y in zip(a.signature, b.signature, strict=True)) / NUM_PERM
    return max(0.0, (agree - _CHANCE) / (1 - _CHANCE))


def band_keys(value: Fingerprint) -> list[str]:
    """The lookup keys of a fingerprint, ``<band>:<hex of its ROWS bytes>`` (none when it
    has no signature). Near-duplicates share at least one key with high probability."""
    sig = value.signature
    if len(sig) != NUM_PERM:
        return []
    return [f"{band:x}:{sig[band * ROWS : (band + 1) * ROWS].hex()}" for band in range(BANDS)]
