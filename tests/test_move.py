"""Moving a show out (``moved_to``): every feed carries ``itunes:new-feed-url`` in both
renderers, ``serve`` answers 301 for every feed URL and podcatchers (feedparser, podcastparser)
end up at the new feed; S3 stores the feeds as website redirects. Moving in
(``previous_urls``): the ``all`` feed names itself and keeps its guid."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import feedparser
import podcastparser
from lxml import etree

from artoiscast.build import build
from artoiscast.catalog import load_catalog
from conftest import make_catalog
from test_feeds import _published, assert_fast_is_plain
from test_import import serve_folder

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def with_lines(root: Path, *lines: str) -> Path:
    with (root / "podcast.yaml").open("a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))
    return root


def test_new_feed_url_in_both_renderers(tmp_path: Path) -> None:
    moved = load_catalog(with_lines(make_catalog(tmp_path / "a", with_audio=False), 'moved_to: "https://new.example"'),
                         check_files=False)
    came = load_catalog(with_lines(make_catalog(tmp_path / "b", with_audio=False),
                                   'previous_urls: ["https://old.example/rss"]'), check_files=False)
    plain = load_catalog(make_catalog(tmp_path / "c", with_audio=False), check_files=False)
    for cat, expected in [
        (moved, {n: f"https://new.example/feeds/{n}.xml" for n in ("all", "economy", "energy")}),
        (came, {"all": "https://a.example/feeds/all.xml", "economy": None, "energy": None}),
        (plain, {"all": None, "economy": None, "energy": None}),
    ]:
        published = _published(cat, [])
        items = {name: [pe for pe in published if feed.takes(pe.episode)] for name, feed in cat.feeds.items()}
        feeds = assert_fast_is_plain(cat, items)  # the fast renderer gives the same bytes
        assert {n: etree.fromstring(x).findtext(f"channel/{ITUNES}new-feed-url") for n, x in feeds.items()} == expected


def test_a_bad_moved_to_is_one_line_and_a_guid_of_the_new_url_is_advice(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from artoiscast.cli import cli

    for n, line in enumerate(['moved_to: "javascript:alert(1)"', 'moved_to: "https://artoiscast.example"']):
        root = with_lines(make_catalog(tmp_path / str(n), with_audio=False), line)
        res = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
        assert res.exit_code == 2 and "podcast.yaml: moved_to" in res.stderr and "Traceback" not in res.output
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    root = make_catalog(tmp_path / "in", with_audio=False)
    text = (root / "podcast.yaml").read_text(encoding="utf-8")  # the guid of the new URL, not the old feed's
    (root / "podcast.yaml").write_text(text.replace("280ae253-4f31-5072-ace9-84d33e389796",
                                                    "936fd1ca-9c69-53fd-a69a-651cb118ae9a"), encoding="utf-8")
    with_lines(root, 'previous_urls: ["https://old.example/rss"]')
    res = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert res.exit_code == 0, res.output
    assert ("warning: podcast.yaml: guid: is derived from this base_url, not from the feed the show came from: "
            "apps and indexes would see a new show (keep the old feed's podcast:guid; without one, its URL's: "
            'guid: "a29cd87a-ad9f-570b-9c58-4762f39d9c67")') in res.stderr


def test_moved_show_serve_301_and_podcatchers_follow(tmp_path: Path, tools: None) -> None:
    new_site = tmp_path / "new-site"
    server, new_base = serve_folder(new_site)  # the new home
    try:
        new_root = make_catalog(tmp_path / "new")
        build(new_root, base_url=new_base, out=new_site)
        old = with_lines(make_catalog(tmp_path / "old"), f'moved_to: "{new_base}"')
        build(old)
        proc = subprocess.Popen([sys.executable, "-m", "artoiscast", "serve", "--root", str(old), "--port", "0",
                                 "--dir", str(old / "build" / "site")], stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert f"feeds/*.xml answer 301 to {new_base}feeds/" in line
            old_base = re.search(r"at (http://\S+/)", line).group(1)  # type: ignore[union-attr]
            parsed = feedparser.parse(f"{old_base}feeds/energy.xml")
            assert parsed.status == 301 and parsed.href == f"{new_base}feeds/energy.xml" and parsed.entries
            with urllib.request.urlopen(f"{old_base}feeds/all.xml") as resp:
                assert resp.geturl() == f"{new_base}feeds/all.xml"
                assert podcastparser.parse(resp.geturl(), resp)["episodes"]
            old_feed = podcastparser.parse("old", (old / "build/site/feeds/all.xml").open("rb"))
            assert old_feed["new_url"] == f"{new_base}feeds/all.xml"  # what an app reading a cached copy follows
            with urllib.request.urlopen(f"{old_base}index.html") as resp:  # only the feeds move
                assert resp.status == 200
            check_live_reports_redirects_and_guids(tmp_path, old_base, new_base)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        server.shutdown()


def test_moved_show_on_s3_stores_feeds_as_website_redirects(s3server, tmp_path: Path, tools: None,  # type: ignore[no-untyped-def]
                                                             monkeypatch) -> None:
    from artoiscast.publish import publish
    from artoiscast.storage.s3 import S3Storage

    for name, value in s3server.env.items():
        monkeypatch.setenv(name, value)
    s3server.make_bucket("moved")
    root = with_lines(make_catalog(tmp_path / "old"), 'moved_to: "https://new.example/"')
    build(root)
    storage = S3Storage("moved", endpoint_url=s3server.endpoint, path_style=True)
    sent: dict[str, str | None] = {}  # SeaweedFS stores objects but not their website redirect: read the wire

    def record(request, **_: object) -> None:  # type: ignore[no-untyped-def]
        if request.method == "PUT":
            key = request.url.split("/moved/", 1)[1].split("?", 1)[0]
            sent[key] = request.headers.get("x-amz-website-redirect-location")

    import boto3

    storage._session = boto3.session.Session()  # every client the storage makes hears the hook
    storage._session.events.register("before-send.s3", record)
    plan = publish(root / "build" / "site", storage)
    for key in ("feeds/all.xml", "feeds/energy.xml", "feeds/publisher.xml"):
        assert sent[key] in (f"https://new.example/{key}", f"https://new.example/{key}".encode()), key
    media = next(k for k in plan.uploads if k.endswith(".mp3"))
    assert sent[media] is None and sent["index.html"] is None
    assert any("website redirects to https://new.example/feeds/" in n and "add a 301 rule for feeds/*.xml" in n
               for n in plan.notes), plan.notes


def check_live_reports_redirects_and_guids(tmp_path: Path, old_base: str, new_base: str) -> None:
    """``check --live``: the moved show's feeds are reached through a 301 (reported); a catalog that
    came from elsewhere is told which old URL does not lead to it, and which guid differs."""
    from click.testing import CliRunner

    from artoiscast.cli import cli
    from artoiscast.lint import probe_live

    (moved,) = [f for f in probe_live(old_base) if f.rule == "live-redirect"]  # then the new host's own URLs
    assert (moved.feed, moved.level) == ("feeds/publisher.xml", "warning")
    assert moved.message == (f"{old_base}feeds/publisher.xml -> 301 {new_base}feeds/publisher.xml: redirected "
                             "(apps follow it and update the URL)")
    here = with_lines(make_catalog(tmp_path / "in", with_audio=False),
                      f'previous_urls: ["{old_base}feeds/all.xml", "{new_base}feeds/energy.xml"]')
    with (here / "feeds" / "energy.yaml").open("a") as fh:
        fh.write('guid: "11111111-1111-5111-8111-111111111111"\n')
    res = CliRunner().invoke(cli, ["check", "--catalog-only", "--live", new_base, "--root", str(here)])
    lines = [ln for ln in res.stderr.splitlines() if "live-previous" in ln or "live-guid" in ln or "live-redirect" in ln]
    assert lines == [
        "warning: feeds/energy.xml: channel: live-guid: the published podcast:guid eb92f505-d446-5acf-89c8-beafc9f2b9ad "
        "differs from the catalog's 11111111-1111-5111-8111-111111111111: apps and indexes would take this publish "
        "for another show (pin the published one as guid)",
        f"warning: podcast.yaml: previous URL {new_base}feeds/energy.xml: live-previous: {new_base}feeds/energy.xml: "
        f"does not lead to {new_base}feeds/all.xml (have the old host answer 301 there)",
        f"warning: podcast.yaml: previous URL {new_base}feeds/energy.xml: live-guid: serves podcast:guid "
        "eb92f505-d446-5acf-89c8-beafc9f2b9ad, not the catalog's 280ae253-4f31-5072-ace9-84d33e389796",
    ], res.stderr
