"""Build the site from the shipped glossary and check every page, link, sitemap entry and the search index."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import html5lib
import pytest

from bot.config import default_glossary_dir
from bot.core.glossary import Term, load_glossary
from bot.site.build import MARKER, SiteError, build_site
from bot.site.model import build_model
from tests.conftest import SITE_BASE_URL, write_glossary

VOID = {"meta", "link", "input", "br", "img", "hr", "source", "area", "base", "col", "embed", "track", "wbr"}
FAKE_ORIGIN = "http://site.test/"


class PageCheck(HTMLParser):
    """Collect what the structure checks need, and every nesting error, from one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.canonical: list[str] = []
        self.label_for: list[str] = []
        self.headings: list[int] = []
        self.title = ""
        self.h1 = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "a" and values.get("href") is not None:
            self.hrefs.append(values["href"] or "")
        if tag == "link" and values.get("rel") == "canonical":
            self.canonical.append(values.get("href") or "")
        if (tag == "link" and values.get("rel") == "stylesheet") or (tag == "script" and values.get("src")):
            self.hrefs.append(values.get("href") or values.get("src") or "")
        if tag == "label":
            self.label_for.append(values.get("for") or "")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("title", "h1"):
            self._in = tag
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


def check_page(html: str) -> PageCheck:
    page = PageCheck()
    page.feed(html)
    page.close()
    return page


def target_file(site: Path, page_url: str, href: str) -> tuple[Path, str] | None:
    """Map an internal link to the file it opens and its fragment; None for an external link."""
    absolute = urljoin(page_url, href)
    if not absolute.startswith(FAKE_ORIGIN):
        return None
    parts = urlsplit(absolute)
    path = unquote(parts.path)[1:]
    if path == "" or path.endswith("/"):
        path += "index.html"
    return site / path, parts.fragment


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return load_glossary(default_glossary_dir())


@pytest.fixture(scope="module")
def pages(shipped_site: Path) -> dict[str, str]:
    """Every HTML page of the built site by its path from the root."""
    return {
        path.relative_to(shipped_site).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(shipped_site.rglob("*.html"))
    }


@pytest.fixture(scope="module")
def checked(pages: dict[str, str]) -> dict[str, PageCheck]:
    """Every page parsed once."""
    return {path: check_page(html) for path, html in pages.items()}


def test_one_page_per_term_and_per_module(shipped_site: Path, terms: list[Term]):
    term_pages = sorted(p.parent.name for p in (shipped_site / "terms").glob("*/index.html"))
    assert term_pages == sorted(t.slug for t in terms)
    assert len(list((shipped_site / "modules").glob("*/index.html"))) == 30
    for name in ("index.html", "404.html", "robots.txt", "sitemap.xml", "search-index.json", "static/site.css"):
        assert (shipped_site / name).is_file(), name
    assert (shipped_site / "static/vendor/minisearch-LICENSE.txt").read_text().startswith("Copyright")


def test_every_page_is_well_formed_with_a_title_an_h1_and_ordered_headings(
    pages: dict[str, str], checked: dict[str, PageCheck]
):
    for path, html in pages.items():
        page = checked[path]
        assert not page.errors, (path, page.errors[:3])
        assert page.stack == [], (path, page.stack)
        assert html.startswith('<!doctype html>\n<html lang="en">'), path
        assert page.title.strip(), path
        assert page.h1.strip(), path
        assert page.headings[0] == 1 and page.headings.count(1) == 1, path
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, f"{path}: h{before} followed by h{after}"
        assert len(page.ids) == len(set(page.ids)), path
        assert all(label in page.ids for label in page.label_for), path


def test_a_real_html5_parser_finds_no_parse_errors(pages: dict[str, str]):
    # html5lib implements the WHATWG parsing algorithm; strict mode raises on any parse error.
    # Index, modules and 404 in full, and every seventh term page, keep this under a few seconds.
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    chosen = [p for p in pages if not p.startswith("terms/")]
    chosen += [p for p in pages if p.startswith("terms/")][::7]
    for path in chosen:
        document = parser.parse(pages[path])
        assert document.find("head/title") is not None, path
        assert document.find("body").find(".//h1") is not None, path


def test_term_page_shows_the_whole_entry(pages: dict[str, str], terms: list[Term]):
    eoq = next(t for t in terms if t.slug == "economic-order-quantity")
    html = pages["terms/economic-order-quantity/index.html"]
    page = check_page(html)
    assert page.title == "Economic order quantity – TermiKnowledge"
    assert page.h1 == "Economic order quantity"
    assert page.canonical == [f"{SITE_BASE_URL}/terms/economic-order-quantity/"]
    assert '<span class="alias">EOQ</span>' in html
    assert "<h2>Formula</h2>" in html and "EOQ = sqrt(2 × D × S / H)" in html
    assert 'href="../../modules/13-order-quantities/"' in html
    model = build_model(terms)
    eoq_page = next(p for p in model.terms if p.term is eoq or p.term.slug == eoq.slug)
    for link in eoq_page.related:
        assert f'<a href="../../{link.path}">{link.name}</a>' in html
    assert eoq_page.next is not None and f'rel="next" href="../../{eoq_page.next.path}"' in html


def test_no_broken_internal_link(shipped_site: Path, checked: dict[str, PageCheck]):
    files = {p for p in shipped_site.rglob("*") if p.is_file()}
    ids = {shipped_site / path: set(page.ids) for path, page in checked.items()}
    count = 0
    for path, page in checked.items():
        if path == "404.html":
            continue  # its links are absolute to the published site; checked below
        page_url = FAKE_ORIGIN + path.removesuffix("index.html")
        for href in page.hrefs:
            target = target_file(shipped_site, page_url, href)
            assert target is not None, f"{path}: unexpected external link {href}"
            file, fragment = target
            assert file in files, f"{path}: {href} -> {file} is missing"
            assert not fragment or fragment in ids[file], f"{path}: {href}"
            count += 1
    assert count > 20_000
    not_found = checked["404.html"]
    assert f"{SITE_BASE_URL}/" in not_found.hrefs
    assert f"{SITE_BASE_URL}/static/site.css" in not_found.hrefs


def test_sitemap_lists_every_page_and_canonicals_match(
    shipped_site: Path, pages: dict[str, str], checked: dict[str, PageCheck]
):
    tree = ET.parse(shipped_site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in tree.getroot().findall("s:url/s:loc", ns)]
    expected = {f"{SITE_BASE_URL}/{p.removesuffix('index.html')}" for p in pages if p != "404.html"}
    assert len(locs) == len(set(locs)) == len(expected)
    assert set(locs) == expected
    for path in pages:
        if path != "404.html":
            assert checked[path].canonical == [f"{SITE_BASE_URL}/{path.removesuffix('index.html')}"], path
    robots = (shipped_site / "robots.txt").read_text()
    assert robots.startswith("User-agent: *\n")
    assert f"Sitemap: {SITE_BASE_URL}/sitemap.xml" in robots


def test_index_lists_every_term_a_to_z_and_the_modules_with_sizes(pages: dict[str, str], terms: list[Term]):
    html = pages["index.html"]
    assert html.count('<li><a href="./terms/') == len(terms)
    assert '<a href="#letter-a">A</a>' in html and 'id="letter-z"' in html
    assert '<a href="./modules/22-lean/">Lean</a> <span class="count">' in html
    assert "View All" in html


def test_search_index_covers_every_term(shipped_site: Path, terms: list[Term]):
    index = json.loads((shipped_site / "search-index.json").read_text(encoding="utf-8"))
    assert [row[5] for row in index["terms"]] == [p.term.slug for p in build_model(terms).terms]
    for row in index["terms"]:
        assert (shipped_site / "terms" / row[5] / "index.html").is_file()
    # Loaded only on the search box's first focus; about 300 bytes a term keeps it near 400 kB gzipped.
    assert (shipped_site / "search-index.json").stat().st_size < 320 * len(terms)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_is_deterministic(tmp_path: Path, shipped_site: Path, terms: list[Term]):
    again = tmp_path / "again"
    build_site(terms, again, SITE_BASE_URL)
    first, second = files_of(shipped_site), files_of(again)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_rebuild_replaces_an_earlier_build_and_spares_other_folders(tmp_path: Path):
    small = load_glossary(write_glossary(tmp_path / "g"))
    out = tmp_path / "out"
    build_site(small, out)
    stale = out / "terms" / "gone" / "index.html"
    stale.parent.mkdir()
    stale.write_text("old")
    report = build_site(small, out)
    assert not stale.exists()
    assert (out / MARKER).is_file()
    assert report.pages == 1 + 30 + len(small) + 1
    assert report.total_bytes == sum(len(b) for b in files_of(out).values())
    # Without a base URL the sitemap and canonical links are root-relative.
    assert "<loc>/terms/backlog/</loc>" in (out / "sitemap.xml").read_text()
    assert "Sitemap:" not in (out / "robots.txt").read_text()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not empty"):
        build_site(small, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_cli_site_command(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "SITE_URL"}}
    env.update({"GLOSSARY_DIR": str(write_glossary(tmp_path / "g")), "DATABASE_PATH": str(tmp_path / "tk.db")})

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "site", *args],
            capture_output=True, text=True, env={**env, **extra}, cwd=tmp_path, timeout=60,
        )  # fmt: skip

    done = run("public", "--base-url", "https://tk.example.org/")
    assert done.returncode == 0, done.stderr
    assert "Wrote 42 pages" in done.stdout and "python3 -m http.server" in done.stdout
    assert (tmp_path / "public/terms/kanban/index.html").is_file()
    assert "https://tk.example.org/terms/kanban/" in (tmp_path / "public/sitemap.xml").read_text()
    from_env = run("public", SITE_URL="https://env.example.org")
    assert from_env.returncode == 0, from_env.stderr
    assert "https://env.example.org/terms/kanban/" in (tmp_path / "public/sitemap.xml").read_text()
    bad = run("elsewhere", "--base-url", "ftp://tk.example.org")
    assert bad.returncode == 2 and "--base-url" in bad.stderr
    assert not (tmp_path / "elsewhere").exists()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_both_themes_meet_wcag_aa_contrast():
    css = (Path(__file__).resolve().parents[1] / "bot/site/static/site.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    for theme in (light, dark):
        colours = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6});", theme))
        for fg in ("text", "muted", "link"):
            for bg in ("bg", "surface", "active"):
                assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg, theme[:40])
        # Non-text contrast (focus ring, input border) needs 3:1.
        assert contrast(colours["focus"], colours["bg"]) >= 3
        assert contrast(colours["muted"], colours["bg"]) >= 3
