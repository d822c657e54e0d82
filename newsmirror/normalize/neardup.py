"""Near-duplicate fingerprints: compact MinHash signatures of an article's text (pure).

The same story syndicated under several codes (a flash item and its media twin, one
wire story carried by several outlets) has almost the same *normalised* text. Two
texts are near-duplicates when the Jaccard similarity of their sets of
:data:`SHINGLE_CHARS`-character shingles (letters and digits only, case-folded) is at
least a threshold. It is estimated from MinHash signatures, so no text is ever
compared with every other one:

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

The signatures are a MinHash with datasketch's pinned ``affine32`` permutations
(``MinHash(NUM_PERM, SEED, hashfunc=sha1_hash32, scheme="affine32")`` of datasketch
2.0), computed with numpy and :mod:`hashlib` (importing datasketch loads scipy on
every run) and checked against datasketch in the tests
(``tests/test_neardup_minhash.py``). The permutations, hash function and seed are
fixed: a stored fingerprint stays comparable across runs, machines and library
versions. Changing any of them needs a new scheme prefix; fingerprints of another
scheme are treated as missing and computed again.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from hashlib import sha1

import numpy as np

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
#: Shingles hashed at a time: bounds the (shingles x NUM_PERM) matrix of a huge article.
_CHUNK = 8192
#: ``\w`` minus the underscore: letters and digits of every script.
_WORD = re.compile(r"[^\W_]+")
_PREFIX = SCHEME + ":"

# The permutations h -> (_A * h + _B) mod 2**32 of datasketch 2.0's "affine32" scheme
# for SEED, pinned (never change them: stored fingerprints use them). datasketch draws
# them in MinHash._init_permutations as
#     gen = np.random.RandomState(SEED)
#     a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * 2 + 1  # odd: a bijection
#     b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
# tests/test_neardup_minhash.py checks them against both.
_A = np.array(
    [
        0xB50DCC51, 0xBEDDA0FD, 0xBAA26A83, 0x89814AD1, 0x29226DE3, 0x37574223,
        0x1A463FBF, 0x8C7861C3, 0xA8B7546F, 0x42A3A821, 0x38080805, 0x77BD8A3D,
        0x26A99997, 0x6D22A28B, 0xF347983B, 0xFE3F56C7, 0x1EDE6313, 0xB4130E31,
        0xD6481AF1, 0xD0845E0F, 0xF479FB13, 0xCAD03033, 0x1DAE4227, 0xC3FAADC5,
        0xA9953F73, 0x0A23FECF, 0x68F5BF23, 0x65441523, 0x6CE3B1DD, 0xAD5A9D19,
        0xB1C16433, 0x0EB33A43, 0xA1758371, 0xBCA89DA1, 0x3FC094D9, 0xD96EED57,
        0x1542FD5B, 0xE70C3413, 0x4F659E53, 0x6DB2DD93, 0x6F99E425, 0xE23589DD,
        0xFEDD2819, 0x0DABCDA9, 0x69672BBF, 0x2E12A0A9, 0x28017721, 0x04641567,
        0xADB1C87D, 0xF4F8AF13, 0x13D7EE4F, 0xBC371135, 0x385D7451, 0x34ABA2E7,
        0xA770C8F9, 0xADE0F021, 0x7A67E6E9, 0xEA3014E7, 0x8557E42F, 0x8D236FFD,
        0xA1E8430F, 0xE2E642DB, 0xC7965617, 0xDD1455BF,
    ],
    dtype=np.uint32,
)  # fmt: skip
_B = np.array(
    [
        0x186E27EB, 0x0D60C181, 0xB661247A, 0xCD214D3D, 0xDFE7A3D4, 0xD50A95D5,
        0xE962C4B5, 0x568D30E1, 0xF0A7E33D, 0x51F17A72, 0x7E4E8AD9, 0xDFDF30E9,
        0xD91D7EC6, 0x9EF977AC, 0xB30B08A5, 0x11586B5E, 0x443A4FCB, 0x8A3FE6BE,
        0xB5DC1858, 0x5DD60402, 0xF1A29A28, 0xA3C83039, 0xCE6FD962, 0xE718C379,
        0xCBB80273, 0xDC4988A2, 0x8019CEF1, 0x0DC96598, 0xD6500D32, 0x3727C5A8,
        0x6257A67B, 0xBDA41617, 0xCD675FE0, 0x382C331E, 0x78A92339, 0x6CA43FF6,
        0xF435C023, 0xD91A3DFE, 0xFDB456C3, 0xBF9C7530, 0x48C3E138, 0xD8D7D58E,
        0x1238AA1B, 0x139BF4E0, 0xDFF03B9D, 0x9456004F, 0x9323F550, 0x1EA6ECD3,
        0x2326EEB5, 0xD50BDAFB, 0x5D47D9AC, 0xFFB8630F, 0xE5FA2CBE, 0x90EEF2A3,
        0x351A9B8B, 0x9CBA14D0, 0xFD97BD37, 0xCE714B77, 0x636FF86F, 0x3BDE44CB,
        0xDB8ABA0B, 0x4965766C, 0x3CB7096F, 0x75DC5025,
    ],
    dtype=np.uint32,
)  # fmt: skip
#: The 32-bit MurmurHash3 finalizer datasketch mixes each hash with first ("affine32").
_FMIX = (np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35))


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
    return {gram.encode("utf-8") for gram in _grams(comparable(text))}


def _grams(letters: str) -> set[str]:
    """The distinct SHINGLE_CHARS-character substrings of ``letters`` (str slices are
    cheaper than bytes: each distinct one is encoded once, when it is hashed)."""
    last = len(letters) - SHINGLE_CHARS + 1
    return {letters[i : i + SHINGLE_CHARS] for i in range(max(last, 0))}


def _minhash(grams: list[str]) -> np.ndarray:
    """The NUM_PERM minimum hash values (uint32) of the non-empty ``grams``: what
    datasketch's ``MinHash.update_batch`` of their UTF-8 bytes leaves in ``hashvalues``."""
    low = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)  # datasketch's empty MinHash
    for start in range(0, len(grams), _CHUNK):  # bounded memory for huge articles
        chunk = grams[start : start + _CHUNK]
        # sha1_hash32: the first 4 bytes of SHA-1, little-endian (every 5th uint32 of the
        # 20-byte digests; slicing each digest costs more than the 16 bytes it saves)
        digests = b"".join([sha1(gram.encode("utf-8")).digest() for gram in chunk])
        hv = np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)
        hv ^= hv >> 16  # fmix32; uint32 arithmetic wraps, as in datasketch
        hv *= _FMIX[0]
        hv ^= hv >> 13
        hv *= _FMIX[1]
        hv ^= hv >> 16
        permuted = hv[:, np.newaxis] * _A
        permuted += _B
        np.minimum(low, permuted.min(axis=0), out=low)
    return low


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of ``text`` (see the module docstring)."""
    letters = comparable(text)
    grams = _grams(letters)
    if not grams:
        return Fingerprint(len(letters), b"")
    low_bytes = (_minhash(list(grams)) & 0xFF).astype(np.uint8)
    return Fingerprint(len(letters), low_bytes.tobytes())


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0.0 … 1.0), corrected
    for 8-bit values agreeing by chance; 0.0 when either has no signature."""
    if len(a.signature) != NUM_PERM or len(b.signature) != NUM_PERM:
        return 0.0
    # equal bytes are the zero bytes of the XOR of the two signatures
    diff = int.from_bytes(a.signature, "little") ^ int.from_bytes(b.signature, "little")
    agree = diff.to_bytes(NUM_PERM, "little").count(0) / NUM_PERM
    return max(0.0, (agree - _CHANCE) / (1 - _CHANCE))


def band_keys(value: Fingerprint) -> list[str]:
    """The lookup keys of a fingerprint, ``<band>:<hex of its ROWS bytes>`` (none when it
    has no signature). Near-duplicates share at least one key with high probability."""
    sig = value.signature
    if len(sig) != NUM_PERM:
        return []
    return [f"{band:x}:{sig[band * ROWS : (band + 1) * ROWS].hex()}" for band in range(BANDS)]
