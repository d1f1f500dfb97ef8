"""The Resources section: short articles for a person with RLS, kept as data a clinician
reviews, loaded and checked once when the app starts.

This folder holds (the format is explained again at the top of `index.toml`, the file a
reviewer opens first):

    index.toml            the index page: its sections, and the order of the articles
    articles/<slug>.md    one article: TOML front matter between `+++` lines, then Markdown
    finding_articles.txt  every finding code -> the article that explains it (a pipe table
                          in the shape of the knowledge tables, read by the same reader)

Why Markdown: a reviewer reads it as plain text, with no tags to skip, and the renderer
(markdown-it-py, CommonMark, already installed with rich) runs with raw HTML off, so an
article can carry no script, style or markup the Content-Security-Policy would refuse.
Why placeholders: a clinical number is written `{th[id]}` or `{num[id]}`, as in
findings.toml, and filled from thresholds.txt and numbers.txt, so an article cannot say
75 where the engine decides at 100.

Everything is checked at import, so a bad article stops the app from starting and the
error names the file: a missing or unknown front-matter key, a source id that sources.txt
does not define, an unknown threshold, a heading out of order (the page's title is the
one <h1>), an image, a link that is not to another article, an article the index leaves
out, a finding code without an article.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.rules import check_keys, fill_constants, strings
from rlsiron.core.knowledge.sources import SOURCES, check_sources
from rlsiron.pipe_table import DataFileError, parse_table, unique
from rlsiron.web.report.view import Source

PREFIX: Final = "/resources"
INDEX: Final = "index.toml"
FINDING_ARTICLES: Final = "finding_articles.txt"
ARTICLES: Final = "articles"
_SUFFIX: Final = ".md"
_FENCE: Final = "+++"
_SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ARTICLE_LINK: Final = re.compile(rf"{PREFIX}/([^/#?]+)")
_REQUIRED: Final = {"title", "summary", "written", "sources"}
_OPTIONAL: Final = {"reviewed"}
# The page's <h1> is the article's title: an article's own headings start at <h2>.
_TOP_LEVEL: Final = 2
# CommonMark with raw HTML off: a tag in an article is shown as text, never as markup.
_MARKDOWN: Final = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """What a page needs to link to an article: its address and its title."""

    slug: str
    title: str

    @property
    def href(self) -> str:
        return f"{PREFIX}/{self.slug}"


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    summary: str
    written: dt.date
    reviewed: str | None  # who reviewed it and when, as the reviewer wrote it
    sources: tuple[Source, ...]
    html: Markup  # rendered with raw HTML off: safe to put in a page as it is

    @property
    def link(self) -> ArticleLink:
        return ArticleLink(self.slug, self.title)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Library:
    sections: tuple[Section, ...]
    articles: Mapping[str, Article]
    by_finding: Mapping[FindingCode, Article]


def _front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """The article's TOML front matter and its Markdown body."""
    first, _, rest = text.partition("\n")
    matter, fence, body = rest.partition(f"\n{_FENCE}\n")
    if first.strip() != _FENCE or not fence:
        raise DataFileError(where, f"an article starts with front matter between {_FENCE} lines")
    try:
        return tomllib.loads(matter), body
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(where, f"front matter: {exc}") from None


def _text(matter: Mapping[str, Any], key: str, where: str) -> str:
    value = matter[key]
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(where, f"{key} is text")
    return value


def _check_tokens(tokens: Iterable[Token], slugs: frozenset[str], where: str) -> None:
    """Headings in order from <h2>, no image, links to other articles only."""
    previous = _TOP_LEVEL - 1
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag.removeprefix("h"))
            if not _TOP_LEVEL <= level <= previous + 1:
                raise DataFileError(
                    where,
                    f"heading <{token.tag}> after <h{previous}>: the title is the one <h1>, "
                    "and headings go down one level at a time",
                )
            previous = level
        for child in token.children or ():
            if child.type == "image":
                raise DataFileError(where, "an article has no images")
            if child.type == "link_open":
                _check_link(str(child.attrs.get("href", "")), slugs, where)


def _check_link(href: str, slugs: frozenset[str], where: str) -> None:
    linked = _ARTICLE_LINK.fullmatch(href)
    if linked is None or linked[1] not in slugs:
        raise DataFileError(where, f"a link goes to another article ({PREFIX}/<slug>): {href!r}")


def _article(slug: str, text: str, slugs: frozenset[str], where: str) -> Article:
    matter, body = _front_matter(text, where)
    check_keys(matter, _REQUIRED, _OPTIONAL, where)
    written = matter["written"]
    if not isinstance(written, dt.date) or isinstance(written, dt.datetime):
        raise DataFileError(where, f"written is a date (2026-11-24), not {written!r}")
    ids = check_sources(strings(matter, "sources", where), where)
    if not ids:
        raise DataFileError(where, "an article names its sources")
    filled = fill_constants(body, where)
    if "{" in filled or "}" in filled:
        raise DataFileError(where, "a placeholder other than {th[id]} or {num[id]}")
    tokens = _MARKDOWN.parse(filled)
    _check_tokens(tokens, slugs, where)
    return Article(
        slug=slug,
        title=_text(matter, "title", where),
        summary=_text(matter, "summary", where),
        written=written,
        reviewed=_text(matter, "reviewed", where) if "reviewed" in matter else None,
        sources=tuple(Source(id, SOURCES[id]) for id in ids),
        html=Markup(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})),
    )


def _articles(folder: Traversable) -> dict[str, Article]:
    texts: dict[str, tuple[str, str]] = {}
    if not (folder / ARTICLES).is_dir():  # e.g. a wheel built without "**/*.md" as package data
        raise DataFileError(ARTICLES, "the folder of articles is missing")
    for entry in (folder / ARTICLES).iterdir():
        if entry.name.endswith(_SUFFIX):
            slug, where = entry.name.removesuffix(_SUFFIX), f"{ARTICLES}/{entry.name}"
            if not _SLUG.fullmatch(slug):
                raise DataFileError(where, "a file name is lower-case words joined by '-'")
            texts[slug] = (entry.read_text(encoding="utf-8"), where)
    slugs = frozenset(texts)
    return {
        slug: _article(slug, text, slugs, where) for slug, (text, where) in sorted(texts.items())
    }


def _sections(text: str, articles: Mapping[str, Article]) -> tuple[Section, ...]:
    """The index's sections; every article in exactly one of them, each named once."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(INDEX, str(exc)) from None
    check_keys(document, {"section"}, set(), INDEX)
    sections: list[Section] = []
    placed: list[str] = []
    for i, entry in enumerate(document["section"]):
        where = f"{INDEX} section[{i}]"
        check_keys(entry, {"title", "articles"}, set(), where)
        slugs = strings(entry, "articles", where)
        unknown = [s for s in slugs if s not in articles]
        if unknown:
            raise DataFileError(where, f"no article file for {unknown}")
        placed += slugs
        sections.append(Section(str(entry["title"]), tuple(articles[s] for s in slugs)))
    twice = sorted({s for s in placed if placed.count(s) > 1})
    left_out = sorted(set(articles) - set(placed))
    if twice or left_out:
        raise DataFileError(INDEX, f"articles listed twice {twice}, left out {left_out}")
    return tuple(sections)


def _by_finding(text: str, articles: Mapping[str, Article]) -> dict[FindingCode, Article]:
    found: dict[FindingCode, Article] = {}
    for _, row in unique(parse_table(text, FINDING_ARTICLES, ("finding", "article")), "finding"):
        code = row.choice("finding", tuple(FindingCode))
        if row["article"] not in articles:
            raise row.error(f"no article {row['article']!r}")
        found[code] = articles[row["article"]]
    missing = sorted(set(FindingCode) - set(found))
    if missing:
        raise DataFileError(FINDING_ARTICLES, f"findings without an article: {missing}")
    return found


def load_library(folder: Traversable) -> Library:
    """The articles of `folder`, its index and the findings' articles, every one checked."""
    articles = _articles(folder)
    return Library(
        sections=_sections((folder / INDEX).read_text(encoding="utf-8"), articles),
        articles=MappingProxyType(articles),
        by_finding=MappingProxyType(
            _by_finding((folder / FINDING_ARTICLES).read_text(encoding="utf-8"), articles)
        ),
    )


LIBRARY: Final = load_library(files(__package__))


def article_for(code: FindingCode | str) -> ArticleLink:
    """The article that explains a finding (every finding code has one: checked at load)."""
    return LIBRARY.by_finding[FindingCode(code)].link


def articles_for(codes: Iterable[FindingCode | str]) -> tuple[ArticleLink, ...]:
    """The articles of several findings, each once, in the findings' order."""
    return tuple(dict.fromkeys(article_for(code) for code in codes))
