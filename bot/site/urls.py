"""The site's URL scheme, shared by the site builder and the bot's term cards."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from bot.core.modules import module_number
from bot.core.normalize import slugify


def term_path(slug: str) -> str:
    """Return a term page's path relative to the site root, e.g. `terms/backlog/`."""
    return f"terms/{quote(slug, safe='')}/"


def module_path(module: str) -> str:
    """Return a module page's path relative to the site root, e.g. `modules/08-demand-management/`."""
    return f"modules/{module_number(module):02d}-{slugify(module)}/"


def site_root(site_url: str) -> str:
    """Return a site URL with exactly one trailing slash."""
    return site_url.rstrip("/") + "/"


def term_url(site_url: str | None, slug: str) -> str | None:
    """Return the absolute URL of a term's page, or None when no site is published."""
    if not site_url or not site_url.strip():
        return None
    return site_root(site_url.strip()) + term_path(slug)


def is_site_url(text: str) -> bool:
    """Tell whether text is an absolute http(s) URL with a host and no query or fragment."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and not any(ch.isspace() for ch in text)
    )
