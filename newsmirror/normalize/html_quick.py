"""A fast proof that an article body holds only the archive's own markup.

:func:`~newsmirror.normalize.html_check.find_unsafe_markup` parses a body with lxml
and looks at every element: right, but the largest cost of checking a big archive.
A body the cleaner wrote has a narrow form — allow-listed tags in lower case,
double-quoted attributes from a short list, ``&lt;`` for a ``<`` in text — that one
regular expression recognises without parsing. :func:`plainly_clean` says ``True``
only for such a body, and then ``find_unsafe_markup`` finds nothing in it (no
unsafe element, no event handler or odd URL scheme, none of the service's injections,
no Liquid opener); ``False`` means "look closer", not "unsafe".
``tests/test_archive_check.py`` holds the two together.
"""

from __future__ import annotations

import re

from newsmirror.normalize import html_policy as policy

_TAGS = "|".join(sorted(policy.ALLOWED_TAGS - {"img", "a"}, key=len, reverse=True))
_ALL_TAGS = "|".join(sorted(policy.ALLOWED_TAGS, key=len, reverse=True))
_ALIGN = "|".join(sorted(policy.TEXT_ALIGN_VALUES))
_CHART = "|".join(re.escape(host) for host in sorted(policy.CHART_HOSTS))
#: An http(s) URL whose host (no user info, no backslash, no entity) is no chart host.
_IMAGE_URL = rf"https?://(?!(?i:{_CHART})[/:?#\"])[^\"<>&@\\\s]*"
_VALUE = r'"[^"<>]*"'
_CLEAN = re.compile(
    rf"""(?:
        [^<{{]++                                    # text
      | \{{(?![{{%])                                # a brace opening no Liquid tag
      | </(?:{_ALL_TAGS})\s*>
      | <(?:{_TAGS})(?:\s+(?:style="text-align:\s*(?:{_ALIGN});?"|class="em_media"
                            |colspan="\d+"|rowspan="\d+"))*+\s*/?>
      | <img(?:\s+(?:src="{_IMAGE_URL}"|(?:alt|width|height)={_VALUE}))*+\s*/?>
      | <a(?:\s+(?:href="https?://[^"<>]*"|rel={_VALUE}))*+\s*>
    )*+""",
    re.VERBOSE,
)


def plainly_clean(body_html: str) -> bool:
    """Whether ``body_html`` is made only of the markup the archive's cleaner writes
    (so :func:`~newsmirror.normalize.html_check.find_unsafe_markup` returns ``[]``)."""
    return _CLEAN.fullmatch(body_html) is not None
