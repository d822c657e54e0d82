"""The near-duplicate MinHash (numpy + hashlib) against datasketch's, which it replaces
at run time: the same fingerprints, bit for bit, so stored ``mh1:`` values stay valid.

datasketch is a test dependency only: newsmirror never imports it (nor scipy)."""

from __future__ import annotations

import json
import operator
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.normalize import neardup
from newsmirror.normalize.neardup import (
    NUM_PERM,
    SEED,
    SHINGLE_CHARS,
    Fingerprint,
    comparable,
    fingerprint,
    fingerprint_text,
    shingles,
    similarity,
)

#: Chinese, digits, Latin letters (both cases, full width too), punctuation and spaces.
_ALPHABET = st.sampled_from(
    "央行研究局课题组发布题为促进消费投资增长实现经济平稳高质量运行的文章"
    "0123456789abcXYZ ＡＢｃ１２，。：“”（）【】-_\n\t"
)


def corpus_records() -> list[dict[str, str]]:
    """The upstream records rebuilt from the old archive's real posts."""
    data = files("newsmirror.testing").joinpath("data/articles.jsonl").read_text("utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def reference_minhash(text: str) -> MinHash:
    """datasketch's MinHash of ``text``'s shingles, as newsmirror computed it before."""
    letters = comparable(text)
    last = len(letters) - SHINGLE_CHARS + 1
    grams = {letters[i : i + SHINGLE_CHARS].encode("utf-8") for i in range(max(last, 0))}
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, scheme="affine32")
    minhash.update_batch(sorted(grams))
    return minhash


def reference(text: str) -> Fingerprint:
    """The fingerprint of ``text`` computed with datasketch."""
    chars = len(comparable(text))
    minhash = reference_minhash(text)
    if minhash.is_empty():
        return Fingerprint(chars, b"")
    low_bytes = np.asarray(minhash.hashvalues, dtype=np.uint32) & 0xFF
    return Fingerprint(chars, low_bytes.astype(np.uint8).tobytes())


def assert_same(text: str) -> None:
    mine = fingerprint(text)
    assert mine == reference(text)
    assert str(mine) == str(reference(text))
    grams = sorted(gram.decode("utf-8") for gram in shingles(text))
    if grams:  # the whole minimum hash values, not only their lowest bytes
        expected = reference_minhash(text).hashvalues
        assert neardup._minhash(grams).tolist() == expected.tolist()


def test_the_permutations_are_datasketchs() -> None:
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, scheme="affine32")
    a, b = minhash.permutations
    assert neardup._A.tolist() == a.tolist()
    assert neardup._B.tolist() == b.tolist()
    assert neardup._A.dtype == neardup._B.dtype == np.uint32
    # and how datasketch 2.0 draws them ("affine32": a odd, b any 32-bit value)
    gen = np.random.RandomState(SEED)
    drawn_a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    drawn_b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    assert neardup._A.tolist() == drawn_a.tolist()
    assert neardup._B.tolist() == drawn_b.tolist()


def test_corpus_fingerprints_are_datasketchs() -> None:
    records = corpus_records()
    assert len(records) > 100
    for record in records:
        for text in (
            fingerprint_text(record["title"], record["body"], record["digest"]),
            fingerprint_text(record["title"], "", record["digest"]),
            record["digest"],
            record["title"],
        ):
            assert_same(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [  # written by newsmirror when it computed fingerprints with datasketch 2.0
        (
            "央行研究局课题组发布题为《促进消费投资增长 实现经济平稳高质量运行》的文章。" * 6,
            "mh1:204:CdrPjbeK53GiAC8vD7zji4ju0yTy6RM+xUR6dFE1BaXEE1cvDS/FJ1hvud5t7O7B"
            "JSxF6OSRqq3t1z+K0aHQag",
        ),
        (
            "FF：有充足的现金支持到FF 91完成投产",
            "mh1:19:/cswwZamercHcrPYwHT0uEzChT5Txf6aP9/CLjCj8vJSdq6U/x9LuNOVT0JFlSZu"
            "PijUD9DuLqsZFgTU95iY0Q",
        ),
        ("抄送", "mh1:2:"),
    ],
)
def test_stored_fingerprints_are_computed_again_unchanged(text: str, stored: str) -> None:
    assert str(fingerprint(text)) == stored
    assert Fingerprint.parse(stored) == fingerprint(text)


@settings(deadline=None, max_examples=300)
@given(st.text(_ALPHABET, max_size=400))
def test_fingerprints_of_generated_texts_are_datasketchs(text: str) -> None:
    assert_same(text)


@settings(deadline=None, max_examples=100)
@given(st.text(max_size=200))
def test_fingerprints_of_any_unicode_are_datasketchs(text: str) -> None:
    assert_same(text)


def test_huge_texts_are_hashed_in_chunks_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    text = "".join(chr(0x4E00 + int(c)) for c in rng.integers(0, 3000, 5000))
    whole = fingerprint(text)
    assert whole == reference(text)
    monkeypatch.setattr(neardup, "_CHUNK", 7)  # many chunks, the last one short
    assert fingerprint(text) == whole
    assert_same(text)


@given(st.text(_ALPHABET, max_size=60))
def test_shingles_are_the_encoded_substrings(text: str) -> None:
    letters = comparable(text)
    expected = {
        letters[i : i + SHINGLE_CHARS].encode("utf-8")
        for i in range(max(len(letters) - SHINGLE_CHARS + 1, 0))
    }
    assert shingles(text) == expected


@given(st.binary(min_size=NUM_PERM, max_size=NUM_PERM), st.data())
def test_similarity_counts_equal_bytes(signature: bytes, data: st.DataObject) -> None:
    other = bytearray(signature)
    for i in data.draw(st.lists(st.integers(0, NUM_PERM - 1), max_size=NUM_PERM)):
        other[i] = data.draw(st.integers(0, 255))
    a, b = Fingerprint(500, signature), Fingerprint(500, bytes(other))
    agree = sum(map(operator.eq, signature, other)) / NUM_PERM
    assert similarity(a, b) == max(0.0, (agree - 1 / 256) / (1 - 1 / 256))
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, Fingerprint(500, b"")) == 0.0


def test_a_run_imports_neither_datasketch_nor_scipy() -> None:
    script = (
        "import sys\n"
        "import newsmirror.pipelines, newsmirror.spiders.eastmoney\n"
        "assert 'scipy' not in sys.modules, 'scipy'\n"
        "assert 'datasketch' not in sys.modules, 'datasketch'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
