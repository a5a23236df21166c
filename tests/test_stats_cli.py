"""``artoiscast stats`` on the command line: outputs, bad input, a real ``artoiscast serve`` run
counted end to end, and logs read from the storage (a folder, and a real S3 server)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import loggen
import pytest
from click.testing import CliRunner
from conftest import make_catalog

SRC = Path(__file__).resolve().parents[1] / "src"

from artoiscast.cli import cli


@pytest.fixture
def show(tmp_path: Path) -> Path:
    return loggen.show_root(tmp_path)


def stats(root: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["stats", "--root", str(root), *args])


def test_json_csv_and_table(show: Path) -> None:
    log = loggen.write_combined(loggen.scenario(), show / "x.log")
    res = stats(show, str(log), "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["totals"]["downloads"] == 10 and data["filtered"]["unparsed"] == 2
    assert "read 149 new log lines (142 for episodes) from 1 files or objects; 2 did not parse" in res.stderr
    assert f"warning: {log}:6: not a log line: this is not a log line" in res.stderr
    csv = stats(show, "--format", "csv", "--by", "partner")
    assert csv.exit_code == 0 and csv.stdout.splitlines() == [
        "partner,downloads,listeners", ",8,8", "embed (direct),1,1", "https://partner.example,1,1"]
    day = stats(show, "--format", "csv", "--by", "day", "--since", "2026-11-04")
    assert day.stdout.splitlines() == ["day,downloads,listeners", "2026-11-04,2,2"]
    table = stats(show, "--feed", "economy")
    assert table.exit_code == 0
    for text in ("ep-one", "requests not counted", "less than a minute of audio", "anomalies", "one IP address"):
        assert text in table.stdout


@pytest.mark.parametrize("args, message", [
    (["missing.log"], "error: missing.log: not found (give a log file, a folder or a glob)"),
    (["--since", "2026-13-01"], 'error: --since: "2026-13-01" is not a date (use YYYY-MM-DD)'),
    (["--until", "3 nov"], 'error: --until: "3 nov" is not a date (use YYYY-MM-DD)'),
    (["--feed", "sport"], 'error: --feed: "sport" is not a feed (one of: all, economy, energy)'),
    (["--episode", "nope"], 'error: --episode: "nope" is not an episode of the manifest nor of the statistics'),
    (["--by", "country"], "error: --by country: needs --geoip FILE (a MaxMind .mmdb country database: "
                          "GeoLite2-Country, DB-IP Lite...), given while the logs are read"),
    (["--geoip", "nope.mmdb"], "error: nope.mmdb: --geoip: not found (give a MaxMind .mmdb country database)"),
])
def test_bad_input_is_one_line(show: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(show)
    loggen.write_combined(loggen.scenario(), show / "build" / "access.log")
    res = stats(show, *args)
    assert res.stderr.strip().splitlines()[-1] == message and res.exit_code == 2


def test_no_log_at_all(show: Path) -> None:
    res = stats(show)
    assert res.exit_code == 2 and res.stderr.strip() == (
        "error: build/access.log: no log given and no serve log yet (give LOG files, folders or globs, or "
        "--from-storage PREFIX)")


def test_html_report_is_written_and_never_into_the_site(show: Path) -> None:
    log = str(loggen.write_combined(loggen.scenario(), show / "x.log"))
    res = stats(show, log, "--html", str(show / "report"))
    assert res.exit_code == 0, res.output
    page = (show / "report" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Document privé" in page
    (show / "build" / "site").mkdir(parents=True, exist_ok=True)  # where the built (so public) show goes
    res = stats(show, log, "--html", str(show / "build" / "site" / "stats"))
    assert res.exit_code == 2 and "the report is private" in res.stderr, res.output
    assert not (show / "build" / "site" / "stats").exists()


# ---------------------------------------------------------------- a real serve run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fetch(url: str, ua: str | None, *, method: str = "GET", headers: dict[str, str] | None = None) -> bytes:
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if ua is not None:
        req.add_header("User-Agent", ua)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read()


def test_serve_log_counted_end_to_end(show: Path) -> None:
    public = show / "public"
    media = "media/ep-one/ep-one-1a2b3c4d.mp3"
    (public / "media" / "ep-one").mkdir(parents=True)
    audio = b"ID3" + os.urandom(2_000_000)
    (public / media).write_bytes(audio)
    (public / "index.html").write_text("<!doctype html><title>show</title>", encoding="utf-8")
    (public / "feeds").mkdir()
    (public / "feeds" / "all.xml").write_text("<rss/>", encoding="utf-8")
    manifest = loggen.manifest()
    manifest["episodes"]["ep-one"]["length"] = len(audio)
    (show / "build" / "site" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "artoiscast", "serve", "--root", str(show), "--dir", str(public),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert "serving" in (proc.stdout.readline() if proc.stdout else "")
        base = f"http://127.0.0.1:{port}/"
        url = base + media
        assert _fetch(url + "?feed=economy", loggen.UA["apple"]) == audio  # a download
        _fetch(url + "?feed=all", loggen.UA["antenna"], method="HEAD")  # not a GET
        assert _fetch(url + "?feed=all", loggen.UA["antenna"], headers={"Range": "bytes=0-1"}) == b"ID"  # a probe
        assert len(_fetch(url + "?feed=all", loggen.UA["antenna"])) == len(audio)  # a download
        _fetch(url + "?feed=web", loggen.UA["chrome"], headers={"Range": "bytes=0-99999",
                                                                 "Referer": base + "episodes/ep-one/"})  # short
        _fetch(url, None)  # Python-urllib's own agent: a library the lists call a bot
        _fetch(url + "?feed=energy", loggen.UA["overcast"])
        _fetch(url + "?feed=energy", loggen.UA["overcast"])  # the same listener again: a duplicate
        _fetch(base + "feeds/all.xml", loggen.UA["apple"])  # a feed: not an episode
    finally:
        proc.send_signal(signal.SIGINT)  # serve flushes its log as it stops
        proc.communicate(timeout=30)
    log = show / "build" / "access.log"
    assert len(log.read_text(encoding="utf-8").splitlines()) == 9
    res = stats(show, "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["totals"] == {"downloads": 3, "listeners": 3}
    assert data["filtered"] == {"non_get": 1, "probes": 1, "short": 1, "bots": 1, "duplicates": 1, "unparsed": 0}
    apps = {r["app"]: r["count"] for r in data["downloads"]}
    assert apps == {"Apple Podcasts": 1, "AntennaPod": 1, "Overcast": 1}
    assert {r["feed"] for r in data["downloads"]} == {"economy", "all", "energy"}
    again = stats(show, "--format", "json")
    assert "read 0 new log lines" in again.stderr and json.loads(again.stdout)["totals"] == data["totals"]


# ---------------------------------------------------------------- logs in the storage


def _catalog(root: Path) -> Path:
    make_catalog(root, with_audio=False)
    (root / "build" / "site").mkdir(parents=True, exist_ok=True)
    (root / "build" / "site" / "manifest.json").write_text(json.dumps(loggen.manifest()), encoding="utf-8")
    return root


def test_logs_from_a_folder_storage(tmp_path: Path) -> None:
    root = _catalog(tmp_path / "show")
    logs_dir = root / "public" / "logs"
    sc = loggen.scenario()
    lines = [loggen.s3_line(r) for r in sc.requests]
    logs_dir.mkdir(parents=True)
    (logs_dir / "2026-11-03-a").write_text("\n".join(lines[:60]) + "\n", encoding="utf-8")
    (logs_dir / "2026-11-04-b").write_text("\n".join(lines[60:]) + "\n", encoding="utf-8")
    res = stats(root, "--from-storage", "logs/", "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["totals"]["downloads"] == 10 and data["filtered"] == {**sc.expected["filtered"], "unparsed": 0}
    assert "from 2 files or objects" in res.stderr
    again = stats(root, "--from-storage", "logs/", "--format", "json")
    assert "read 0 new log lines" in again.stderr


def test_logs_from_s3(tmp_path: Path, s3server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    for name, value in s3server.env.items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    bucket = "logs-show"
    s3server.make_bucket(bucket)  # type: ignore[attr-defined]
    client = s3server.client()  # type: ignore[attr-defined]
    sc = loggen.scenario()
    s3 = [loggen.s3_line(r) for r in sc.requests]
    client.put_object(Bucket=bucket, Key="s3-logs/2026-11-03-10-00-00-A", Body=("\n".join(s3[:70]) + "\n").encode())
    client.put_object(Bucket=bucket, Key="s3-logs/2026-11-04-10-00-00-B", Body=("\n".join(s3[70:]) + "\n").encode())
    root = _catalog(tmp_path / "show")
    target = ["--to", f"s3://{bucket}", "--endpoint-url", s3server.endpoint, "--path-style"]  # type: ignore[attr-defined]
    res = stats(root, "--from-storage", "s3-logs/", "--format", "json", *target)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["totals"]["downloads"] == 10
    assert "from 2 files or objects" in res.stderr
    # a CloudFront log delivered later, gzipped, with its own requests (two more listeners); the others are not read again
    extra = [r for r in sc.requests if r.expect == "download" and r.episode == "ep-short"][0]
    more = [loggen.Req(extra.time, ip, "GET", extra.path, "feed=energy", 200, extra.sent, loggen.UA["apple"])
            for ip in ("192.0.2.201", "192.0.2.202")]
    body = "#Version: 1.0\n#Fields: " + loggen.CF_FIELDS + "\n" + "\n".join(loggen.cloudfront_line(r) for r in more)
    client.put_object(Bucket=bucket, Key="s3-logs/cf/E2EXAMPLE.2026-11-03-10.abcd.gz",
                      Body=gzip.compress(body.encode() + b"\n"))
    res = stats(root, "--from-storage", "s3-logs/", "--format", "json", *target)
    assert res.exit_code == 0, res.stderr
    assert "read 2 new log lines (2 for episodes) from 1 files or objects" in res.stderr
    # those days are weeks old: their salts were deleted after the first run, and the run says what that means
    assert "warning: 2 requests are of days whose salt was already deleted" in res.stderr
    assert json.loads(res.stdout)["totals"]["downloads"] == 12


def test_countries_with_a_geoip_database(show: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    for net, code in [("192.0.2.0/24", "FR"), ("198.51.100.0/24", "BE"), ("2001:db8::/32", "FR")]:
        writer.insert_network(IPSet([net]), {"country": {"iso_code": code}})
    mmdb = show / "countries.mmdb"
    writer.to_db_file(str(mmdb))
    log = loggen.write_combined(loggen.scenario(), show / "x.log")
    res = stats(show, str(log), "--geoip", str(mmdb), "--by", "country", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines() == ["country,downloads,listeners", "FR,7,7", "BE,2,2", ",1,1"]
    later = stats(show, "--by", "country", "--format", "csv")  # kept: no need to give the file again to show them
    assert later.stdout == res.stdout
    bad = show / "bad.mmdb"
    bad.write_text("not a database", encoding="utf-8")
    res = stats(show, "--geoip", str(bad))
    assert res.exit_code == 2 and res.stderr.strip().startswith(f"error: {bad}: --geoip: is not a MaxMind DB file")


def test_json_output_is_the_plain_encoding_with_one_line_per_download():
    from artoiscast.stats.output import to_json

    data = {"method": {"window": "calendar day"}, "anomalies": [{"kind": "ip", "detail": "a \u0000downloads b"}],
            "downloads": [{"episode": "é-1", "count": 3, "day": "2026-01-01"}, {"episode": "b", "count": 1}],
            "totals": {"downloads": 4}}
    text = to_json(data)
    assert json.loads(text) == data
    assert '  {"count": 3, "day": "2026-01-01", "episode": "é-1"},\n' in text
    tricky = {**data, "anomalies": [{"kind": "ip", "detail": "\u0000downloads"}]}
    assert json.loads(to_json(tricky)) == tricky
    assert json.loads(to_json({**data, "downloads": []})) == {**data, "downloads": []}


def test_memory_limit_refused_or_too_small_is_one_line_and_the_next_run_counts(show: Path) -> None:
    log = loggen.write_combined(loggen.scenario(), show / "x.log")
    bad = stats(show, str(log), "--memory-limit", "lots")
    assert bad.exit_code == 2 and bad.stderr.strip() == 'error: --memory-limit: "lots" is not a size (use e.g. 384MB or 2GB)'
    small = stats(show, str(log), "--memory-limit", "256KB")
    db = show / "build" / "stats.duckdb"
    assert small.exit_code == 1, small.output
    assert small.stderr.startswith(f"error: {db}: ran out of memory under --memory-limit 256KB (")
    assert len(small.stderr.strip().splitlines()) == 1 and "Traceback" not in small.output
    again = stats(show, str(log), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["totals"]["downloads"] == 10


def test_an_unreadable_log_or_a_full_disk_is_one_line_and_nothing_is_counted_twice(show: Path) -> None:
    """As root without its read-anything capability: a log that cannot be read is one line
    naming it (exit 2); the database is untouched, and the next readable run counts it once.
    On a disk too small for the database: one line, exit 1, no traceback."""
    from hostile import cli as artoiscast, on_small_disk, run, unprivileged

    log = loggen.write_combined(loggen.scenario(), show / "x.log")
    log.chmod(0o000)
    done = run(unprivileged(artoiscast("stats", "--root", show, log)), env={"PYTHONPATH": str(SRC)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {log}: cannot be read (permission denied: let the user "
                                                "running artoiscast read it)"], done.stderr
    log.chmod(0o644)
    res = stats(show, str(log), "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["totals"]["downloads"] == 10
    for size in (4096, 16384):  # the database cannot be created; its first commit cannot be written
        full = run(on_small_disk(show / "tiny", size, artoiscast("stats", "--root", show, log,
                                                                 "--db", show / "tiny" / "s.duckdb")),
                   env={"PYTHONPATH": str(SRC)})
        errors = [line for line in full.stderr.splitlines() if line.startswith("error: ")]
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
        assert len(errors) == 1 and "disk full, free some space, then run it again" in errors[0], full.stderr
