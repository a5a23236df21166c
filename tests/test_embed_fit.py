"""The partner embed fits its iframe, in Debian's chromium, on the repository's real catalog.

A partner page on another origin holds the snippet exactly as ``artoiscast embed`` prints it (or
oEmbed's ``html``); its script sets the iframe's height from the embed's messages. At 320, 375 and
1280 px, for every theme (n=3 and n=5, closed and with every chapters and transcript toggle opened)
and every single-episode embed, the iframe is as tall as its content and the embed has no
scrollbar; closed, the content is as tall as site.EMBED_* say (the static height the snippet
writes is what n episodes with chapters take: the most n closed episodes take).
One page per width: the iframe's src changes between cases. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from chromium import launched
from click.testing import CliRunner

from artoiscast.catalog import load_catalog
from artoiscast.cli import cli
from artoiscast.site import (EMBED_FOOT_HEIGHT, EMBED_HEAD_HEIGHT, EMBED_PLAYER_BARE, EMBED_PLAYER_HEIGHT,
                             embed_height)
from webtest import copy_of, serving, WIDTHS, Servers, axe_violations, screenshot

pytest.importorskip("playwright.sync_api", reason="run the README's test command (installs playwright)")

HEIGHT = """() => { const d = document.documentElement; return {
  scroll: d.scrollHeight, client: d.clientHeight, bottom: Math.ceil(document.body.getBoundingClientRect().bottom + scrollY),
  bar: innerWidth - d.clientWidth }; }"""


@pytest.fixture(scope="module")
def show(real_show: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Servers, Path]]:
    folder = tmp_path_factory.mktemp("fit")
    root = copy_of(real_show, folder)
    with serving(root, folder) as servers:
        yield servers, root


@pytest.fixture(scope="module")
def browser(show: tuple[Servers, Path]) -> Iterator[Any]:
    with launched() as b:
        yield b


def snippet(root: Path, base: str, theme: str, n: int, *extra: str) -> str:
    """What ``artoiscast embed THEME --n N`` prints (without its final newline)."""
    res = CliRunner().invoke(cli, ["embed", theme, "--n", str(n), "--root", str(root), "--base-url", base, *extra])
    assert res.exit_code == 0, res.output
    assert res.output.count("\n") == 1  # one line: the iframe, then its script
    return res.output.rstrip("\n")


def partner(servers: Servers, name: str, body: str, width: int) -> str:
    servers.pages[name] = (f'<!doctype html><html lang="fr"><title>Partenaire</title><body style="margin:0">'
                           f'<div style="width:{width}px">{body}</div><p>Après l’embed.</p></body></html>')
    return servers.partner_url + name


def measure(page: Any, index: int = 0) -> tuple[int, dict[str, int]]:
    """The iframe's height in the partner page and its content's, once they agree (or after 5 s)."""
    frame = page.query_selector_all("iframe")[index].content_frame()
    last: tuple[int, dict[str, int]] | None = None
    for _ in range(100):
        now = (page.evaluate(f"() => document.querySelectorAll('iframe')[{index}].getBoundingClientRect().height"),
               frame.evaluate(HEIGHT))
        if last == now and abs(now[0] - now[1]["scroll"]) <= 1 and abs(now[0] - now[1]["bottom"]) <= 1:
            return now
        last = now
        page.wait_for_timeout(50)
    return now


def assert_fits(page: Any, case: str, index: int = 0) -> int:
    iframe, inner = measure(page, index)
    assert abs(iframe - inner["scroll"]) <= 1 and abs(iframe - inner["bottom"]) <= 1, (case, iframe, inner)
    assert inner["scroll"] <= inner["client"] and inner["bar"] == 0, (case, "an inner scrollbar", inner)
    return inner["bottom"]


def navigate(page: Any, url: str, index: int = 0) -> Any:
    """Point the partner's iframe at ``url`` (its src, as a partner would) and wait for the embed."""
    frame = page.query_selector_all("iframe")[index].content_frame()
    frame.wait_for_load_state("load")
    if frame.url != url:  # setting the same src again would reload it
        with frame.expect_navigation(url=url):
            page.evaluate("([i, u]) => { document.querySelectorAll('iframe')[i].src = u; }", [index, url])
    frame.wait_for_load_state("load")
    return frame


def player_box(frame: Any) -> list[float]:
    """The heights of the player boxes shown (what site.EMBED_PLAYER_HEIGHT says), for messages."""
    return frame.eval_on_selector_all("li:not([hidden]) > .play", "ps => ps.map(p => p.getBoundingClientRect().height)")


def closed_height(frame: Any) -> int:
    """What the shown episodes take closed, by site.EMBED_*: each 123 px and its player's box
    (with its chapters row or without), under the header, above the footer."""
    chapters = frame.eval_on_selector_all("li:not([hidden]) > .play", "ps => ps.map(p => !!p.querySelector('.pl-chap'))")
    single = frame.evaluate("() => document.body.classList.contains('single')")
    each = 83 if single else 123
    return EMBED_HEAD_HEIGHT + EMBED_FOOT_HEIGHT + sum(
        each + (EMBED_PLAYER_HEIGHT if c else EMBED_PLAYER_BARE) for c in chapters)


def open_all(frame: Any) -> int:
    """Open every visible chapters and transcript toggle; wait for the transcripts. How many opened."""
    summaries = frame.query_selector_all("li:not([hidden]) details > summary")
    for s in summaries:
        s.click()
    frame.wait_for_function("() => [...document.querySelectorAll('li:not([hidden]) details.transcript')]"
                            ".every(d => d.open && d.querySelector('.cues li'))")
    return len(summaries)


def test_theme_embeds_fit_every_width(show: tuple[Servers, Path], browser: Any) -> None:
    servers, root = show
    themes = load_catalog(root, check_files=False).themes
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width + 40, "height": 900})
        first = snippet(root, servers.base, themes[0], 3)
        page.goto(partner(servers, f"themes-{width}.html", first, width))
        for theme in themes:
            for n in (3, 5):
                src = lxml.html.fragments_fromstring(snippet(root, servers.base, theme, n))[0].get("src")
                frame = navigate(page, src)
                shown = frame.eval_on_selector_all("[data-embed-list] > li:not([hidden])", "l => l.length")
                closed = assert_fits(page, f"{theme} n={n} {width}px closed")
                assert shown == n and closed == closed_height(frame) <= embed_height(n), (
                    theme, n, width, closed, player_box(frame))
                if width in (320, 1280) and theme == themes[0] and n == 3:
                    screenshot(page, f"embed-fit-{width}px-closed")
                assert open_all(frame) >= n  # every episode has chapters or a transcript
                opened = assert_fits(page, f"{theme} n={n} {width}px open")
                assert opened > closed + 200, (theme, n, width, opened, closed)
                if width in (320, 1280) and theme == themes[0] and n == 3:
                    screenshot(page, f"embed-fit-{width}px-open")
        page.close()


def test_single_episode_embeds_fit_and_oembed_says_their_height(show: tuple[Servers, Path], browser: Any) -> None:
    servers, root = show
    oembeds = sorted((servers.site / "oembed").glob("*.json"))
    assert len(oembeds) == 29
    docs = [json.loads(p.read_bytes()) for p in oembeds]
    assert {d["width"] for d in docs} == {640}
    assert {d["height"] for d in docs} == {EMBED_HEAD_HEIGHT + 83 + p + EMBED_FOOT_HEIGHT  # with chapters, without
                                          for p in (EMBED_PLAYER_HEIGHT, EMBED_PLAYER_BARE)}
    for width in (*WIDTHS, 640):  # 640: oEmbed's width
        page = browser.new_page(viewport={"width": width + 40, "height": 900})
        page.goto(partner(servers, f"single-{width}.html", docs[0]["html"], width))
        for doc in docs:
            src = lxml.html.fragments_fromstring(doc["html"])[0].get("src")
            navigate(page, src)
            closed = assert_fits(page, f"{src} {width}px")
            assert closed == doc["height"] == closed_height(page.frames[1]), (
                src, width, closed, doc["height"], player_box(page.frames[1]))
        if width in (320, 1280):
            screenshot(page, f"embed-single-{width}px")
        page.close()


class Stranger(BaseHTTPRequestHandler):
    """A third origin: its page, framed by the partner's, posts fake heights to its parent."""

    def do_GET(self) -> None:
        body = ('<!doctype html><title>x</title><script>for (let i = 0; i < 5; i++) parent.postMessage('
                '{type: "artoiscast:height", height: 3000 + i, id: "/embed/x"}, "*");'
                'parent.postMessage("stranger-done", "*");</script>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_several_embeds_each_fit_and_strangers_are_ignored(show: tuple[Servers, Path], browser: Any) -> None:
    servers, root = show
    stranger = ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    threading.Thread(target=stranger.serve_forever, daemon=True).start()
    try:
        one = json.loads((servers.site / "oembed" / "gazonor-yann-fouant.json").read_bytes())["html"]
        twice = snippet(root, servers.base, "energy", 3)
        body = (f'{twice}<p>Entre deux.</p>{twice}<p>Encore.</p>{one}'
                f'<iframe src="http://127.0.0.1:{stranger.server_port}/" title="Autre site" height="50"></iframe>'
                '<script>addEventListener("message", e => { if (e.data === "stranger-done") window.strangerDone = true; });'
                'postMessage({type: "artoiscast:height", height: 4000, id: "/embed/x"}, "*");</script>')
        page = browser.new_page(viewport={"width": 415, "height": 900})
        page.goto(partner(servers, "several.html", body, 375))
        page.wait_for_function("() => window.strangerDone")
        frames = [page.query_selector_all("iframe")[i].content_frame() for i in range(3)]
        closed = [assert_fits(page, f"embed {i}", i) for i in range(3)]
        assert closed == [closed_height(f) for f in frames], closed
        assert closed[2] == json.loads((servers.site / "oembed" / "gazonor-yann-fouant.json").read_bytes())["height"]
        open_all(frames[1])  # the second copy of the same snippet opens: it alone grows
        opened = [assert_fits(page, f"embed {i}", i) for i in range(3)]
        assert opened[0] == closed[0] and opened[1] > closed[1] + 200 and opened[2] == closed[2], (closed, opened)
        assert page.evaluate("() => document.querySelectorAll('iframe')[3].getBoundingClientRect().height") < 100
    finally:
        stranger.shutdown()
        stranger.server_close()


def test_without_the_snippets_script_the_static_height_holds(show: tuple[Servers, Path], browser: Any) -> None:
    """A CMS that strips <script>: the iframe keeps the height of n closed episodes with chapters
    (at least what they take, at every width), and scrolls inside once opened. JavaScript off everywhere: it scrolls, nothing is cut."""
    servers, root = show
    iframe = snippet(root, servers.base, "llv", 3).split("<script>")[0]
    page = browser.new_page(viewport={"width": 415, "height": 900})
    page.goto(partner(servers, "stripped.html", iframe, 375))
    frame = page.query_selector("iframe").content_frame()
    frame.wait_for_load_state("load")
    iframe_h, inner = measure(page)
    # the static height: at least the closed content (exact when all three have chapters), no scrollbar
    assert iframe_h == embed_height(3) and closed_height(frame) <= iframe_h and inner["bar"] == 0, (iframe_h, inner)
    assert abs(inner["bottom"] - closed_height(frame)) <= 1, inner
    open_all(frame)
    _, inner = measure(page)
    assert inner["scroll"] > inner["client"] + 200 and frame.evaluate(
        "() => getComputedStyle(document.documentElement).overflowY") != "hidden", inner
    page.close()

    context = browser.new_context(java_script_enabled=False, viewport={"width": 415, "height": 900})
    page = context.new_page()
    page.goto(partner(servers, "nojs.html", snippet(root, servers.base, "llv", 3), 375))
    frame = page.query_selector("iframe").content_frame()
    frame.wait_for_load_state("load")
    assert page.evaluate("() => document.querySelector('iframe').getBoundingClientRect().height") == embed_height(3)
    inner = frame.evaluate(HEIGHT)  # every episode shown (no ?n= without scripts): the embed scrolls
    assert inner["scroll"] > inner["client"], inner
    assert frame.evaluate("() => { scrollTo(0, 400); return scrollY; }") == 400  # it scrolls inside
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_embed_has_no_axe_violations(show: tuple[Servers, Path], browser: Any, scheme: str) -> None:
    servers, root = show
    for width in (320, 1280):
        page = browser.new_page(viewport={"width": width + 40, "height": 900})
        page.goto(partner(servers, f"axe-{scheme}-{width}.html", snippet(root, servers.base, "economy", 3, "--theme", scheme),
                          width))
        frame = page.query_selector("iframe").content_frame()
        frame.wait_for_load_state("load")
        assert frame.evaluate("() => document.documentElement.dataset.embedTheme") == scheme
        assert axe_violations(frame) == [], (scheme, width, "closed")
        screenshot(page, f"embed-{scheme}-{width}px-closed")
        open_all(frame)
        assert_fits(page, f"{scheme} {width}px open")
        assert axe_violations(frame) == [], (scheme, width, "open")
        small = frame.eval_on_selector_all(
            "li:not([hidden]) summary, li:not([hidden]) button, .button",
            "els => els.map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])"
            ".filter(([, r]) => r.width > 0 && (r.width < 43.5 || r.height < 43.5)).map(([e, r]) => `${e} ${r.width}x${r.height}`)")
        assert small == []  # touch targets: 44 x 44 px at least
        screenshot(page, f"embed-{scheme}-{width}px-open")
        page.close()
        if scheme == "dark":  # auto follows the visitor's preference
            page = browser.new_page(viewport={"width": 415, "height": 900}, color_scheme="dark")
            page.goto(partner(servers, "auto.html", snippet(root, servers.base, "economy", 3), 375))
            frame = page.query_selector("iframe").content_frame()
            frame.wait_for_load_state("load")
            assert frame.evaluate("() => [document.documentElement.dataset.embedTheme, "
                                  "getComputedStyle(document.body).backgroundColor]") == ["auto", "rgb(23, 23, 26)"]
            page.close()
