"""What the browser tests share: the show and a partner site served on 127.0.0.1, the real
catalog (the repository's episodes, with the demo's synthesised media), axe-core checks.

The show is served by ``artoiscast.serve`` on one port; a partner page on a second port (another
origin) holds the embeds in iframes (``Servers.pages``). Screenshots go to ``test-artifacts/``
(gitignored) for a person to look at.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from artoiscast import serve

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
AXE = Path(sys.prefix) / "share" / "axe-core" / "axe.min.js"  # scripts/fetch_axe.py (bootstrap test runs it)
WIDTHS = (320, 375, 1280)


class Servers:
    """The show (serve.start) and a partner site, on two ports, in one background event loop."""

    def __init__(self, site: Path):
        self.site = site
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.access_log = site.parent / "access.log"  # what `artoiscast stats` reads
        self.show, self.base = self._call(serve.start(site, port=0, access_log=self.access_log))
        self.pages: dict[str, str] = {}
        self.partner, self.partner_url = self._call(self._partner())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _partner(self) -> tuple[web.AppRunner, str]:
        async def page(request: web.Request) -> web.Response:
            if request.match_info["name"] not in self.pages:  # the browser's /favicon.ico
                raise web.HTTPNotFound()
            return web.Response(text=self.pages[request.match_info["name"]], content_type="text/html")

        app = web.Application()
        app.router.add_get("/{name}", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner, f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self._call(self.partner.cleanup())
        self._call(self.show.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()



@contextmanager
def serving(root: Path, folder: Path) -> Iterator[Servers]:
    """The catalog at ``root`` built into ``folder/site`` with the base URL of the show's server
    (and its partner site beside), served until the block ends."""
    from artoiscast.build import build

    site = folder / "site"
    site.mkdir()
    servers = Servers(site)
    try:
        build(root, base_url=servers.base, out=site)
        yield servers
    finally:
        servers.stop()


def copy_of(show: Path, folder: Path) -> Path:
    """A copy of the catalog ``show`` (the session's ``real_show``, with its ingest cache: the
    next build takes seconds) in ``folder/show``."""
    root = folder / "show"
    shutil.copytree(show, root, symlinks=True)
    return root


def real_catalog(folder: Path) -> Path:
    """A copy of the repository's catalog (podcast.yaml, feeds/, episodes/) in ``folder/show``,
    with the demo's media synthesised (speech, transcripts, chapters, artwork): the catalog the
    README's demo publishes. A few seconds (espeak-ng); ingest happens at the first build."""
    root = folder / "show"
    root.mkdir(parents=True)
    for name in ("podcast.yaml", "feeds", "episodes"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns(
                "*.wav", "*.png", "*.jpg", "transcript.*", "chapters.yaml", ".transcript.json"))
        else:
            shutil.copy2(src, root / name)
    proc = subprocess.run([sys.executable, "-m", "artoiscast", "demo", "--media-only", "--root", str(root)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return root


def axe_violations(frame: Any, *, exclude: tuple[str, ...] = ()) -> list[str]:
    """axe-core's violations in ``frame`` (a page or an iframe's frame), one line each: rule,
    impact, and the first offending element. Fails the test when axe-core was not fetched."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run the README's test command (scripts/fetch_axe.py fetches it)")
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.evaluate(AXE.read_text(encoding="utf-8"))
    result = frame.evaluate("async (exclude) => await axe.run({exclude: exclude.map(s => [s])}, "
                            "{resultTypes: ['violations']})", list(exclude))
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}" for v in result["violations"]]


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
