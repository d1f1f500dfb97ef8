"""The Resources section: the index and every article as a reader gets them (signed in or
out), every finding linked to an article that exists, every article reachable from the
index, the clinical numbers filled from the engine's own tables, and the loader refusing
a broken article with an error that names the file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Final

import httpx
import pytest
from fastapi import FastAPI

import rlsiron.web.resources as resources_package
from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.knowledge.thresholds import number, threshold
from rlsiron.pipe_table import DataFileError
from rlsiron.web.pages.templating import environment
from rlsiron.web.resources import LIBRARY, article_for, load_library
from tests.web.conftest import Visitor
from tests.web.test_error_pages import BROWSER

FOLDER: Final = Path(resources_package.__file__).parent
ARTICLE_FILES: Final = sorted(p.stem for p in (FOLDER / "articles").glob("*.md"))
FEWEST_WORDS, MOST_WORDS = 150, 400
# A number written with a lab unit belongs in thresholds.txt, quoted as {th[id]}.
NUMBER_WITH_UNIT: Final = re.compile(r"\d\s*(?:%|µg/L|ug/L|ng/mL|mg/L|g/dL|pg/mL|mmol/L)")
PLACEHOLDER: Final = re.compile(r"\{(?:th|num)\[[^\]]+\]\}")


class Page(HTMLParser):
    """What a reader meets: headings in order, links, landmarks, and the text of #article."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.article_text = ""
        self.text = ""
        self._open: list[tuple[str, str]] = []  # open headings and links: (tag, href)
        self._text: list[str] = []
        self._article_depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "div" and (self._article_depth or attributes.get("id") == "article"):
            self._article_depth += 1
        if re.fullmatch(r"h[1-6]", tag) or tag == "a":
            self._open.append((tag, str(attributes.get("href", ""))))
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._article_depth:
            self._article_depth -= 1
        if self._open and self._open[-1][0] == tag:
            _, href = self._open.pop()
            words = " ".join("".join(self._text).split())
            if tag == "a":
                self.links.append((href, words))
            else:
                self.headings.append((tag, words))

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._open:
            self._text.append(data)
        if self._article_depth:
            self.article_text += data + " "

    def text_of(self, href: str) -> str:
        (words,) = [w for h, w in self.links if h == href]
        return words


def read(visitor: Visitor, path: str, **headers: str) -> tuple[httpx.Response, Page]:
    response = visitor.call("GET", path, headers=headers)
    return response, Page(response.text)


# ---------------------------------------------------------------- the index


def test_the_index_is_readable_signed_out_and_links_every_article(app: FastAPI) -> None:
    response, page = read(Visitor(app), "/resources")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page.headings[0] == ("h1", "Resources")
    assert "main-nav" not in page.ids  # nobody signed in: no navigation, no sign-out form
    assert page.text_of("/sign-in") == "Sign in to see how these apply to your own results"
    linked = sorted(h.removeprefix("/resources/") for h, _ in page.links if "/resources/" in h)
    assert linked == ARTICLE_FILES
    for section in LIBRARY.sections:
        assert ("h2", section.title) in page.headings
        for article in section.articles:
            assert page.text_of(f"/resources/{article.slug}") == article.title


def test_a_signed_in_reader_keeps_the_navigation(app: FastAPI) -> None:
    visitor = Visitor(app).sign_up()
    response, page = read(visitor, "/resources")
    assert response.status_code == 200
    assert "main-nav" in page.ids and "sign-out" in page.ids
    assert '<a href="/resources" aria-current="page">Resources</a>' in response.text
    assert "/sign-in" not in dict(page.links)
    _, article = read(visitor, "/resources/rls-and-iron")
    assert "main-nav" in article.ids


# ---------------------------------------------------------------- the articles


@pytest.mark.parametrize("slug", ARTICLE_FILES)
def test_every_article_is_a_short_page_ending_with_its_sources(app: FastAPI, slug: str) -> None:
    response, page = read(Visitor(app), f"/resources/{slug}")
    assert response.status_code == 200
    article = LIBRARY.articles[slug]
    levels = [int(tag[1]) for tag, _ in page.headings]
    assert page.headings[0] == ("h1", article.title) and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in pairwise(levels)), page.headings
    assert FEWEST_WORDS <= len(unescape(page.article_text).split()) <= MOST_WORDS
    dates = " ".join(page.text.split())
    assert "Written on 24 November 2026. Not yet reviewed by a clinician." in dates
    # The sources come after the text, each cited as sources.txt cites it.
    assert response.text.index('id="article"') < response.text.index('id="article-sources"')
    assert page.headings[-1] == ("h2", "Sources")
    for source in article.sources:
        assert f"<strong>{source.id}</strong>: {SOURCES[source.id]}" in unescape(response.text)
    assert "{" not in page.article_text  # every placeholder filled
    assert "style" not in page.tags and "script" not in page.tags[page.tags.index("main") :]
    assert page.text_of("/resources") == "All resources on iron and RLS"


def test_clinical_numbers_come_from_the_engines_tables(app: FastAPI) -> None:
    _, rls = read(Visitor(app), "/resources/rls-and-iron")
    for name in ("ferritin.rls_indicated", "tsat.rls_indicated", "ferritin.rls_indicated_50"):
        assert threshold(name).describe() in rls.article_text
    _, retest = read(Visitor(app), "/resources/when-to-retest")
    weeks = f"About {number('retest.after_oral_weeks').value:g} weeks after starting"
    assert weeks in " ".join(retest.article_text.split())


@pytest.mark.parametrize("slug", ARTICLE_FILES)
def test_no_article_writes_a_lab_value_as_a_number(slug: str) -> None:
    text = (FOLDER / "articles" / f"{slug}.md").read_text(encoding="utf-8")
    assert not NUMBER_WITH_UNIT.findall(PLACEHOLDER.sub("", text))


def test_raw_html_in_an_article_is_shown_as_text(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "articles" / "rls-and-iron.md"
    path.write_text(path.read_text() + "\n<script>alert(1)</script> <b>bold</b>\n")
    html = str(load_library(folder).articles["rls-and-iron"].html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<b>" not in html


def test_an_unknown_article_is_the_not_found_page(app: FastAPI) -> None:
    response, page = read(Visitor(app), "/resources/no-such-article", accept=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page.headings[0] == ("h1", "Page not found")
    assert "there is no article at this address" in response.text
    assert page.text_of("/resources") == "Read the resources on iron and RLS"


# ---------------------------------------------------------------- findings to articles


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_finding_links_to_an_article_that_exists(app: FastAPI, code: FindingCode) -> None:
    link = article_for(code)
    response, page = read(Visitor(app), link.href)
    assert response.status_code == 200
    assert page.headings[0] == ("h1", link.title)


def test_every_article_file_is_loaded_and_reachable_from_the_index(app: FastAPI) -> None:
    assert sorted(LIBRARY.articles) == ARTICLE_FILES
    _, index = read(Visitor(app), "/resources")
    reachable = {h for h, _ in index.links if h.startswith("/resources/")}
    for href in sorted(reachable):  # and the links inside the articles go somewhere real
        response, page = read(Visitor(app), href)
        assert response.status_code == 200, href
        reachable |= {h for h, _ in page.links if h.startswith("/resources/")}
    assert reachable == {f"/resources/{slug}" for slug in ARTICLE_FILES}


def test_templates_can_link_a_finding_to_its_article() -> None:
    template = environment().from_string(
        "{% set link = article_for(code) %}<a href='{{ link.href }}'>{{ link.title }}</a>"
        "|{% for l in articles_for(codes) %}{{ l.href }} {% endfor %}"
    )
    shared = ["iron.tsat_high", "iron.hemochromatosis", "labs.stale"]
    html = template.render(code="iron.tsat_high", codes=shared)
    single, several = html.split("|")
    assert (
        single
        == "<a href='/resources/iron-overload'>Too much iron: overload and haemochromatosis</a>"
    )
    assert several.split() == ["/resources/iron-overload", "/resources/when-to-retest"]


# ---------------------------------------------------------------- the loader refuses


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "resources"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


ARTICLE: Final = "articles/oral-iron.md"
BROKEN: Final = {
    "a missing field": (_edit(ARTICLE, "written = 2026-11-24\n", ""), [ARTICLE, "written"]),
    "an unknown key": (_edit(ARTICLE, "+++\n", "+++\nauthor = 'x'\n"), [ARTICLE, "author"]),
    "an unknown source": (_edit(ARTICLE, '"BSG-2021"', '"BSG-2099"'), [ARTICLE, "BSG-2099"]),
    "a date as text": (
        _edit(ARTICLE, "written = 2026-11-24", 'written = "last week"'),
        [ARTICLE, "written"],
    ),
    "an unknown threshold": (
        _edit(ARTICLE, "{th[ferritin.iv_band_upper]}", "{th[ferritin.iv_upper]}"),
        [ARTICLE, "ferritin.iv_upper"],
    ),
    "a stray placeholder": (_edit(ARTICLE, "Tablets often", "{dose} Tablets often"), [ARTICLE]),
    "a first-level heading": (_edit(ARTICLE, "## Absorbing", "# Absorbing"), [ARTICLE, "h1"]),
    "a skipped heading level": (_edit(ARTICLE, "## Absorbing", "### Absorbing"), [ARTICLE]),
    "an image": (_edit(ARTICLE, "Tablets often", "![pill](/p.png) Tablets"), [ARTICLE, "image"]),
    "a link elsewhere": (
        _edit(ARTICLE, "(/resources/iv-iron)", "(https://example.org)"),
        [ARTICLE, "https://example.org"],
    ),
    "a link to no article": (
        _edit(ARTICLE, "(/resources/iv-iron)", "(/resources/iv)"),
        [ARTICLE, "/resources/iv"],
    ),
    "no front matter": (_edit(ARTICLE, "+++\n", ""), [ARTICLE, "front matter"]),
    "an article left out of the index": (
        _edit("index.toml", '"oral-iron", ', ""),
        ["index.toml", "oral-iron"],
    ),
    "an index naming no file": (
        _edit("index.toml", '"oral-iron"', '"oral-irn"'),
        ["index.toml", "oral-irn"],
    ),
    "a finding without an article": (
        _edit("finding_articles.txt", "labs.stale                       | when-to-retest\n", ""),
        ["finding_articles.txt", "labs.stale"],
    ),
    "an article that does not exist": (
        _edit("finding_articles.txt", "| when-to-retest", "| retesting"),
        ["finding_articles.txt", "retesting"],
    ),
    "an unknown finding": (
        _edit("finding_articles.txt", "labs.stale ", "labs.stal "),
        ["finding_articles.txt", "labs.stal"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_resource_file_is_an_error_naming_it(tmp_path: Path, case: str) -> None:
    folder = _copy(tmp_path)
    assert load_library(folder).articles.keys() == LIBRARY.articles.keys()  # the copy loads
    edit, expected = BROKEN[case]
    edit(folder)
    with pytest.raises(DataFileError) as raised:
        load_library(folder)
    for words in expected:
        assert words in str(raised.value)
