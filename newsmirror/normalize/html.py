"""Article HTML clean-up: the service's injections out, an allow-listed, Liquid-safe body.

A body goes through four steps:

1. **HTML5 normalisation** with nh3 (the Rust *ammonia* sanitiser, html5ever parser):
   the fragment becomes the tree a browser builds; scripts, frames, event handlers
   and non-http(s) URLs are gone, while comments, ids, classes and styles stay so
   that step 2 can recognise the service's injections.
2. **Rewriting** with lxml: ``EM_StockImg`` chart blocks, quote placeholders and
   hidden elements removed, stock and sector links reduced to their text, layout
   containers (``div``, ``center`` …) turned into paragraphs or unwrapped, URLs made
   absolute, boilerplate and empty paragraphs removed, text nodes normalised.
3. **Sanitising** with nh3 and the archive's allow-list (:mod:`html_policy`), which
   also gives the body its one serialisation.
4. **Liquid escaping** (:func:`~newsmirror.normalize.liquid.escape_liquid`).

Cleaning is idempotent: an already clean body comes back unchanged. Steps 2 and 3
parse with different parsers (libxml2, html5ever) that disagree on a few nestings, so
step 2 never leaves a paragraph, heading or inline element around a block, nor a list
item directly inside another: such output would parse differently the next time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import nh3
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, fragment_fromstring

from newsmirror.normalize import html_policy as policy
from newsmirror.normalize.boilerplate import DEFAULT_PATTERNS, BoilerplateRules
from newsmirror.normalize.liquid import escape_liquid
from newsmirror.normalize.text import normalize_text

_PARSER = HTMLParser(remove_comments=False, remove_pis=True, huge_tree=True, no_network=True)

#: Step 1: a spec parse that keeps what recognising injections needs.
_NORMALISER = nh3.Cleaner(
    tags=(set(nh3.ALLOWED_TAGS) | policy.CONTAINER_TAGS | policy.LIST_ALIASES | {"font"})
    - policy.DROP_WITH_CONTENT,
    clean_content_tags=set(policy.DROP_WITH_CONTENT),
    attributes={
        "*": {"id", "class", "style", "hidden"},
        **{tag: set(attrs) for tag, attrs in policy.ALLOWED_ATTRIBUTES.items()},
    },
    strip_comments=False,
    link_rel=None,
    url_schemes=set(policy.URL_SCHEMES),
)

#: Step 3: the archive's allow-list.
_SANITISER = nh3.Cleaner(
    tags=set(policy.ALLOWED_TAGS),
    clean_content_tags=set(policy.DROP_WITH_CONTENT),
    attributes={
        tag: set(policy.ALLOWED_ATTRIBUTES.get(tag, ())) | {"style"}
        if tag in policy.STYLED_TAGS
        else set(policy.ALLOWED_ATTRIBUTES.get(tag, ()))
        for tag in policy.ALLOWED_TAGS
    },
    allowed_classes={tag: set(classes) for tag, classes in policy.ALLOWED_CLASSES.items()},
    filter_style_properties={"text-align"},
    strip_comments=True,
    link_rel=policy.LINK_REL,
    url_schemes=set(policy.URL_SCHEMES),
    url_relative="deny",
)

#: Where a paragraph may stand (besides the body itself).
_FLOW_PARENTS = (
    frozenset({"blockquote", "li", "td", "th", "figure", "figcaption", "caption"})
    | policy.CONTAINER_TAGS
)
#: Elements that may hold only inline content.
_INLINE_ONLY = policy.INLINE_TAGS | policy.HEADINGS | {"p"}
_LIST_PARENTS = frozenset({"ul", "ol"}) | policy.LIST_ALIASES
#: Blocks whose leading and trailing whitespace (and trailing ``<br>``) mean nothing.
_TRIMMED = frozenset({"p", "li", "td", "th", "caption", "figcaption"}) | policy.HEADINGS
#: Elements removed when they show nothing (no text, no image).
_REMOVED_WHEN_EMPTY = frozenset(
    {"p", "blockquote", "ul", "ol", "li", "table", "caption", "figure", "figcaption"}
    | policy.HEADINGS
    | {"a", "strong", "b", "em", "i", "u", "sup", "sub"}
)
#: Paragraph-like elements tested against the boilerplate rules.
_PARAGRAPHS = frozenset({"p", "li", "blockquote"}) | policy.HEADINGS
_CENTRE = "text-align:center"


def sanitise(html: str) -> str:
    """Step 3 alone: ``html`` reduced to the archive's allow-list by nh3. A cleaned
    body passes through unchanged, apart from the Liquid escapes (decoded to ``{``)."""
    return _SANITISER.clean(html)


@dataclass(frozen=True)
class CleanedBody:
    """A cleaned body and what was taken out of it (kind -> count)."""

    html: str
    removed: Mapping[str, int] = field(default_factory=dict)


class BodyCleaner:
    """Cleans article bodies with one set of boilerplate rules and text options."""

    def __init__(
        self,
        boilerplate: Mapping[str, Iterable[str]] | None = None,
        *,
        fullwidth_to_ascii: bool = False,
        to_simplified: bool = False,
    ) -> None:
        """``boilerplate``: source name or ``"*"`` -> regexes (see
        :mod:`~newsmirror.normalize.boilerplate`); ``ValueError`` on a bad regex. The
        text options are :func:`~newsmirror.normalize.text.normalize_text`'s."""
        self.rules = BoilerplateRules(boilerplate)
        self.fullwidth_to_ascii = fullwidth_to_ascii
        self.to_simplified = to_simplified

    def clean(self, raw: str, *, base_url: str = "", source: str = "") -> CleanedBody:
        """``raw`` as the archive keeps it. ``base_url`` (the article's URL) resolves
        relative links and images; ``source`` selects the boilerplate rules."""
        removed: Counter[str] = Counter()
        normalised = _NORMALISER.clean(policy.parsable(raw)) if raw else ""
        if not normalised.strip():
            return CleanedBody("", removed)
        root = fragment_fromstring(normalised, create_parent="div", parser=_PARSER)
        _Rewrite(self, removed, base_url, source).run(root)
        inner = etree.tostring(root, encoding="unicode", method="html")[
            len("<div>") : -len("</div>")
        ]
        return CleanedBody(escape_liquid(sanitise(inner).strip()), removed)

    def normalize(self, text: str) -> str:
        """A text node as :func:`~newsmirror.normalize.text.normalize_text` cleans it."""
        return normalize_text(
            text, fullwidth_to_ascii=self.fullwidth_to_ascii, to_simplified=self.to_simplified
        )


_DEFAULT = BodyCleaner(DEFAULT_PATTERNS)


def clean_body(raw: str, *, base_url: str = "", source: str = "") -> str:
    """``raw`` cleaned with the default boilerplate rules (see :class:`BodyCleaner`)."""
    return _DEFAULT.clean(raw, base_url=base_url, source=source).html


class _Rewrite:
    """Step 2 on one parsed body (``root`` is a wrapper ``div``)."""

    def __init__(
        self, cleaner: BodyCleaner, removed: Counter[str], base_url: str, source: str
    ) -> None:
        self.cleaner = cleaner
        self.removed = removed
        self.base_url = base_url
        self.source = source

    def run(self, root: HtmlElement) -> None:
        self.remove_chart_blocks(root)
        self.remove_injections(root)
        for el in _bottom_up(root):
            self.restructure(el)
        for el in _bottom_up(root):
            self.drop_unwanted(el)
        for paragraph in _wrap_loose_inline(root, self.cleaner.normalize):
            for el in [*_bottom_up(paragraph), paragraph]:
                self.drop_unwanted(el)
        self.normalise_text(root)
        for el in root.iter(*_TRIMMED):
            _trim(el)

    # -- injections ------------------------------------------------------------------
    def remove_chart_blocks(self, root: HtmlElement) -> None:
        """Everything between ``<!-- EM_StockImg_Start -->`` and its end marker, then
        every comment."""
        for comment in list(root.iter(etree.Comment)):
            if comment.getparent() is None or not policy.is_chart_comment(
                comment.text or "", policy.CHART_START
            ):
                continue
            block: list[HtmlElement] = []
            for sibling in comment.itersiblings():
                if isinstance(sibling, etree._Comment) and policy.is_chart_comment(
                    sibling.text or "", policy.CHART_END
                ):
                    comment.tail = None
                    parent = comment.getparent()
                    for el in block:
                        parent.remove(el)  # with its tail: all inside the block
                    self.removed["chart"] += 1
                    break
                block.append(sibling)
        for comment in list(root.iter(etree.Comment)):
            comment.drop_tree()

    def remove_injections(self, root: HtmlElement) -> None:
        dropped: set[HtmlElement] = set()
        inside_link: set[HtmlElement] = set()  # counted once: span#stock_… > a.keytip
        for el in list(root.iter(etree.Element)):
            if el is root:
                continue
            if el.getparent() in dropped:
                dropped.add(el)
                continue
            found = policy.injection(el)
            if found is None:
                continue
            kind, action = found
            if el not in inside_link:
                self.removed[kind] += 1
            if action == policy.DROP:
                dropped.add(el)
                el.drop_tree()
            else:
                inside_link.update(el.iterdescendants())
                el.drop_tag()

    # -- structure ---------------------------------------------------------------------
    def restructure(self, el: HtmlElement) -> None:
        """Map ``el`` onto the allow-list (children are already done)."""
        tag = el.tag
        if tag == "h1":
            el.tag = tag = "h2"
        if tag == "li" and _inside_list_item(el):
            el.drop_tag()  # a list item directly inside another would not survive a re-parse
        elif tag in policy.LIST_ALIASES:
            el.tag = "ul"
        elif tag in policy.CONTAINER_TAGS:
            self.container(el)
        elif tag == "img":
            src = policy.absolute_http_url(el.get("src") or "", self.base_url)
            if src:
                el.set("src", src)
            else:
                self.removed["image"] += 1
                el.drop_tree()
        elif tag not in policy.ALLOWED_TAGS or (tag in _INLINE_ONLY and not _only_inline(el)):
            # Unknown, or a paragraph, heading or inline element around a block (the
            # HTML parsers disagree on where such an element ends): only its content stays.
            el.drop_tag()
        elif tag == "a":
            href = policy.absolute_http_url(el.get("href") or "", self.base_url)
            if href:
                el.set("href", href)
            else:
                el.drop_tag()
        else:
            _keep_presentation(el)

    def container(self, el: HtmlElement) -> None:
        """A layout container becomes a paragraph when it holds only inline content
        and may stand where it is; otherwise its content takes its place."""
        centred = el.tag == "center"
        if _only_inline(el) and _may_hold_paragraph(el):
            el.tag = "p"
            el.attrib.pop("class", None)
            if centred:
                el.set("style", _CENTRE)
            else:
                _keep_presentation(el)
            return
        if centred:
            for child in el:
                if child.tag in _TRIMMED and not policy.text_align(child.get("style") or ""):
                    child.set("style", _CENTRE)
        el.drop_tag()

    # -- boilerplate and empty elements --------------------------------------------------
    def drop_unwanted(self, el: HtmlElement) -> None:
        tag = el.tag
        if tag not in _REMOVED_WHEN_EMPTY:
            return
        text = self.cleaner.normalize(el.text_content()).strip()
        if not text and el.find(".//img") is None:
            self.removed["empty"] += 1
            el.drop_tree()
        elif (
            tag in _PARAGRAPHS
            and not (tag == "p" and "em_media" in el.classes)  # the attribution line
            and self.cleaner.rules.is_boilerplate(text, self.source)
        ):
            self.removed["boilerplate"] += 1
            el.drop_tree()

    def normalise_text(self, root: HtmlElement) -> None:
        normalize = self.cleaner.normalize
        for el in root.iter(etree.Element):
            if el.text:
                el.text = normalize(el.text)
            if el.tail and el is not root:
                el.tail = normalize(el.tail)


def _bottom_up(root: HtmlElement) -> Iterator[HtmlElement]:
    """Every element below ``root``, children before their parent."""
    elements = list(root.iter(etree.Element))
    return (el for el in reversed(elements) if el is not root)


def _inside_list_item(el: HtmlElement) -> bool:
    for ancestor in el.iterancestors():
        if ancestor.tag in _LIST_PARENTS:
            return False
        if ancestor.tag == "li":
            return True
    return False


def _only_inline(el: HtmlElement) -> bool:
    return not any(d.tag in policy.BLOCK_TAGS for d in el.iterdescendants())


def _may_hold_paragraph(el: HtmlElement) -> bool:
    """Whether a paragraph here stays a paragraph when the body is parsed again."""
    return all(ancestor.tag in _FLOW_PARENTS for ancestor in el.iterancestors())


def _keep_presentation(el: HtmlElement) -> None:
    """``style`` reduced to a known ``text-align`` and ``class`` to the allowed class,
    on the elements that may have them; otherwise both go."""
    style = el.get("style")
    if style is not None:
        align = policy.text_align(style) if el.tag in policy.STYLED_TAGS else ""
        if align:
            el.set("style", f"text-align:{align}")
        else:
            del el.attrib["style"]
    if el.get("class") is not None:
        kept = sorted(policy.ALLOWED_CLASSES.get(el.tag, set()) & set(el.classes))
        if kept:
            el.set("class", " ".join(kept))
        else:
            del el.attrib["class"]


def _trim(el: HtmlElement) -> None:
    """No whitespace at the ends of a block, no line break at its end."""
    while len(el) and el[-1].tag == "br" and not (el[-1].tail or "").strip():
        el.remove(el[-1])
    if el.text:
        el.text = el.text.lstrip()
    if len(el):
        if el[-1].tail:
            el[-1].tail = el[-1].tail.rstrip()
    elif el.text:
        el.text = el.text.rstrip()


def _is_block(node: HtmlElement) -> bool:
    return node.tag in policy.BLOCK_TAGS or not _only_inline(node)


def _wrap_loose_inline(root: HtmlElement, normalize: Callable[[str], str]) -> list[HtmlElement]:
    """Text and inline elements directly in the body go into paragraphs, so the body
    is a sequence of blocks (Markdown passes HTML blocks through untouched); line
    breaks and whitespace between blocks become one space."""
    if not (
        normalize(root.text or "").strip()
        or any(normalize(child.tail or "").strip() or not _is_block(child) for child in root)
    ):
        return []
    nodes: list[str | HtmlElement] = [root.text] if root.text else []
    for child in list(root):
        tail, child.tail = child.tail, None
        root.remove(child)
        nodes.append(child)
        if tail:
            nodes.append(tail)
    root.text = None
    run: list[str | HtmlElement] = []
    paragraphs: list[HtmlElement] = []
    for node in [*nodes, None]:
        if node is None or (not isinstance(node, str) and _is_block(node)):
            paragraph = _flush_run(root, run, normalize)
            if paragraph is not None:
                paragraphs.append(paragraph)
            run = []
            if node is not None:
                root.append(node)
        else:
            run.append(node)
    return paragraphs


def _flush_run(
    root: HtmlElement, run: list[str | HtmlElement], normalize: Callable[[str], str]
) -> HtmlElement | None:
    """Put one run of inline nodes back into ``root``: in a new paragraph (returned)
    when it shows something, else as at most one space."""
    if not run:
        return None
    has_content = any(
        normalize(node).strip() if isinstance(node, str) else node.tag != "br" for node in run
    )
    if not has_content:  # whitespace and line breaks between blocks
        _append_text(root, " " if any(isinstance(node, str) for node in run) else "")
        return None
    first, last = run[0], run[-1]
    if isinstance(first, str) and first[:1].isspace():
        _append_text(root, " ")
    paragraph = root.makeelement("p", {})
    for node in run:
        if isinstance(node, str):
            _append_text(paragraph, node)
        else:
            paragraph.append(node)
    root.append(paragraph)
    if isinstance(last, str) and last[-1:].isspace():
        _append_text(root, " ")
    return paragraph


def _append_text(parent: HtmlElement, text: str) -> None:
    """Append ``text`` after the last node of ``parent``, never doubling a space."""
    if not text:
        return
    if len(parent):
        last = parent[-1]
        current = last.tail or ""
    else:
        current = parent.text or ""
    if text == " " and current.endswith(" "):
        return
    if len(parent):
        parent[-1].tail = current + text
    else:
        parent.text = current + text
