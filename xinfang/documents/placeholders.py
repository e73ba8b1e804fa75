"""Our own template engine for .docx: ``{{名称}}`` placeholders anywhere in the text of the body,
tables, headers and footers, replaced run-safely.

Word splits typed text into runs at will (spell-check marks, edits, IME switches), so a
placeholder is found in the paragraph's joined text and written back into the runs it spans: the
first of them receives the value in its own formatting, the others lose only the placeholder's
characters. Formatting elsewhere in the paragraph is untouched.

Two rules give optional text without a template language:

* a paragraph that is nothing but one placeholder whose value has several lines becomes one
  paragraph per line, each formatted like the original;
* a paragraph in which every placeholder is empty is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn
from docx.parts.hdrftr import FooterPart, HeaderPart

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+?)\s*\}\}")
STRAY = re.compile(r"\{\{|\}\}|｛|｝")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SENTENCE_END = tuple("。；，：！？、.;,:!?")
#: Used for text we write into a run whose East Asian font is not said anywhere.
FALLBACK_EAST_ASIA_FONT = "仿宋_GB2312"

W_P = qn("w:p")
W_T = qn("w:t")
W_R = qn("w:r")
W_BODY = qn("w:body")
W_SECTPR = qn("w:sectPr")
W_PPR = qn("w:pPr")
W_RPR = qn("w:rPr")
W_RFONTS = qn("w:rFonts")
W_RSTYLE = qn("w:rStyle")
W_PSTYLE = qn("w:pStyle")
W_BASEDON = qn("w:basedOn")
W_VAL = qn("w:val")
W_EAST_ASIA = qn("w:eastAsia")
W_EAST_ASIA_THEME = qn("w:eastAsiaTheme")
XML_SPACE = qn("xml:space")

Element = Any  # lxml elements through python-docx, which ships no types


class TemplateError(ValueError):
    """The template asks for something the values do not have."""


@dataclass(frozen=True)
class Scan:
    """What a template's text contains: placeholder names in order, and broken braces."""

    names: tuple[str, ...]
    stray: tuple[str, ...]


def _stories(document: Any) -> list[Element]:
    roots = [document.element.body]
    for part in document.part.package.iter_parts():
        if isinstance(part, HeaderPart | FooterPart):
            roots.append(part.element)
    return roots


def _paragraphs(document: Any) -> Iterator[Element]:
    for root in _stories(document):
        # A list first: filling inserts and removes paragraphs while we walk.
        yield from list(root.iter(W_P))


def _paragraph_of(node: Element) -> Element | None:
    parent = node.getparent()
    while parent is not None and parent.tag != W_P:
        parent = parent.getparent()
    return parent


def _own_texts(paragraph: Element) -> list[Element]:
    """The paragraph's w:t nodes in order, without those of text boxes nested inside it."""
    return [t for t in paragraph.iter(W_T) if _paragraph_of(t) is paragraph]


def _joined(texts: list[Element]) -> str:
    return "".join(t.text or "" for t in texts)


def scan(document: Any) -> Scan:
    names: list[str] = []
    stray: list[str] = []
    for paragraph in _paragraphs(document):
        text = _joined(_own_texts(paragraph))
        names += [match.group(1) for match in PLACEHOLDER.finditer(text)]
        rest = PLACEHOLDER.sub("", text)
        broken = STRAY.search(rest)
        if broken is not None:  # one report per paragraph is enough to find it
            stray.append(rest[max(0, broken.start() - 6) : broken.end() + 6])
    return Scan(names=tuple(names), stray=tuple(stray))


def clean(text: str) -> str:
    """Text as a run may hold it: no control characters (XML forbids them), tabs as spaces."""
    return CONTROL.sub("", text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))


def inline(value: str) -> str:
    """Several lines inside a sentence: joined, with "；" where a line has no end mark."""
    out = ""
    for line in (part.strip() for part in value.split("\n")):
        if not line:
            continue
        if out and not out.endswith(SENTENCE_END):
            out += "；"
        out += line
    return out


class _Fonts:
    """Finds the East Asian font a run would show, through its styles and the defaults."""

    def __init__(self, document: Any) -> None:
        root = document.styles.element
        self.styles = {s.get(qn("w:styleId")): s for s in root.iter(qn("w:style"))}
        self.default_paragraph = next(
            (
                s
                for s in root.iter(qn("w:style"))
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in {"1", "true"}
            ),
            None,
        )
        defaults = root.find(qn("w:docDefaults"))
        self.defaults = None if defaults is None else defaults.find(f"{qn('w:rPrDefault')}/{W_RPR}")

    def _style_chain(self, style: Element | None) -> Iterator[Element]:
        seen: set[int] = set()
        while style is not None and id(style) not in seen:
            seen.add(id(style))
            yield style.find(W_RPR)
            based = style.find(W_BASEDON)
            style = None if based is None else self.styles.get(based.get(W_VAL))

    def _chain(self, run: Element, paragraph: Element) -> Iterator[Element | None]:
        run_props = run.find(W_RPR)
        run_style = None if run_props is None else run_props.find(W_RSTYLE)
        if run_style is not None:
            yield from self._style_chain(self.styles.get(run_style.get(W_VAL)))
        props = paragraph.find(W_PPR)
        para_style = None if props is None else props.find(W_PSTYLE)
        style = (
            self.styles.get(para_style.get(W_VAL))
            if para_style is not None
            else self.default_paragraph
        )
        yield from self._style_chain(style)
        yield self.defaults

    def ensure_east_asia(self, run: Element, paragraph: Element) -> None:
        """python-docx and many editors leave ``w:eastAsia`` off; Chinese text written into
        such a run would fall back to whatever the viewer picks. Say it on the run."""
        fonts = run.get_or_add_rPr().get_or_add_rFonts()
        if fonts.get(W_EAST_ASIA) or fonts.get(W_EAST_ASIA_THEME):
            return
        for props in self._chain(run, paragraph):
            found = None if props is None else props.find(W_RFONTS)
            if found is None:
                continue
            if found.get(W_EAST_ASIA):
                fonts.set(W_EAST_ASIA, found.get(W_EAST_ASIA))
                return
            if found.get(W_EAST_ASIA_THEME):
                return  # the theme's East Asian font is a real choice: keep it
        fonts.set(W_EAST_ASIA, FALLBACK_EAST_ASIA_FONT)


def _write(paragraph: Element, replacements: list[str], fonts: _Fonts) -> None:
    """Replace the paragraph's placeholders, in order, by ``replacements``."""
    texts = _own_texts(paragraph)
    lengths = [len(t.text or "") for t in texts]
    starts = [sum(lengths[:i]) for i in range(len(texts))]
    matches = list(PLACEHOLDER.finditer(_joined(texts)))

    def node_at(offset: int) -> int:
        return next(i for i, s in enumerate(starts) if s <= offset < s + lengths[i])

    # Right to left, so that what is left to do keeps its offsets.
    for match, value in reversed(list(zip(matches, replacements, strict=True))):
        first, last = node_at(match.start()), node_at(match.end() - 1)
        head = (texts[first].text or "")[: match.start() - starts[first]]
        tail = (texts[last].text or "")[match.end() - starts[last] :]
        for index in range(first + 1, last):
            texts[index].text = ""
        if last == first:
            texts[first].text = head + value + tail
        else:
            texts[first].text = head + value
            texts[last].text = tail
            texts[last].set(XML_SPACE, "preserve")
        texts[first].set(XML_SPACE, "preserve")
        run = texts[first].getparent()
        if run is not None and run.tag == W_R:
            fonts.ensure_east_asia(run, paragraph)


def _holds_section(paragraph: Element) -> bool:
    props = paragraph.find(W_PPR)
    return props is not None and props.find(W_SECTPR) is not None


def _drop(paragraph: Element) -> None:
    """Leave the paragraph out; blank it where a paragraph must stay (a section's last
    paragraph, the only paragraph of a table cell, header or footer)."""
    parent = paragraph.getparent()
    only_one = parent.tag != W_BODY and sum(1 for child in parent if child.tag == W_P) == 1
    if _holds_section(paragraph) or only_one:
        for text in _own_texts(paragraph):
            text.text = ""
        return
    parent.remove(paragraph)


def _value(values: Mapping[str, str], name: str) -> str:
    try:
        return clean(values[name])
    except KeyError:
        raise TemplateError(f"模板中有无法识别的占位符：{{{{{name}}}}}") from None


def _fill_paragraph(paragraph: Element, values: Mapping[str, str], fonts: _Fonts) -> None:
    texts = _own_texts(paragraph)
    joined = _joined(texts)
    matches = list(PLACEHOLDER.finditer(joined))
    if not matches:
        return
    found = [_value(values, match.group(1)) for match in matches]
    if not any(value.strip() for value in found):
        _drop(paragraph)
        return
    lines = [line.strip() for line in found[0].split("\n") if line.strip()]
    alone = len(matches) == 1 and joined.strip() == matches[0].group(0)
    if alone and len(lines) > 1 and not _holds_section(paragraph):
        for line in lines:
            copy = deepcopy(paragraph)
            _write(copy, [line], fonts)
            paragraph.addprevious(copy)
        paragraph.getparent().remove(paragraph)
        return
    _write(paragraph, [inline(value) for value in found], fonts)


def fill(document: Any, values: Mapping[str, str]) -> None:
    """Replace every placeholder of ``document`` (a python-docx Document) in place.
    Raises :class:`TemplateError` for a name ``values`` does not have."""
    fonts = _Fonts(document)
    for paragraph in _paragraphs(document):
        if paragraph.getparent() is None:
            continue  # already replaced by its copies
        _fill_paragraph(paragraph, values, fonts)
