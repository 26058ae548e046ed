"""Named CSS selectors, evaluated in their declared try order.

The parser asks a page's `Index` (elements by id and class, built once per page); `compiled`
is the XPath meaning the index reproduces, and answers any selector the index does not parse.
cssselect turns "#p_title" into a walk over every element of the page; libxml2's HTML parser
already indexes ids, so a selector whose first step names an id starts from `id('…')`
instead: the same elements for pages with unique ids (HTML requires them), in a fraction of
the time. Everything else is cssselect's translation, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from cssselect import HTMLTranslator
from lxml import etree

from crawler.pages.normalize import clean_text

_TRANSLATOR = HTMLTranslator()
# "tag#id.class.class" as the first step, then the rest (" > h1", " a", "") of the selector.
_ID_FIRST_RE = re.compile(
    r"^(?P<tag>[a-zA-Z][\w-]*)?(?P<pre>(?:\.[\w-]+)*)#(?P<id>[\w-]+)(?P<post>(?:\.[\w-]+)*)"
    r"(?P<rest>(?:\s*>\s*|\s+).+)?$"
)


def css_to_xpath(selector: str) -> str:
    m = _ID_FIRST_RE.match(selector.strip())
    if not m:
        return _TRANSLATOR.css_to_xpath(selector)
    first = f"{m['tag'] or '*'}{m['pre']}{m['post']}"
    path = f"id('{m['id']}')"
    if first != "*":
        # Keep the tag and class conditions of the first step as a self:: test.
        path += f"[{_TRANSLATOR.css_to_xpath(first, prefix='self::')}]"
    rest = m["rest"]
    if rest:
        child = rest.strip().startswith(">")
        rest = rest.strip().lstrip(">").strip()
        path += "/" + _TRANSLATOR.css_to_xpath(rest, prefix="" if child else "descendant::")
    return path


@cache
def compiled(selectors: tuple[str, ...]) -> etree.XPath:
    """One XPath for all the selectors (their union, in document order)."""
    return etree.XPath(" | ".join(css_to_xpath(s) for s in selectors))


_NAME_RE = re.compile(r"[.#]([\w-]+)")


@cache
def _markers(selector: str) -> tuple[bytes, ...]:
    return tuple(name.encode("ascii") for name in _NAME_RE.findall(selector))


def may_match(selector: str, page: bytes) -> bool:
    """False when a class or id the selector names is nowhere in the page's (UTF-8) bytes.

    A byte search is far cheaper than a tree walk, and a name absent from the bytes cannot
    be on any element; a name present may still not match, so the selector is then run.
    """
    return all(marker in page for marker in _markers(selector))


_STRING_VALUE = etree.XPath("string()", smart_strings=False)


def text_content(el: etree._Element) -> str:
    """An element's text, as lxml.html's text_content() gives it, for plain lxml elements."""
    # Most elements asked are leaves, whose text is their .text; an XPath call costs far more.
    if not len(el):
        return el.text or ""
    return _STRING_VALUE(el)


# Where selectors are evaluated: a template's scope element first, then the whole page.
Roots = etree._Element | tuple[etree._Element, ...]

# A selector the index answers: compound steps ("tag#id.class.class", an id in the first step
# only) joined by " " or ">". Anything else (attributes, pseudo-classes) goes to XPath.
_STEP_RE = re.compile(r"(?P<tag>[a-zA-Z][\w-]*|\*)?(?P<names>(?:[.#][\w-]+)*)")
_COMBINATOR_RE = re.compile(r"\s*>\s*|\s+")
# XPath's normalize-space, which cssselect's class test uses, splits on these four only.
_CLASS_SPACE_RE = re.compile(r"[ \t\r\n]+")


# eq=False: one object per step text (see _step), so a step hashes and compares by identity,
# which is cheap enough to key the index's cache of first-step matches.
@dataclass(frozen=True, eq=False)
class _Step:
    tag: str | None  # None: any element
    id: str | None
    classes: tuple[str, ...]
    class_set: frozenset[str]  # the same classes, for one subset test per element


@cache
def _step(tag: str | None, id_: str | None, classes: tuple[str, ...]) -> _Step:
    return _Step(tag, id_, classes, frozenset(classes))


@cache
def _parsed(selector: str) -> tuple[tuple[_Step, ...], tuple[str, ...]] | None:
    """(steps, combinators between them) of a selector the index answers, else None."""
    text = selector.strip()
    parts = _COMBINATOR_RE.split(text)
    combinators = tuple(m.group().strip() or " " for m in _COMBINATOR_RE.finditer(text))
    steps = []
    for i, part in enumerate(parts):
        m = _STEP_RE.fullmatch(part)
        if not part or not m:
            return None
        names = re.findall(r"[.#][\w-]+", m["names"])
        ids = [n[1:] for n in names if n[0] == "#"]
        if len(ids) > 1 or (ids and i > 0):
            return None  # XPath answers these (cssselect's @id test, not the id index)
        tag = m["tag"].lower() if m["tag"] and m["tag"] != "*" else None
        classes = tuple(n[1:] for n in names if n[0] == ".")
        steps.append(_step(tag, ids[0] if ids else None, classes))
    return tuple(steps), combinators


_NO_CLASSES: frozenset[str] = frozenset()
# Written as element steps: libxml2 then skips text nodes, which "//@class" visits too.
_CLASS_ATTRIBUTES = etree.XPath("descendant-or-self::*/@class")


# libxml2 files each id as the parser meets it, so its id() gives the first element in
# document order that has it (or an <a name>, which HTML's table holds too). One compiled
# expression per id: passing the id as an XPath variable costs more than the lookup.
@cache
def _id_lookup(name: str) -> etree.XPath:
    return etree.XPath(f"id('{name}')")  # selector ids are [\w-]+: nothing to escape


_FIRST_WITH_ID = etree.XPath("(//*[@id = $name])[1]")


# Pages of one site share most of their class attributes: each value is split once. A plain
# dict, not lru_cache, because this is asked for every class attribute of every page and a
# dict lookup costs a fraction of lru_cache's call; cleared when it grows past any real site.
_TOKENS: dict[str, frozenset[str]] = {}
_TOKENS_MAX = 4096


def _class_tokens(value: str) -> frozenset[str]:
    tokens = _TOKENS.get(value)
    if tokens is None:
        if len(_TOKENS) >= _TOKENS_MAX:
            _TOKENS.clear()
        tokens = _TOKENS[str(value)] = frozenset(t for t in _CLASS_SPACE_RE.split(value) if t)
    return tokens


@cache
def split_tags(selectors: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(bare tag names, other selectors): the tags ("script", "form") are one walk for all,
    or a name test in a walk the caller makes anyway."""
    tags, rest = [], []
    for sel in selectors:
        parsed = _parsed(sel)
        step = parsed[0][0] if parsed and len(parsed[0]) == 1 else None
        if step and step.tag and step.id is None and not step.classes:
            tags.append(step.tag)
        else:
            rest.append(sel)
    return frozenset(tags), tuple(rest)


class Index:
    """One page's elements by id and by class, built once per page.

    A template tries dozens of selectors per page, and each XPath evaluation walked the whole
    tree again. With the index a selector starts from the elements its first step names (an
    id or class lookup) and goes down one step at a time. It finds exactly what the XPath of
    `compiled` finds, in document order: an id-first selector starts from the first element
    with that id, as libxml2's `id()` does, wherever the root is.
    """

    def __init__(self, doc: etree._Element) -> None:
        self.doc = doc
        classes: dict[str, list[etree._Element]] = {}
        tokens_of: dict[etree._Element, frozenset[str]] = {}
        # The class attributes, not every element: most elements have none, and asking each
        # of them costs more than one XPath walk. They come in document order. This runs for
        # every class attribute of every page, hence the local names and no setdefault (which
        # builds a list each time). Ids are not walked for: libxml2 keeps a table of them.
        known = _TOKENS
        for value in _CLASS_ATTRIBUTES(doc):
            if value:
                el = value.getparent()
                tokens = tokens_of[el] = known.get(value) or _class_tokens(value)
                for token in tokens:
                    pool = classes.get(token)
                    if pool is None:
                        classes[token] = [el]
                    else:
                        pool.append(el)
        self._ids: dict[str, etree._Element | None] = {}
        self._classes, self._tokens = classes, tokens_of
        # A template's selectors mostly start with the same step ("div.text_c > h1",
        # "div.text_c p.sou", ...): its matches under a root are found once.
        self._firsts: dict[tuple[etree._Element, _Step], list[etree._Element]] = {}

    def _by_id(self, name: str) -> etree._Element | None:
        """The first element whose id is `name`, from libxml2's id table (once per name)."""
        try:
            return self._ids[name]
        except KeyError:
            pass
        found = _id_lookup(name)(self.doc)
        if found and found[0].get("id") != name:
            # HTML's table also holds <a name="…">: then walk for the first real id.
            found = _FIRST_WITH_ID(self.doc, name=name)
        el = self._ids[name] = found[0] if found else None
        return el

    @cached_property
    def _position(self) -> dict[etree._Element, int]:
        """Every element's place in the document (only nested matches need it)."""
        return {el: i for i, el in enumerate(self.doc.iter(etree.Element))}

    def _matches(self, el: etree._Element, step: _Step) -> bool:
        if step.tag is not None and el.tag != step.tag:
            return False
        if step.id is not None and el.get("id") != step.id:
            return False
        return step.class_set <= self._tokens.get(el, _NO_CLASSES)

    def _first(self, root: etree._Element, step: _Step) -> list[etree._Element]:
        """Elements matching the first step, once per root and step (the list is shared)."""
        key = (root, step)
        found = self._firsts.get(key)
        if found is None:
            found = self._firsts[key] = self._first_uncached(root, step)
        return found

    def _first_uncached(self, root: etree._Element, step: _Step) -> list[etree._Element]:
        """Elements matching the first step: the id's element, or root and its descendants."""
        if step.id is not None:
            el = self._by_id(step.id)
            return [el] if el is not None and self._matches(el, step) else []
        if step.classes:
            pool = self._classes.get(step.classes[0], ())
            if root is not self.doc:
                # A class names few elements: asking each for its ancestors (a C-level scan)
                # is cheaper than collecting the root's subtree.
                pool = [el for el in pool if el is root or root in el.iterancestors()]
        else:
            pool = root.iter(step.tag or etree.Element)
        return [el for el in pool if self._matches(el, step)]

    def _below(self, above: list[etree._Element], step: _Step, child: bool):
        """Elements matching `step` that are children (or descendants) of any of `above`."""
        if step.classes:
            pool = self._classes.get(step.classes[0])
            if pool is None:  # most steps name a class the page does not have
                return []
            ups = set(above)
            if child:
                return [el for el in pool if el.getparent() in ups and self._matches(el, step)]
            return [
                el
                for el in pool
                if self._matches(el, step) and not ups.isdisjoint(el.iterancestors())
            ]
        tag = step.tag or etree.Element
        found: dict[etree._Element, None] = {}
        for up in above:
            for el in up.iterchildren(tag) if child else up.iterdescendants(tag):
                found[el] = None
        if len(above) > 1:
            # `above` is in document order, so disjoint subtrees give their elements in order.
            # Nested ones reach the same elements, out of order: dedupe, then document order.
            ups = set(above)
            if any(not ups.isdisjoint(up.iterancestors()) for up in above):
                return sorted(found, key=self._position.__getitem__)
        return list(found)

    def find(self, root: etree._Element, selector: str) -> list[etree._Element]:
        """The elements `selector` matches under `root`, in document order."""
        parsed = _parsed(selector)
        if parsed is None:
            return compiled((selector,))(root)
        steps, combinators = parsed
        first = steps[0]
        # Most selectors name a class or id the page does not have: answer those at once.
        if first.id is not None:
            if self._by_id(first.id) is None:
                return []
        elif first.classes and first.classes[0] not in self._classes:
            return []
        found = self._first(root, first)
        if len(steps) == 1:
            return list(found)  # a copy: the list itself is shared by later asks
        for step, combinator in zip(steps[1:], combinators, strict=True):
            if not found:
                return []
            found = self._below(found, step, combinator == ">")
        return found

    def find_all(self, root: etree._Element, selectors: Sequence[str]) -> set[etree._Element]:
        """Every element any of the selectors matches under `root`."""
        found: set[etree._Element] = set()
        tags, rest = split_tags(tuple(selectors))
        for sel in rest:
            found.update(self.find(root, sel))
        if tags:
            found.update(root.iter(*tags))
        return found

    def select(self, roots: Roots, selectors: Sequence[str]) -> list[etree._Element]:
        """In the first root where any selector matches: the elements of the first that does."""
        for root in roots if isinstance(roots, tuple) else (roots,):
            for sel in selectors:
                found = self.find(root, sel)
                if found:
                    return found
        return []

    def first_text(self, roots: Roots, selectors: Sequence[str]) -> str:
        """The first text, selectors in order, in the first root where any selector matches."""
        for root in roots if isinstance(roots, tuple) else (roots,):
            matched = False
            for sel in selectors:
                for el in self.find(root, sel):
                    matched = True
                    text = clean_text(text_content(el))
                    if text:
                        return text
            if matched:  # the fields are in this root, even if empty: no looking further out
                return ""
        return ""
