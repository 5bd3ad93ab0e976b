"""The built site in headless Chromium: search as a learner types, follow a result, phone layout.

Uses the system Chromium (Debian's `chromium` package, installed by `.ci/run` when missing) through
Playwright; Playwright never downloads a browser here. Set TK_SCREENSHOTS=<folder> to keep screenshots.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no system Chromium: `apt-get install chromium` (.ci/run installs it when missing)"
)
PHONE = {"width": 375, "height": 740}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(shipped_site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(shipped_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.errors = errors
    yield tab
    context.close()
    assert errors == [], errors


def shoot(tab: Any, name: str) -> None:
    folder = os.environ.get("TK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / f"{name}.png"))


def results(tab: Any) -> list[str]:
    return tab.locator("#search-results [role=option] .name").all_inner_texts()


def type_query(tab: Any, text: str) -> None:
    box = tab.get_by_label("Search the glossary")
    box.click()
    box.fill("")
    box.press_sequentially(text, delay=25)  # key by key, as a learner types


def test_typo_search_finds_the_term_and_the_result_opens_it(page: Any, site_url: str):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site_url)
    assert page.title().startswith("View All")
    # The index loads lazily: nothing is fetched before the search box is focused.
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.MiniSearch") == "undefined"
    assert not [url for url in requested if "search-index" in url or "minisearch" in url]
    type_query(page, "econmic order quanity")
    page.wait_for_function("document.querySelectorAll('#search-results a[role=option]').length > 0")
    page.wait_for_timeout(150)
    found = results(page)
    assert found[0] == "Economic order quantity", found
    assert sum(url.endswith("/search-index.json") for url in requested) == 1
    box = page.get_by_label("Search the glossary")
    assert box.get_attribute("aria-expanded") == "true"
    shoot(page, "search")
    page.get_by_role("option", name="Economic order quantity").first.click()
    page.wait_for_url("**/terms/economic-order-quantity/")
    assert page.locator("h1").inner_text() == "Economic order quantity"
    definition = page.locator("p.definition").inner_text()
    assert "annual ordering cost and annual carrying cost" in definition
    shoot(page, "term")


RANKING = [
    ("s&op", "Sales and operations planning"),
    ("EOQ", "Economic order quantity"),
    ("S and OP", "Sales and operations planning"),
    ("safety stok", "Safety stock"),
    ("materail requirments planing", "Material requirements planning"),
    ("what is kanban", "Kanban"),
    ("reorder piont", "Reorder point"),
]


def test_search_ranking(page: Any, site_url: str):
    page.goto(site_url + "terms/backlog/")
    firsts = {}
    for query, _ in RANKING:
        type_query(page, query)
        page.wait_for_function("document.querySelectorAll('#search-results a[role=option]').length > 0")
        page.wait_for_timeout(100)
        firsts[query] = results(page)[0]
    assert firsts == dict(RANKING)


def test_definition_hits_rank_below_name_hits_and_nonsense_finds_nothing(page: Any, site_url: str):
    page.goto(site_url)
    type_query(page, "bullwhip")
    page.wait_for_function("document.querySelectorAll('#search-results a[role=option]').length > 1")
    page.wait_for_timeout(100)
    metas = page.locator("#search-results [role=option] .meta").all_inner_texts()
    assert results(page)[0] == "Bullwhip effect"
    flags = [meta == "mentioned in the definition" for meta in metas]
    assert any(flags) and flags == sorted(flags)  # name matches first, then definition mentions
    type_query(page, "xyzzyq")
    page.wait_for_timeout(200)
    assert results(page) == []
    assert "No term matches" in page.locator("#search-results").inner_text()


def test_keyboard_only(page: Any, site_url: str):
    page.goto(site_url)
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    type_query(page, "eoq")
    page.wait_for_function("document.querySelectorAll('#search-results a[role=option]').length > 2")
    page.wait_for_timeout(100)
    box = page.get_by_label("Search the glossary")
    box.press("ArrowDown")
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active == "search-option-1"
    shoot(page, "search-keyboard")
    second = page.locator(f"#{active} .name").inner_text()
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == "search-option-0"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")  # reopens the results
    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == second


def no_horizontal_scroll(tab: Any) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_phone_layout_has_no_horizontal_scroll(browser: Any, site_url: str):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    tab = context.new_page()
    try:
        for path in ("", "terms/economic-order-quantity/", "modules/13-order-quantities/"):
            tab.goto(site_url + path)
            assert no_horizontal_scroll(tab), path
        tab.goto(site_url + "terms/total-relevant-cost/")
        type_query(tab, "econmic order quanity")
        tab.wait_for_function("document.querySelectorAll('#search-results a[role=option]').length > 0")
        assert no_horizontal_scroll(tab)
        shoot(tab, "phone-search")
        tab.goto(site_url + "terms/economic-order-quantity/")
        shoot(tab, "phone-term")
        tab.goto(site_url)
        shoot(tab, "phone-index")
    finally:
        context.close()


def test_dark_theme_follows_the_system_setting(browser: Any, site_url: str):
    backgrounds = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1100, "height": 900})
        tab = context.new_page()
        tab.goto(site_url + "terms/economic-order-quantity/")
        backgrounds[scheme] = tab.evaluate("getComputedStyle(document.body).backgroundColor")
        if scheme == "dark":
            shoot(tab, "term-dark")
        context.close()
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(20, 23, 28)"}


def test_index_screenshot_and_letter_navigation(page: Any, site_url: str):
    page.goto(site_url)
    shoot(page, "index")
    page.get_by_role("navigation", name="Jump to a letter").get_by_role("link", name="K", exact=True).click()
    assert page.url.endswith("#letter-k")
    assert page.locator("#letter-k").is_visible()
    shoot(page, "index-letter-k")
