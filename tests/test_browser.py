"""The pages and the partner embed in a real browser: Debian's chromium driven by Playwright.

The built site is served by ``artoiscast.serve`` on one 127.0.0.1 port; a partner page on a
second port (another origin) holds the embed in a 320 px iframe. Screenshots go to
``test-artifacts/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chromium import launched

from artoiscast.typography import french
from webtest import serving, ARTIFACTS, Servers

playwright_api = pytest.importorskip("playwright.sync_api", reason="run the README's test command (installs playwright)")

EPISODE = "erbm-melanie-delots"  # the one with chapters and a transcript (conftest.make_catalog)


SUPPORT = "https://artoiscast.example/soutenir"  # podcast:funding of the show, and one of ERBM's own
SUPPORT_EPISODE = "https://artoiscast.example/soutenir/erbm"


@pytest.fixture(scope="module")
def servers(built_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("browser")
    root = folder / "show"  # the session's catalog (its ingest cache too: nothing is encoded), with support links
    shutil.copytree(built_catalog, root, symlinks=True)
    with (root / "podcast.yaml").open("a", encoding="utf-8") as f:
        f.write(f'funding: [{{url: "{SUPPORT}", text: "Soutenir <b>l\'émission</b>"}}]\n')
    with (root / "episodes" / EPISODE / "episode.yaml").open("a", encoding="utf-8") as f:
        f.write(f'funding: [{{url: "{SUPPORT_EPISODE}", text: "Soutenir ce reportage"}}]\n')
    with serving(root, folder) as s:
        yield s


def support_links(frame: Any) -> list[list[str | None]]:
    """The visible support links of a page or frame: text, href, rel, target."""
    return frame.eval_on_selector_all(".funding a", "as => as.filter(a => a.offsetParent !== null).map(a => "
                                                    "[a.textContent, a.href, a.rel, a.getAttribute('target')])")


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with launched("--autoplay-policy=no-user-gesture-required", "--mute-audio") as b:
        yield b


def media_requests(urls: list[str], base: str) -> list[dict[str, list[str]]]:
    """The query of every audio request among ``urls`` (all to the show's media/)."""
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.path.endswith(".mp3"):
            assert u.startswith(base + "media/"), u
            out.append(parse_qs(parts.query, keep_blank_values=True))
    return out


def play(frame: Any, box: str) -> None:
    frame.evaluate(f"() => document.querySelector({box!r} + ' audio').play()")
    wait_time(frame, box, "t > 0.3")


def record_requests(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


def current_time(frame: Any, box: str) -> float:
    return float(frame.eval_on_selector(f"{box} audio", "a => a.currentTime"))


def wait_time(frame: Any, box: str, expression: str) -> None:
    """Wait (no deadline assertion: Playwright's default timeout) until the audio's time satisfies ``expression``."""
    frame.wait_for_function(f"() => {{ const t = document.querySelector({box!r} + ' audio').currentTime; return {expression}; }}")


def test_embed_on_a_partner_site(servers: Servers, browser: Any) -> None:
    n = 2
    servers.pages["partner.html"] = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head>'
        '<body style="margin:0"><h1 style="font:16px sans-serif">Un site partenaire</h1>'
        f'<iframe src="{servers.base}embed/economy.html?n={n}" title="Épisodes" '
        'style="width:320px;height:900px;border:1px solid #999"></iframe></body></html>')
    page = browser.new_page(viewport={"width": 360, "height": 1000})
    urls = record_requests(page)
    page.goto(servers.partner_url + "partner.html")
    frame = page.frame_locator("iframe")
    inner = page.frames[1]
    assert inner.url.startswith(servers.base)
    inner.wait_for_load_state("load")

    # the theme's N newest episodes, newest first; ?n=1 shows only the newest
    shown = inner.eval_on_selector_all("[data-embed-list] > li:not([hidden]) h2", "hs => hs.map(h => h.textContent)")
    assert shown == ["Mine de Soleil", "L’ERBM\u00a0: Engagement pour le Renouveau du Bassin Minier"]  # French typography

    # nothing overflows 320 px, even with the chapters and the transcript open
    box = "[data-embed-list] > li:nth-child(2)"
    frame.locator(f"{box} details.chap summary").click()
    frame.locator(f"{box} details.transcript summary").click()
    inner.wait_for_selector(f"{box} details.transcript[data-ready]", state="attached")
    width = inner.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert width[1] <= 320 and width[0] <= width[1], width
    # the show's support link, as text, opening a new tab (the embed is another site's iframe)
    assert support_links(inner) == [[french("Soutenir <b>l'émission</b>"), SUPPORT, "noopener", "_blank"]]

    # play: the audio advances
    frame.locator(f"{box} .chapters button").first.click()
    wait_time(inner, box, "t > 0.3")

    # a chapter seeks to its start (keyboard: focus the button, press Enter)
    inner.evaluate(f"() => document.querySelector({box!r} + ' audio').pause()")
    frame.locator(f"{box} .chapters button").nth(1).focus()
    page.keyboard.press("Enter")
    wait_time(inner, box, "t >= 2.5 && t < 3.9")

    # search the transcript, click the passage found: it seeks there
    inner.evaluate(f"() => {{ const a = document.querySelector({box!r} + ' audio'); a.pause(); a.currentTime = 0; }}")
    frame.locator(f"{box} input[type=search]").fill("bonjour")
    visible = frame.locator(f"{box} .cues li:not([hidden])")
    assert visible.count() == 1 and "Bonjour Mélanie Delots." in visible.inner_text()
    assert frame.locator(f"{box} .found").inner_text() == "1 passage trouvé"
    visible.locator("span").click()
    wait_time(inner, box, "t >= 2.5")
    inner.wait_for_selector(f"{box} .cues li[aria-current]")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-partner-320px.png"), full_page=True)

    inner.goto(servers.base + "embed/economy.html?n=1")
    shown = inner.eval_on_selector_all("[data-embed-list] > li:not([hidden]) h2", "hs => hs.map(h => h.textContent)")
    assert shown == ["Mine de Soleil"]

    outside = [u for u in urls if not u.startswith(servers.base) and u != servers.partner_url + "partner.html"]
    assert outside == []
    assert any(u.startswith(servers.base + "transcripts/") for u in urls)  # fetched from the show, not elsewhere
    audio = media_requests(urls, servers.base)  # the plays: marked with the theme and the partner's origin
    assert audio and all(q == {"feed": ["economy"], "embed": [servers.partner_url.rstrip("/")]} for q in audio), audio
    page.close()


def test_episode_page(servers: Servers, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    urls = record_requests(page)
    page.goto(f"{servers.base}episodes/{EPISODE}/")
    box = "article.episode"
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("button", name="Écouter à partir de 0:02 : 1. Les moyens").click()
    wait_time(page, box, "t >= 2.5")
    page.wait_for_selector(".chapters li[aria-current]:nth-child(2)")

    page.evaluate("() => { const a = document.querySelector('article.episode audio'); a.pause(); a.currentTime = 3.5; }")
    page.get_by_label("Rechercher dans la transcription").fill("RENOUVEAU")
    cues = page.locator(".cues li:not([hidden])")
    assert cues.count() == 1
    cues.locator("span").click()
    wait_time(page, box, "t < 2.4")
    page.get_by_label("Rechercher dans la transcription").fill("")
    assert page.locator(".cues li:not([hidden])").count() == 2

    # the episode's own support link, then the show's in the footer: both visible, as text
    assert support_links(page) == [["Soutenir ce reportage", SUPPORT_EPISODE, "noopener", None],
                                   [french("Soutenir <b>l'émission</b>"), SUPPORT, "noopener", None]]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "episode-page.png"), full_page=True)
    assert [u for u in urls if not u.startswith(servers.base)] == []
    # the show's own page: every audio request (preload=metadata, then the plays) says feed=web, no embed=
    audio = media_requests(urls, servers.base)
    assert audio and all(q == {"feed": ["web"]} for q in audio), audio
    page.close()


def logged(servers: Servers, needle: str) -> list[str]:
    """The access-log lines holding ``needle``, once the log has them (serve flushes it every second)."""
    lines: list[str] = []
    for _ in range(100):
        text = servers.access_log.read_text(encoding="utf-8") if servers.access_log.exists() else ""
        lines = [line for line in text.splitlines() if needle in line]
        if lines:
            break
        threading.Event().wait(0.1)
    return lines


def test_embed_marks_every_audio_request_with_the_partner_origin(servers: Servers, browser: Any) -> None:
    """A theme embed and an episode embed on a partner page: every audio request says the feed
    and embed=<the partner's origin>; opened directly, embed=-. Nothing is fetched before a play
    (preload=none), so no request ever goes out with the bare feed URL."""
    partner = servers.partner_url.rstrip("/")  # http://127.0.0.1:<port>, the origin document.referrer gives
    servers.pages["marker.html"] = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head><body>'
        f'<iframe src="{servers.base}embed/economy.html?n=2" title="Thème" style="width:320px;height:600px"></iframe>'
        f'<iframe src="{servers.base}embed/episode/gazonor-yann-fouant.html" title="Épisode" '
        'style="width:320px;height:300px"></iframe></body></html>')
    page = browser.new_page(viewport={"width": 700, "height": 1000})
    urls = record_requests(page)
    page.goto(servers.partner_url + "marker.html")
    theme = page.frame(url=lambda u: "/embed/economy.html" in u)
    one = page.frame(url=lambda u: "/embed/episode/" in u)
    assert theme is not None and one is not None
    assert media_requests(urls, servers.base) == []  # nothing before a play
    assert support_links(one) == [[french("Soutenir <b>l'émission</b>"), SUPPORT, "noopener", "_blank"]]
    assert theme.evaluate("() => document.referrer") == servers.partner_url  # the origin only (the policy's default)
    encoded = partner.replace(":", "%3A").replace("/", "%2F")
    srcs = theme.eval_on_selector_all("audio", "as => as.map(a => a.src)")
    assert len(srcs) == 2 and all(s.endswith(f".mp3?feed=economy&embed={encoded}") for s in srcs), srcs

    play(theme, "[data-embed-list] > li:nth-child(1)")  # Mine de Soleil, in the economy embed
    play(one, "li[data-player]")  # Gazonor, whose first feed is energy
    audio = media_requests(urls, servers.base)
    assert audio and all(q["embed"] == [partner] and set(q) == {"feed", "embed"} for q in audio), audio
    by_feed = {q["feed"][0] for q in audio}
    assert by_feed == {"economy", "energy"}, audio
    page.close()
    line = logged(servers, "GET /media/gazonor-yann-fouant/")
    assert line and all(f"?feed=energy&embed={encoded} HTTP/1.1" in x for x in line), line  # what stats reads

    # opened directly (no referrer), or in a page of the show's own origin: embed=-
    page = browser.new_page(viewport={"width": 360, "height": 800})
    urls = record_requests(page)
    page.goto(servers.base + "embed/economy.html?n=1")
    play(page, "[data-embed-list] > li:nth-child(1)")
    audio = media_requests(urls, servers.base)
    assert audio and all(q == {"feed": ["economy"], "embed": ["-"]} for q in audio), audio
    page.close()
    (servers.site / "own-page.html").write_text(
        f'<!doctype html><html lang="fr"><title>La maison</title><iframe src="{servers.base}embed/energy.html?n=1" '
        'title="Thème"></iframe></html>', encoding="utf-8")
    page = browser.new_page(viewport={"width": 360, "height": 800})
    urls = record_requests(page)
    page.goto(servers.base + "own-page.html")
    inner = page.frame(url=lambda u: "/embed/energy.html" in u)
    assert inner is not None and inner.evaluate("() => document.referrer") == servers.base + "own-page.html"
    play(inner, "[data-embed-list] > li:nth-child(1)")
    audio = media_requests(urls, servers.base)
    assert audio and all(q == {"feed": ["energy"], "embed": ["-"]} for q in audio), audio
    page.close()
