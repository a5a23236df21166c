"""``artoiscast import``: the show's own published feed, served by a real HTTP server on
127.0.0.1, imported into a new folder and built again gives the same show item by item (read
with feedparser); a rerun adds nothing; the downloads resume and report failures."""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.cli import cli
from artoiscast.importer import import_feed
from artoiscast.importer.fetch import Download, download_all
from conftest import make_catalog


class Recorder:
    """An Events (and its one Job) that records what the downloads report."""

    def __init__(self) -> None:
        self.jobs: list[tuple[float | None, str, str]] = []
        self.advanced = 0.0
        self.finished = False

    def start(self, total: float | None, label: str, *, unit: str = "") -> Recorder:
        self.jobs.append((total, label, unit))
        return self

    def advance(self, n: float = 1) -> None:
        self.advanced += n

    def done(self) -> None:
        self.finished = True


class Quiet(http.server.SimpleHTTPRequestHandler):
    """A static host that answers "Range: bytes=N-" with 206, as podcast hosts do."""

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not rng or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        start = int(rng.group(1))
        if start >= len(data):
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        return io.BytesIO(data[start:])


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A real HTTP server for ``folder`` on a free port of 127.0.0.1 (stopped by the caller)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, tools: None):  # type: ignore[no-untyped-def]
    """The test catalog built for, and served at, a local base URL: (catalog root, base URL)."""
    root = make_catalog(tmp_path_factory.mktemp("src") / "show")
    text = (root / "podcast.yaml").read_text(encoding="utf-8")  # a locked feed names its owner: the proof asked for
    owner = next(line for line in text.splitlines() if line.startswith("owner:"))
    (root / "podcast.yaml").write_text(text.replace(owner, 'owner: {name: "René Lavergne", email: "rene@artoiscast.example"}'))
    server, base = serve_folder(root / "build" / "site")
    build(root, base_url=base)
    yield root, base
    server.shutdown()


@pytest.fixture(scope="module")
def imported(source, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    root, base = source
    into = tmp_path_factory.mktemp("dst") / "imported"
    report = import_feed(f"{base}feeds/all.xml", into, base_url="https://new.example/",
                         owner_email="Rene@artoiscast.example")
    assert report.failed == [] and len(report.written) == 3, report
    build(into, base_url=base)  # the same base URL: only the catalog differs
    return into, base


def entries(feed_file: Path) -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse(feed_file.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return {e.id: e for e in parsed.entries}


def test_round_trip_keeps_guids_titles_dates_persons_chapters_and_transcripts(source, imported) -> None:  # type: ignore[no-untyped-def]
    (root, base), (into, _) = source, imported
    old, new = entries(root / "build/site/feeds/all.xml"), entries(into / "build/site/feeds/all.xml")
    assert sorted(old) == sorted(new) and len(old) == 3
    for guid, a in old.items():
        b = new[guid]
        assert (b.title, b.published, b.summary) == (a.title, a.published, a.summary)
        assert b.itunes_episodetype == a.itunes_episodetype
        assert b.content[0].value == a.content[0].value  # notes, guests with their roles, place, chapters
    # feedparser keeps one podcast:person per item and no podcast:guid; the whole XML, read with lxml,
    # says that everything else survives too: each item is the same but for its enclosure's file name
    # (the audio is encoded again), the channel the same but for the theme feeds it lists
    def parts(path: Path) -> tuple[list[bytes], dict[str, bytes]]:
        channel = etree.parse(str(path)).getroot()[0]
        items = {}
        for item in channel.findall("item"):
            enc = item.find("enclosure")
            enc.set("url", enc.get("url").rsplit("-", 1)[0])
            items[item.findtext("guid")] = etree.tostring(item)
            channel.remove(item)
        channel.remove(channel.find("{https://podcastindex.org/namespace/1.0}podroll"))
        return [etree.tostring(el) for el in channel], items

    (new_channel, new_items), (old_channel, old_items) = parts(into / "build/site/feeds/all.xml"), \
        parts(root / "build/site/feeds/all.xml")
    moved_in = [el for el in new_channel if b"<itunes:new-feed-url" in el]  # previous_urls: it names itself
    assert len(moved_in) == 1 and f">{base}feeds/all.xml</itunes:new-feed-url>".encode() in moved_in[0]
    new_channel.remove(moved_in[0])
    assert (new_channel, new_items) == (old_channel, old_items)


def test_round_trip_files_chapters_and_transcripts(source, imported) -> None:  # type: ignore[no-untyped-def]
    (root, _), (into, _) = source, imported
    ep = into / "episodes"
    (slug,) = [p.name for p in ep.iterdir() if (p / "chapters.yaml").exists()]
    assert (ep / slug / "transcript.vtt").exists()
    src_chapters = (root / "build/site").glob("**/*chapters*.json")
    dst_chapters = (into / "build/site").glob("**/*chapters*.json")
    assert [p.read_bytes() for p in sorted(src_chapters)] == [p.read_bytes() for p in sorted(dst_chapters)]
    src_vtt = sorted(p.read_text() for p in (root / "build/site").glob("**/*.vtt"))
    assert src_vtt and src_vtt == sorted(p.read_text() for p in (into / "build/site").glob("**/*.vtt"))
    text = (into / "podcast.yaml").read_text(encoding="utf-8")
    assert "\nguid: 280ae253-4f31-5072-ace9-84d33e389796\n" in text and "previous_urls:" in text
    assert "\npublisher_guid: bce3ac13-42fb-5f2c-afb6-70fd2da85133\n" in text
    assert sorted(p.name for p in ep.iterdir()) == sorted(p.name for p in (root / "episodes").iterdir())  # page URLs kept


def test_cli_import_then_publish_gives_the_same_show(source, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole move as a producer types it: import, then publish from the new folder."""
    root, base = source
    into = tmp_path / "imported"
    res = CliRunner().invoke(cli, ["import", f"{base}feeds/all.xml", "--into", str(into),
                                   "--owner-email", "rene@artoiscast.example"])
    assert res.exit_code == 0 and f"created {into}: 3 imported, 0 already there, 0 failed" in res.stdout, res.output
    res = CliRunner().invoke(cli, ["publish", "--root", str(into)])
    assert res.exit_code == 0, res.output
    published = into / "public" / "feeds" / "all.xml"
    assert sorted(entries(published)) == sorted(entries(root / "build/site/feeds/all.xml"))


def test_reimport_adds_only_new_items(source, imported) -> None:  # type: ignore[no-untyped-def]
    (_, base), (into, _) = source, imported
    before = sorted((into / "episodes").iterdir())
    report = import_feed(f"{base}feeds/all.xml", into, owner_email="rene@artoiscast.example")
    assert (report.written, report.skipped, report.failed) == ([], 3, [])
    assert sorted((into / "episodes").iterdir()) == before


def test_locked_feed_refused_without_its_owner_email(source, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, base = source
    for extra in ([], ["--owner-email", "someone@else.example"]):
        res = CliRunner().invoke(cli, ["import", f"{base}feeds/all.xml", "--into", str(tmp_path / "x"), *extra])
        assert res.exit_code == 2, res.output
        assert res.output.strip().splitlines() == [
            f"error: {base}feeds/all.xml: is locked (podcast:locked yes): only its owner may move it "
            "(give --owner-email with the owner's address as the feed has it)"]
        assert not (tmp_path / "x").exists()


def test_cli_dry_run_writes_nothing(source, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, base = source
    res = CliRunner().invoke(cli, ["import", f"{base}feeds/economy.xml", "--into", str(tmp_path / "x"), "--dry-run",
                                 "--owner-email", "rene@artoiscast.example"])
    assert res.exit_code == 0, res.output
    assert "2 to import, 0 already there; nothing written" in res.output
    assert not (tmp_path / "x").exists()


def test_downloads_resume_check_sizes_and_report_failures(tmp_path: Path) -> None:
    site = tmp_path / "site"
    server, base = serve_folder(site)
    try:
        (site / "a.bin").write_bytes(b"A" * 300_000)
        (site / "b.bin").write_bytes(b"B" * 1000)
        out = tmp_path / "out"
        out.mkdir()
        (out / "a.bin.part").write_bytes(b"A" * 100_000)  # a killed earlier run
        events = Recorder()
        done = download_all([
            Download(f"{base}a.bin", out / "a.bin", 300_000, "a"),
            Download(f"{base}missing.bin", out / "m.bin", 10, "m"),
            Download(f"{base}b.bin", out / "b.bin", 999, "b"),
        ], pause=0, events=events)
        assert events.jobs == [(200_000 + 10 + 999, "downloading", "B")] and events.finished
        assert events.advanced == 200_000 + 1000  # the rest of a.bin, all of b.bin
        assert (out / "a.bin").read_bytes() == b"A" * 300_000 and not (out / "a.bin.part").exists()
        assert done[0].error is None and done[0].warning is None
        assert done[1].error is not None and "404" in done[1].error and not (out / "m.bin").exists()
        assert done[2].error is None and "1000 bytes, the feed said 999" in (done[2].warning or "")
    finally:
        server.shutdown()
