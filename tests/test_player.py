"""The player (templates/_player.html, player.js) in Debian's chromium, on the real catalog: every
control by mouse and keyboard, #t= share links, Media Session, one playing at a time, the
mini-player, the partner embed on another origin, axe-core on the player. Screenshots in
test-artifacts/ (player-*.png) at 375 and 1280 px.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from chromium import launched

from artoiscast import site as sitemod
from webtest import copy_of, serving, AXE, Servers, screenshot

pytest.importorskip("playwright.sync_api", reason="run the README's test command (installs playwright)")

EPISODE = "gazonor-yann-fouant"  # 2:09, six chapters, a transcript
OTHER = "cdc-habitat-andre-yche"
SPEEDS = ["1,25×", "1,5×", "1,75×", "2×", "0,75×", "1×"]
LOOK = "() => { const a = document.querySelector('.pl audio'); return [a.currentTime, a.paused, a.playbackRate]; }"


@pytest.fixture(scope="module")
def servers(real_show: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("player")
    root = copy_of(real_show, folder)
    with serving(root, folder) as s:
        yield s


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with launched("--autoplay-policy=no-user-gesture-required", "--mute-audio") as b:
        yield b


def catalog(servers: Servers) -> dict[str, Any]:
    episodes: dict[str, Any] = json.loads((servers.site / "manifest.json").read_text(encoding="utf-8"))["episodes"]
    return episodes


def chapters(servers: Servers, slug: str = EPISODE) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((servers.site / "chapters" / f"{slug}.json").read_text())["chapters"]
    return found


def clock(seconds: float) -> str:
    s = math.floor(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def plain(text: str) -> str:
    """Text as typed, whatever French typography the pages add (narrow spaces, ’, « »)."""
    return unicodedata.normalize("NFKC", text).replace("’", "'").replace("« ", '"').replace(" »", '"').strip()


def episode_page(browser: Any, servers: Servers, width: int = 1000, slug: str = EPISODE, hash: str = "") -> Any:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{servers.base}episodes/{slug}/{hash}")
    page.wait_for_selector(".pl-ui:not([hidden])")
    return page


def look(page: Any) -> tuple[float, bool, float]:
    t, paused, rate = page.evaluate(LOOK)
    return float(t), bool(paused), float(rate)


def wait(page: Any, expression: str, box: str = ".pl audio") -> None:
    """Wait (Playwright's default timeout) until the audio's time ``t`` / ``paused`` satisfy ``expression``."""
    page.wait_for_function(f"() => {{ const a = document.querySelector({box!r}); const t = a.currentTime, "
                           f"paused = a.paused; return {expression}; }}")


def set_time(page: Any, t: float) -> None:
    page.evaluate(f"() => {{ const a = document.querySelector('.pl audio'); a.pause(); a.currentTime = {t}; }}")
    wait(page, f"Math.abs(t - {t}) < 0.01")


def playing(page: Any) -> int:
    return int(page.evaluate("() => [...document.querySelectorAll('audio')].filter(a => !a.paused).length"))


def test_the_player_before_a_play(servers: Servers, browser: Any) -> None:
    """Ours shown, the native player hidden; the catalog's duration floored before any play; the
    episode page preloads metadata, the embeds nothing; without JavaScript the native player works."""
    durations = {slug: e["duration"] for slug, e in catalog(servers).items()}
    for slug, duration in durations.items():  # every page says it, as the players floor it
        doc = lxml.html.fromstring((servers.site / "episodes" / slug / "index.html").read_bytes())
        assert doc.xpath("//*[@data-pl]//*[@class='pl-dur']/text()") == [clock(duration)], slug
        assert doc.xpath("//audio/@preload") == ["metadata"], slug
        embed = lxml.html.fromstring((servers.site / "embed" / "episode" / f"{slug}.html").read_bytes())
        assert embed.xpath("//audio/@preload") == ["none"] and embed.xpath("//*[@class='pl-dur']/text()") == [
            clock(duration)], slug
    page = episode_page(browser, servers)
    assert page.locator(".pl .pl-dur").inner_text() == clock(durations[EPISODE]) == "2:09"
    assert page.locator(".pl .pl-cur").inner_text() == "0:00"
    assert page.locator(".pl audio").is_hidden() and page.evaluate("() => document.querySelector('.pl audio').controls") is False
    assert page.locator(".pl .pl-seek").get_attribute("aria-valuetext") == "0 s sur 2 min 09 s"
    assert page.locator(".pl .pl-chapter-title").inner_text() == "Introduction"
    assert page.locator(".pl .pl-marks span").count() == len(chapters(servers)) - 1  # the first starts at 0:00
    # the status says nothing while it plays: only after a listener's action
    page.locator(".pl .pl-play").click()
    wait(page, "t > 1.2")
    assert page.locator(".pl .pl-status").inner_text() == "" and page.errors == []
    page.close()

    context = browser.new_context(java_script_enabled=False)
    bare = context.new_page()
    bare.goto(f"{servers.base}episodes/{EPISODE}/")
    assert bare.locator(".pl audio").is_visible() and bare.locator(".pl audio").get_attribute("controls") is not None
    assert bare.locator(".pl-ui").is_hidden() and bare.locator("[data-mini]").is_hidden()
    bare.goto(servers.base)
    assert bare.locator("[data-play-src]").count() > 0 and bare.locator("[data-play-src]:visible").count() == 0
    context.close()


def test_every_control_by_mouse(servers: Servers, browser: Any) -> None:
    page = episode_page(browser, servers)
    play = page.locator(".pl .pl-play")
    assert play.get_attribute("aria-label") == "Lire : Gazonor"
    play.click()
    wait(page, "!paused && t > 0.3")
    assert play.get_attribute("aria-label") == "Mettre en pause : Gazonor"
    play.click()
    wait(page, "paused")
    set_time(page, 40)
    page.get_by_role("button", name="Avancer de 30 s").click()
    assert abs(look(page)[0] - 70) < 0.5 and page.locator(".pl .pl-cur").inner_text() == "1:10"
    assert page.locator(".pl .pl-status").inner_text() == "1 min 10 s sur 2 min 09 s"
    page.get_by_role("button", name="Reculer de 15 s").click()
    assert abs(look(page)[0] - 55) < 0.5
    speed = page.locator(".pl .pl-speed")
    seen = []
    for _ in SPEEDS:
        speed.click()
        seen.append((speed.inner_text(), look(page)[2]))
    assert seen == [(s, float(s[:-1].replace(",", "."))) for s in SPEEDS]
    # chapters: next, previous (at a chapter's start: the one before), the title shown
    marks = chapters(servers)
    set_time(page, 50)  # in chapter 3
    page.get_by_role("button", name="Chapitre suivant").click()
    wait(page, f"Math.abs(t - {marks[3]['startTime']}) < 0.3")
    page.wait_for_function(f"() => document.querySelector('.pl .pl-chapter-title').textContent.includes({'Sécurité'!r})")
    assert plain(page.locator(".pl .pl-chapter-title").inner_text()) == marks[3]["title"]
    assert page.locator(".pl .pl-chapter-n").inner_text() == "4/6"
    page.get_by_role("button", name="Chapitre précédent").click()
    wait(page, f"t >= {marks[2]['startTime'] - 0.05} && t < {marks[3]['startTime'] - 0.5}")
    # the timeline: a click at its middle goes to the middle
    page.evaluate("() => document.querySelector('.pl audio').pause()")
    box = page.locator(".pl .pl-seek").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert abs(look(page)[0] - 129.2 / 2) < 6, look(page)
    # a chapter of the list and a cue of the transcript seek the player too
    page.locator(f".chapters button[data-seek='{marks[4]['startTime']}']").click()
    wait(page, f"!paused && t >= {marks[4]['startTime'] - 0.05}")
    assert page.errors == []
    page.close()


def test_every_control_by_keyboard(servers: Servers, browser: Any) -> None:
    page = episode_page(browser, servers)
    # every control is a button reached by Tab, labelled in French, 44 px at least
    controls = page.eval_on_selector_all(".pl-ui button:visible, .pl-seek", "els => els.map(e => [e.tagName, "
                                         "e.getAttribute('aria-label') || e.labels[0].textContent, e.getBoundingClientRect().width, "
                                         "e.getBoundingClientRect().height])")
    assert len(controls) == 8 and all(w >= 44 and h >= 44 and label for _, label, w, h in controls), controls
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        label = page.evaluate("() => { const e = document.activeElement; "
                              "return e.closest('.pl-ui') && (e.getAttribute('aria-label') || e.labels[0].textContent); }")
        if label:
            reached.append(label)
    assert reached == [c[1] for c in controls], reached
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is visible

    page.locator(".pl .pl-play").focus()
    page.keyboard.press("Enter")
    wait(page, "!paused")
    page.keyboard.press("Space")
    wait(page, "paused")
    page.get_by_role("button", name="Avancer de 30 s").focus()
    page.keyboard.press("Enter")
    assert abs(look(page)[0] - 30) < 0.5
    page.locator(".pl .pl-speed").focus()
    page.keyboard.press("Enter")
    assert look(page)[2] == 1.25 and page.locator(".pl .pl-speed").get_attribute("aria-label") == "Vitesse de lecture : 1,25×"
    page.get_by_role("button", name="Chapitre suivant").focus()
    page.keyboard.press("Enter")
    wait(page, f"Math.abs(t - {chapters(servers)[2]['startTime']}) < 0.3")

    # the page's shortcuts (focus on the page, not in a field)
    page.evaluate("() => { document.activeElement.blur(); document.querySelector('.pl audio').pause(); }")
    set_time(page, 60)
    page.keyboard.press("k")
    wait(page, "!paused")
    page.keyboard.press("k")
    wait(page, "paused")
    set_time(page, 60)
    page.keyboard.press("j")
    assert abs(look(page)[0] - 45) < 0.5
    page.keyboard.press("ArrowLeft")
    assert abs(look(page)[0] - 30) < 0.5
    page.keyboard.press("l")
    page.keyboard.press("ArrowRight")
    assert abs(look(page)[0] - 90) < 0.5
    page.keyboard.press("Space")
    wait(page, "!paused")
    page.keyboard.press("Space")
    wait(page, "paused")
    # typing in the transcript search is typing, not shortcuts
    set_time(page, 60)
    page.get_by_label("Rechercher dans la transcription").type("kilo j")
    assert look(page)[:2] == (60, True)

    # the timeline: arrows 5 s, Page up 1 min, Home, End; its value said in words
    page.locator(".pl .pl-seek").focus()
    page.keyboard.press("Home")
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowRight")
    assert abs(look(page)[0] - 65) < 0.5
    assert page.locator(".pl .pl-seek").get_attribute("aria-valuetext") == "1 min 05 s sur 2 min 09 s"
    assert page.locator(".pl .pl-status").inner_text() == "1 min 05 s sur 2 min 09 s"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert abs(look(page)[0] - 55) < 0.5
    page.keyboard.press("End")
    assert look(page)[0] > 128
    assert page.errors == []
    page.close()


def test_share_gives_a_link_that_starts_there(servers: Servers, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers.base.rstrip("/"))
    page = context.new_page()
    page.goto(f"{servers.base}episodes/{EPISODE}/")
    page.locator(".pl .pl-play").click()
    wait(page, "t > 0.3")
    page.evaluate("() => { const a = document.querySelector('.pl audio'); a.pause(); a.currentTime = 42.6; }")
    wait(page, "Math.abs(t - 42.6) < 0.01")
    assert page.evaluate("() => navigator.share") is None  # chromium on Linux: the clipboard, then
    page.get_by_role("button", name="Partager ce moment : lien vers Gazonor à la position actuelle").click()
    page.wait_for_function("() => document.querySelector('.pl .pl-status').textContent.startsWith('Lien copié')")
    assert page.locator(".pl .pl-status").inner_text() == "Lien copié (à 0:42)"
    url = page.evaluate("() => navigator.clipboard.readText()")
    assert url == f"{servers.base}episodes/{EPISODE}/#t=42"

    # opened, the link puts the player at 0:42, says so, and plays from there at the first action
    shared = context.new_page()
    shared.goto(url)
    resume = shared.get_by_role("button", name="Reprendre à 0:42")
    resume.wait_for()
    assert shared.locator(".pl .pl-cur").inner_text() == "0:42" and look(shared)[:2] == (42, True)
    resume.click()
    wait(shared, "!paused && t > 42.2")
    assert resume.is_hidden()
    for hash, said in (("#t=1:30", "Reprendre à 1:30"), ("#t=2m5s", "Reprendre à 2:05"), ("#t=9999", "Reprendre à 2:09")):
        shared.goto(f"{servers.base}episodes/{OTHER}/")  # a new document each time (a hash alone does not reload)
        shared.goto(f"{servers.base}episodes/{EPISODE}/{hash}")
        shared.get_by_role("button", name=said).wait_for()
        assert shared.locator(".pl .pl-cur").inner_text() == said.split()[-1]
    # a #t= link followed inside the page seeks and plays
    shared.evaluate("() => { location.hash = 't=20'; }")
    wait(shared, "!paused && t >= 20 && t < 25")
    context.close()


RECORD_HANDLERS = """
window.handlers = {};
if (navigator.mediaSession) {
  const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, fn) => { window.handlers[action] = fn; set(action, fn); };
}
"""


def test_media_session(servers: Servers, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.add_init_script(RECORD_HANDLERS)  # keeps a copy of what player.js hands the browser
    page.goto(f"{servers.base}episodes/{EPISODE}/")
    page.locator(".pl .pl-play").click()
    wait(page, "!paused && t > 0.3")
    meta = page.evaluate("() => { const m = navigator.mediaSession.metadata; return {title: m.title, artist: m.artist, "
                         "album: m.album, artwork: m.artwork.map(a => a.src)}; }")
    assert plain(meta["title"]) == "Gazonor" and plain(meta["artist"]) == "Radioscopie de l'Artois"
    assert plain(meta["album"]) == "Radioscopie de l'Artois : économie"  # the episode's first theme
    assert meta["artwork"] and all(a.startswith(servers.base) for a in meta["artwork"])
    assert page.evaluate("() => navigator.mediaSession.playbackState") == "playing"
    handlers = page.evaluate("() => Object.keys(window.handlers).filter(k => window.handlers[k])")
    assert set(handlers) == {"play", "pause", "seekbackward", "seekforward", "seekto", "previoustrack", "nexttrack"}
    # the handlers drive the player: what a headset's or the lock screen's buttons do
    page.evaluate("() => window.handlers.pause({action: 'pause'})")
    wait(page, "paused")
    set_time(page, 10)
    page.evaluate("() => window.handlers.seekforward({action: 'seekforward'})")
    assert abs(look(page)[0] - 40) < 0.5
    page.evaluate("() => window.handlers.seekbackward({action: 'seekbackward', seekOffset: 10})")
    assert abs(look(page)[0] - 30) < 0.5
    page.evaluate("() => window.handlers.seekto({action: 'seekto', seekTime: 80})")
    assert abs(look(page)[0] - 80) < 0.5
    page.evaluate("() => window.handlers.nexttrack({action: 'nexttrack'})")
    wait(page, f"Math.abs(t - {chapters(servers)[4]['startTime']}) < 0.3")
    page.evaluate("() => window.handlers.play({action: 'play'})")
    wait(page, "!paused")
    page.close()


def test_one_plays_at_a_time_and_the_mini_player(servers: Servers, browser: Any) -> None:
    # the home page: a list item's button plays it in the mini-player, which stays in view
    for width in (375, 1280):
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(servers.base)
        first, second = page.locator("[data-play-src]").nth(0), page.locator("[data-play-src]").nth(1)
        title = first.get_attribute("data-title")
        assert page.locator("[data-mini]").is_hidden()
        first.click()
        mini = page.locator("[data-mini]")
        mini.wait_for()
        wait(page, "!paused && t > 0.3", "[data-mini] audio")
        assert mini.locator(".mini-title").inner_text() == title and first.get_attribute("aria-label") == f"Mettre en pause : {title}, durée {first.inner_text()}"
        assert mini.locator(".pl-dur").inner_text() == clock(float(first.get_attribute("data-duration")))
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        box = mini.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 800.5 and box["width"] == width, box
        screenshot(page, f"player-home-mini-{width}px")
        assert axe_player(page) == []
        second.click()  # another item: the same (only) audio element takes it
        page.wait_for_function("() => document.querySelector('.mini-title').textContent === "
                               f"{second.get_attribute('data-title')!r}")
        wait(page, "!paused && t > 0.3", "[data-mini] audio")
        assert playing(page) == 1 and first.get_attribute("aria-label") == f"Lire : {title}, durée {first.inner_text()}"
        mini.get_by_role("button", name="Reculer de 15 s").click()
        mini.locator(".pl-play").click()
        wait(page, "paused", "[data-mini] audio")
        mini.get_by_role("button", name="Fermer le lecteur").click()
        assert mini.is_hidden()
        page.close()

    # the episode page: its player docks into the mini-player when a cue far down is played
    page = episode_page(browser, servers, width=375)
    page.locator(".pl .pl-play").click()
    wait(page, "!paused && t > 0.3")
    assert page.locator("[data-mini]").is_hidden()  # the player is in view
    page.locator(".cues li button").last.click()
    mini = page.locator("[data-mini]")
    mini.wait_for()
    assert plain(mini.locator(".mini-title").inner_text()) == "Gazonor"
    page.evaluate("() => window.scrollBy(0, 400)")
    box = mini.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800.5, box
    screenshot(page, "player-episode-docked-375px")
    mini.locator(".pl-play").click()  # the mini-player drives the page's audio
    wait(page, "paused")
    mini.locator(".pl-play").click()
    wait(page, "!paused")
    page.evaluate("() => window.scrollTo(0, 0)")
    mini.wait_for(state="hidden")  # back in view: undocked

    # one at a time: a list item started while the episode plays pauses it, and the other way round
    item = page.evaluate("async () => { const html = await (await fetch('../../')).text(); "
                         "return new DOMParser().parseFromString(html, 'text/html').querySelector('[data-play-src]').outerHTML; }")
    page.evaluate(f"() => {{ document.querySelector('.pl').insertAdjacentHTML('afterend', {item!r}); "
                  "document.querySelector('main [data-play-src]').hidden = false; }")
    page.locator("main [data-play-src]").click()
    wait(page, "!paused && t > 0.3", "[data-mini] audio")
    assert look(page)[1] is True and playing(page) == 1
    page.locator(".pl .pl-play").click()
    wait(page, "!paused")
    wait(page, "paused", "[data-mini] audio")
    assert playing(page) == 1
    page.close()


def test_the_player_in_a_partner_embed(servers: Servers, browser: Any) -> None:
    """Two embeds on a partner page of another origin: the controls work in each, the embed's
    audio URL is marked before any request, and starting one pauses the other."""
    servers.pages["player.html"] = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head><body>'
        f'<iframe src="{servers.base}embed/energy.html?n=2" title="Thème" style="width:320px;height:700px"></iframe>'
        f'<iframe src="{servers.base}embed/episode/{OTHER}.html" title="Épisode" style="width:320px;height:400px">'
        '</iframe></body></html>')
    context = browser.new_context(viewport={"width": 700, "height": 1200})
    context.grant_permissions(["clipboard-read", "clipboard-write"])  # to read what the embed copied
    page = context.new_page()
    audio: list[str] = []
    page.on("request", lambda r: audio.append(r.url) if ".mp3" in r.url else None)
    page.goto(servers.partner_url + "player.html")
    theme = page.frame(url=lambda u: "/embed/energy.html" in u)
    one = page.frame(url=lambda u: "/embed/episode/" in u)
    assert theme is not None and one is not None
    theme.wait_for_selector(".pl-ui:not([hidden])")
    one.wait_for_selector(".pl-ui:not([hidden])")
    assert theme.locator("[data-embed-list] > li:visible").count() == 2 and audio == []
    assert theme.locator("[data-mini]").count() == 0
    box = "[data-embed-list] > li:nth-child(1)"
    theme.locator(f"{box} .pl-play").click()
    wait(theme, "!paused && t > 0.3", f"{box} audio")
    theme.locator(f"{box} [data-act=fwd]").click()
    wait(theme, "t > 30", f"{box} audio")
    theme.locator(f"{box} .pl-speed").click()
    assert theme.evaluate(f"() => document.querySelector({box!r} + ' audio').playbackRate") == 1.25
    # share from the embed: the episode's page on the show's site, at the current second
    theme.evaluate(f"() => document.querySelector({box!r} + ' audio').pause()")
    at = math.floor(theme.evaluate(f"() => document.querySelector({box!r} + ' audio').currentTime"))
    theme.locator(f"{box} .pl-share").click()
    theme.wait_for_function(f"() => document.querySelector({box!r} + ' .pl-status').textContent.startsWith('Lien copié')")
    page_url = theme.locator(f"{box} h2 a").get_attribute("href")
    assert page.evaluate("() => navigator.clipboard.readText()") == f"{page_url}#t={at}"
    # the other embed started by keyboard: the first one pauses
    one.locator(".pl-play").focus()
    page.keyboard.press("Space")
    wait(one, "!paused && t > 0.3")
    wait(theme, "paused", f"{box} audio")
    # in one embed, starting its second episode pauses the first
    theme.locator(f"{box} .pl-play").click()
    wait(one, "paused")
    theme.locator("[data-embed-list] > li:nth-child(2) .pl-play").click()
    wait(theme, "paused", f"{box} audio")
    assert theme.evaluate("() => [...document.querySelectorAll('audio')].filter(a => !a.paused).length") == 1
    partner = servers.partner_url.rstrip("/").replace(":", "%3A").replace("/", "%2F")
    assert audio and all(u.endswith(f"&embed={partner}") for u in audio), audio
    screenshot(page, "player-embed-partner-320px")
    context.close()


def axe_player(page: Any) -> list[str]:
    """axe-core's violations in the players, the mini-player and the list items' play buttons only."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run({include: [['.pl'], ['[data-mini]'], ['[data-play-src]']]}, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}" for v in result["violations"]]


@pytest.mark.parametrize("width", [375, 1280])
def test_axe_and_screenshots(servers: Servers, browser: Any, width: int) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run the README's test command (scripts/fetch_axe.py fetches it)")
    page = episode_page(browser, servers, width=width)
    assert axe_player(page) == []
    screenshot(page, f"player-episode-{width}px")
    page.locator(".pl .pl-play").click()
    set_time(page, 75)
    page.get_by_role("button", name="Avancer de 30 s").click()
    assert axe_player(page) == []
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.locator("[data-mini]").wait_for()
    assert axe_player(page) == []
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, f"player-episode-playing-{width}px")
    page.close()


def test_colours_come_from_the_variables(servers: Servers, browser: Any) -> None:
    """player.css names no colour of its own: a dark theme that redefines the variables (on any
    element, as the embed's does) recolours the whole player."""
    css = (Path(sitemod.__file__).parent / "templates" / "player.css").read_text(encoding="utf-8")
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(|:\s*(?:white|black|gr[ae]y)\b", css)
    page = episode_page(browser, servers)
    page.add_style_tag(content="body{--ink:#f0f0f0;--paper:#101010;--accent:#f0a070;--muted:#b0b0b0;--line:#444444}")
    colours = page.evaluate("() => [['.pl-ui', 'backgroundColor'], ['.pl-ui', 'color'], ['.pl .pl-play', 'backgroundColor'], "
                            "['.pl .pl-skip', 'backgroundColor'], ['.pl .pl-skip', 'borderTopColor'], ['.pl-bar', 'backgroundColor']]"
                            ".map(([s, p]) => getComputedStyle(document.querySelector(s))[p])")
    assert colours == ["rgb(16, 16, 16)", "rgb(240, 240, 240)", "rgb(240, 160, 112)", "rgb(16, 16, 16)",
                       "rgb(176, 176, 176)", "rgb(68, 68, 68)"], colours
    page.close()
