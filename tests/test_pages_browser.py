"""The show's pages in a real browser (issue 15), on the real catalog at 320, 375 and 1280 px:
axe-core finds nothing on any page, nothing overflows, buttons are 44 px touch targets, search
finds a guest and a word of a transcript, the copy button copies the feed URL (or selects it),
home and theme pages weigh under 150 KiB without audio, and no request leaves the base URL.
Screenshots of each page go to test-artifacts/ at 375 and 1280 px."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from chromium import launched

from webtest import copy_of, serving, WIDTHS, Servers, axe_violations, screenshot

pytest.importorskip("playwright.sync_api", reason="run the README's test command (installs playwright)")

EPISODE = "erbm-melanie-delots"
PAGES = {"home": "", "archive": "archive/", "archive-2": "archive/page/2/", "themes": "themes/",
         "theme": "themes/economy/", "theme-2": "themes/economy/page/2/", "episode": f"episodes/{EPISODE}/",
         "about": "about/", "search": "search/?q=delots"}
SHOTS = ("home", "theme", "episode", "about", "search")
BUDGET = 150 * 1024  # bytes, without audio


@pytest.fixture(scope="module")
def servers(real_show: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("pages")
    root = copy_of(real_show, folder)
    with serving(root, folder) as s:
        yield s


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with launched("--mute-audio") as b:
        yield b


def open_page(browser: Any, servers: Servers, path: str, width: int, **context: Any) -> tuple[Any, Any, list[Any]]:
    ctx = browser.new_context(viewport={"width": width, "height": 800}, **context)
    page = ctx.new_page()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.goto(servers.base + path)
    page.wait_for_load_state("networkidle")
    return ctx, page, responses


def small_targets(page: Any) -> list[str]:
    """The page's buttons and button-like links smaller than 44 x 44 px (visible ones)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        '.button, header nav a, footer nav a, .pager a, .themes a, button:not([data-seek])'))
      .filter(e => e.offsetParent !== null)
      .map(e => [e, e.getBoundingClientRect()])
      .filter(([e, r]) => r.width < 44 || r.height < 44)
      .map(([e, r]) => e.outerHTML.slice(0, 80) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_fits_and_stays_on_the_show(servers: Servers, browser: Any, width: int) -> None:
    for name, path in PAGES.items():
        ctx, page, responses = open_page(browser, servers, path, width)
        try:
            if name == "home":  # with the subscribe panel open too
                page.click("details.subscribe summary")
            assert axe_violations(page) == [], (name, width)
            overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
            assert overflow[0] <= overflow[1], (name, width, overflow)
            assert small_targets(page) == [], (name, width)
            assert all(r.url.startswith(servers.base) for r in responses), (name, [r.url for r in responses])
            if width in (375, 1280) and name in SHOTS:
                page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # lazy images load
                page.wait_for_load_state("networkidle")
                page.evaluate("() => window.scrollTo(0, 0)")
                screenshot(page, f"pages-{name}-{width}px")
        finally:
            ctx.close()


def test_every_episode_page_and_the_other_list_pages_pass_axe(servers: Servers, browser: Any) -> None:
    """Beyond PAGES: every episode page (chapters or not, transcript or not, guests or not) and every
    theme page, at a phone's width, with the same checks."""
    paths = sorted(f"episodes/{p.name}/" for p in (servers.site / "episodes").iterdir() if p.is_dir())
    paths += sorted(f"themes/{p.name}/" for p in (servers.site / "themes").iterdir() if p.is_dir())
    assert len(paths) >= 29 + 4
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    page = ctx.new_page()
    try:
        for path in paths:
            page.goto(servers.base + path)
            page.wait_for_load_state("networkidle")
            assert axe_violations(page) == [], path
            overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
            assert overflow[0] <= overflow[1] and small_targets(page) == [], (path, overflow)
    finally:
        ctx.close()


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def transcript_only_word(site: Path) -> tuple[str, str, float]:
    """A word spoken in one episode's transcript and written nowhere in any episode's title,
    guests, place, themes or summary: (word, episode page, start of its first cue)."""
    index = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))["episodes"]
    written = fold(" ".join(" ".join([e["t"], *e["g"], e["p"], *e["th"], e["s"]]) for e in index))
    spoken: dict[str, list[tuple[str, float]]] = {}
    for e in index:
        for start, text in e["c"]:
            for w in set(re.findall(r"[a-z]{7,}", fold(text))):
                spoken.setdefault(w, [])
                if e["u"] not in [u for u, _ in spoken[w]]:
                    spoken[w].append((e["u"], start))
    for w, where in sorted(spoken.items()):
        if len(where) == 1 and w not in written and where[0][1] > 0:
            return w, where[0][0], where[0][1]
    raise AssertionError("no word of a transcript alone")


@pytest.mark.parametrize("width", (320, 1280))
def test_search_finds_a_guest_and_a_transcript_word(servers: Servers, browser: Any, width: int) -> None:
    ctx, page, _ = open_page(browser, servers, "search/", width)
    try:
        page.fill("#q", "MELANIE delots")  # a guest, whatever the case and the accents
        page.wait_for_selector(".results li")
        first = page.locator(".results li h2 a").first
        assert first.get_attribute("href") == f"{servers.base}episodes/{EPISODE}/"
        assert "trouvé" in page.inner_text("#results-status")
        word, url, start = transcript_only_word(servers.site)
        page.fill("#q", word)
        page.wait_for_function("w => document.querySelector('.results li .hit') && "
                               "document.querySelector('#results-status').textContent.startsWith('1 ')", arg=word)
        link = page.locator(".results li h2 a")
        assert link.count() == 1 and link.get_attribute("href") == f"{servers.base}{url}#t={start:g}"
        assert word in fold(page.inner_text(".results li .hit mark"))
        link.click()
        page.wait_for_load_state("load")
        assert page.url == f"{servers.base}{url}#t={start:g}"
        # the home page's box sends its query to the search page
        page.goto(servers.base)
        page.fill("#home-q", "delots")
        page.click("form[role=search] button")
        page.wait_for_selector(".results li")
        assert page.url.startswith(servers.base + "search/?q=delots")
    finally:
        ctx.close()


def test_copy_feed_button_copies_or_selects_the_address(servers: Servers, browser: Any) -> None:
    feed = servers.base + "feeds/all.xml"
    ctx, page, _ = open_page(browser, servers, "", 375, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.click("details.subscribe summary")
        page.click("button[data-copy]")
        page.wait_for_function("() => document.querySelector('.copied').textContent !== ''")
        assert page.evaluate("() => navigator.clipboard.readText()") == feed
        assert page.inner_text(".copied") == "Adresse copiée."
    finally:
        ctx.close()
    # no clipboard API (an old browser, a page not allowed it): the address is selected to copy by hand
    ctx, page, _ = open_page(browser, servers, "", 375)
    try:
        page.evaluate("() => Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        page.click("details.subscribe summary")
        page.click("button[data-copy]")
        selected = page.evaluate("() => { const i = document.activeElement; "
                                 "return [i.id, i.value.slice(i.selectionStart, i.selectionEnd)]; }")
        assert selected == ["feed-all", feed]
        assert page.inner_text(".copied") != ""
    finally:
        ctx.close()


@pytest.mark.parametrize("width", (375, 1280))
def test_home_and_theme_pages_weigh_under_150_kib(servers: Servers, browser: Any, width: int) -> None:
    if not (servers.site / "favicon.ico").is_file():
        pytest.skip("the thumbnails and icons come from the assets work (favicon.ico not built yet)")
    for path in ("", "archive/", "themes/economy/", "themes/llv/"):
        ctx, page, responses = open_page(browser, servers, path, width)
        try:
            page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_load_state("networkidle")
            sizes = {r.url: len(r.body()) for r in responses if ".mp3" not in r.url and r.status == 200}
            assert sum(sizes.values()) < BUDGET, (path, width, sum(sizes.values()), sorted(sizes.items(), key=lambda x: -x[1])[:5])
        finally:
            ctx.close()


def test_dark_pages_pass_axe(servers: Servers, browser: Any) -> None:
    """prefers-color-scheme: dark redefines the colour variables: the pages stay readable, the
    episode page's player, chapters and transcript included."""
    for name in ("home", "theme", "about", "search", "themes", "episode"):
        ctx, page, _ = open_page(browser, servers, PAGES[name], 375, color_scheme="dark")
        try:
            if name == "home":
                page.click("details.subscribe summary")
            assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgb(251, 250, 247)"
            assert axe_violations(page) == [], name
        finally:
            ctx.close()


ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"


def test_one_tap_subscribe_on_a_phone(servers: Servers, browser: Any) -> None:
    """On Android the home shows AntennaPod's https link beside the panel (one tap: the deeplink
    page hands over to the app); on an iPhone with no Apple ID in podcast.yaml (the demo's), the
    one button stays and opens the panel."""
    feed = quote(servers.base + "feeds/all.xml", safe="")
    ctx, page, _ = open_page(browser, servers, "", 375, user_agent=ANDROID, is_mobile=True, has_touch=True)
    try:
        one = page.query_selector(".hero .one-tap")
        assert one is not None and one.is_visible() and one.text_content() == "S’abonner dans AntennaPod"
        assert one.get_attribute("href").startswith(f"https://antennapod.org/deeplink/subscribe?url={feed}&title=")
        box = one.bounding_box()
        assert box["y"] + box["height"] < 800 and box["height"] >= 44  # above the fold, a thumb's size
        assert page.text_content(".hero details.subscribe summary") == "Autres applications"
        assert axe_violations(page) == [] and small_targets(page) == []
        screenshot(page, "pages-home-android-375px")
    finally:
        ctx.close()
    ctx, page, _ = open_page(browser, servers, "", 375, user_agent=IPHONE, is_mobile=True, has_touch=True)
    try:
        assert page.query_selector(".one-tap") is None
        assert page.text_content(".hero details.subscribe summary").startswith("S’abonner")
    finally:
        ctx.close()
