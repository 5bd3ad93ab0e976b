"""Write the glossary site as static files: HTML pages, the search index, sitemap, robots and 404."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2

from bot.core.glossary import Term
from bot.site.model import SiteModel, build_model, search_index
from bot.site.urls import site_root

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
TEMPLATES_DIR = _HERE / "templates"
MARKER = ".termiknowledge-site"
SEARCH_INDEX = "search-index.json"


class SiteError(Exception):
    """The site cannot be written where it was asked to go."""


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build wrote."""

    pages: int
    files: int
    total_bytes: int
    index_bytes: int


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _depth_root(path: str) -> str:
    """Return the relative way back to the site root from a page at `path`, so the folder works anywhere."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def _prepare(out_dir: Path) -> None:
    """Empty a folder this command built before; refuse to clear any other non-empty folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SiteError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).is_file():
            raise SiteError(f"{out_dir} is not empty and was not written by `termiknowledge site`; pick another")
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def sitemap(model: SiteModel, base_url: str | None) -> str:
    """Return sitemap.xml listing every page (root-relative URLs when no base URL is known)."""
    root = site_root(base_url) if base_url else "/"
    rows = "".join(f"<url><loc>{escape(root + path)}</loc></url>\n" for path in model.pages())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</urlset>\n"
    )


def robots(base_url: str | None) -> str:
    """Return robots.txt: everything may be crawled; the sitemap is named when its URL is known."""
    text = "User-agent: *\nAllow: /\n"
    if base_url:
        text += f"Sitemap: {site_root(base_url)}sitemap.xml\n"
    return text


def build_site(terms: Sequence[Term], out_dir: Path, base_url: str | None = None) -> BuildReport:
    """Write the whole site for `terms` into `out_dir`; the same input always gives the same bytes."""
    model = build_model(terms)
    _prepare(out_dir)
    env = _environment()
    root = site_root(base_url) if base_url else "/"
    common = {"model": model, "total": f"{len(model.terms):,}"}
    written: list[Path] = []

    def write(path: str, text: str) -> None:
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)

    def page(path: str, template: jinja2.Template, **context: object) -> None:
        html = template.render(root=_depth_root(path), canonical=root + path, **common, **context)
        write(path + "index.html", html)

    page("", env.get_template("index.html"))
    module_template = env.get_template("module.html")
    for index, module in enumerate(model.modules):
        previous = model.modules[index - 1] if index > 0 else None
        following = model.modules[index + 1] if index + 1 < len(model.modules) else None
        page(module.path, module_template, module=module, previous=previous, next=following)
    term_template = env.get_template("term.html")
    for term_page in model.terms:
        page(term_page.path, term_template, page=term_page)
    # Hosts serve 404.html at any depth, so its links must not be relative.
    write("404.html", env.get_template("404.html").render(root=root, canonical=None, **common))
    write(SEARCH_INDEX, json.dumps(search_index(model), ensure_ascii=False, separators=(",", ":")) + "\n")
    write("sitemap.xml", sitemap(model, base_url))
    write("robots.txt", robots(base_url))
    for source in sorted(STATIC_DIR.rglob("*")):
        if source.is_file():
            target = out_dir / "static" / source.relative_to(STATIC_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    write(MARKER, "Written by `termiknowledge site`; the next build empties this folder.\n")
    return BuildReport(
        pages=len(model.pages()) + 1,
        files=len(written),
        total_bytes=sum(path.stat().st_size for path in written),
        index_bytes=(out_dir / SEARCH_INDEX).stat().st_size,
    )
