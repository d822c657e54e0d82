"""Decoding response bodies whose charset may be undeclared (pure).

The Eastmoney-family services answer UTF-8, but mirrors and gateways have served the
same JSON as GBK/GB18030, with or without ``charset=`` in ``Content-Type``. A
declared charset is trusted while it decodes cleanly; an undeclared (or wrong) one
is found by trying UTF-8 and then GB18030, the two encodings these services use.
Statistical detectors guess badly on short Chinese texts and are not needed here.
Scrapy's own guess for an undeclared body (UTF-8, else cp1252) turns GBK into
mojibake, and it reads ``<meta charset>`` out of the article HTML inside the JSON.
"""

from __future__ import annotations

from w3lib.encoding import http_content_type_encoding, read_bom

#: Tried in order when the charset is undeclared or does not fit the body.
FALLBACK_ENCODINGS = ("utf-8", "gb18030")


def decode_body(body: bytes, content_type: str | bytes | None) -> str:
    """The text of a response body (see the module docstring for the rules)."""
    header = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return body[len(bom) :].decode(bom_encoding, errors="replace")
    declared = http_content_type_encoding(header) if header else None
    candidates = [declared] if declared else []
    candidates += [name for name in FALLBACK_ENCODINGS if name != declared]
    for name in candidates:
        try:
            return body.decode(name)
        except UnicodeDecodeError:
            continue
    return body.decode(candidates[0], errors="replace")
