"""The IAB rules on logs with a known answer, in every format; privacy; incremental reads."""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import shutil
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

import loggen
from artoiscast.stats import engine, query

NOW = datetime(2026, 11, 5, 12, tzinfo=timezone.utc)  # two days after the scenario's first day


@pytest.fixture
def show(tmp_path: Path) -> Path:
    return loggen.show_root(tmp_path)


def count(root: Path, inputs: list[str], now: datetime = NOW, **kw: object) -> engine.Result:
    return engine.run(root, inputs, now=now, **kw)  # type: ignore[arg-type]


def breakdown(result: engine.Result) -> dict[str, int]:
    return result.data["method"]["breakdown"]


def by(result: engine.Result, key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in result.data["downloads"]:
        if row[key] is not None:
            out[row[key]] = out.get(row[key], 0) + row["count"]
    return out


WRITERS = {"combined": loggen.write_combined, "s3": loggen.write_s3, "cloudfront": loggen.write_cloudfront}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_known_answer_per_rule(show: Path, fmt: str, gz: bool) -> None:
    sc = loggen.scenario()
    exp = sc.expected
    path = WRITERS[fmt](sc, show / "logs" / ("x.log.gz" if gz else "x.log"), gz=gz)
    result = count(show, [str(path)])
    data = result.data
    assert data["filtered"] == exp["filtered"]
    assert data["totals"]["downloads"] == exp["downloads"] == 10
    assert data["totals"]["listeners"] == 10  # a listener per download: nobody downloaded two episodes in a day
    assert by(result, "episode") == exp["by_episode"]
    assert by(result, "app") == exp["by_app"]
    assert by(result, "partner") == exp["by_partner"] == {"https://partner.example": 1, "embed (direct)": 1}
    assert by(result, "feed") == exp["by_feed"]
    assert by(result, "day") == exp["by_day"] == {"2026-11-03": 8, "2026-11-04": 2}
    b = breakdown(result)
    assert (b["watch"], b["collapsed"], b["repeat"]) == (exp["watch"], exp["collapsed"], exp["repeat"]) == (1, 117, 5)
    # every request for an episode is in exactly one bucket; the others (feeds, pages) are only counted
    assert data["totals"]["downloads"] + sum(b.values()) == exp["media_requests"]
    assert data["method"]["other_requests"] == exp["other_requests"] == 5
    assert [(a["kind"], a["excluded"]) for a in data["anomalies"]] == [("ip", True)]
    assert "40 downloads" in data["anomalies"][0]["detail"] and "39 downloads removed" in data["anomalies"][0]["detail"]
    assert result.read.unparsed == 2 and result.read.lines == len(sc.requests) + 2
    first = 3 if fmt == "cloudfront" else 1
    assert [(n, t[:10]) for _, n, t in result.read.examples] == [(5 + first, "this is no"), (40 + first, "192.0.2.99")]
    assert data["method"]["unparsed_lines"] == [f"{path}:{5 + first}", f"{path}:{40 + first}"]


def test_json_shape_and_filters(show: Path) -> None:
    path = loggen.write_combined(loggen.scenario(), show / "x.log")
    data = count(show, [str(path)]).data
    assert sorted(data) == ["anomalies", "downloads", "filtered", "method", "period", "totals"]
    assert data["period"] == {"since": "2026-11-03", "until": "2026-11-04"}
    assert sorted(data["downloads"][0]) == ["app", "count", "day", "device", "episode", "feed", "partner"]
    assert sorted(data["filtered"]) == ["bots", "duplicates", "non_get", "probes", "short", "unparsed"]
    assert {r["device"] for r in data["downloads"]} == {"mobile", "computer"}
    one = count(show, [], filters=query.Filters(since=date(2026, 11, 4))).data
    assert one["totals"]["downloads"] == 2 and one["period"] == {"since": "2026-11-04", "until": "2026-11-04"}
    eco = count(show, [], filters=query.Filters(feed="economy")).data
    assert eco["totals"]["downloads"] == 4
    ep = count(show, [], filters=query.Filters(episode="ep-short"), by="app")
    assert ep.data["totals"]["downloads"] == 1 and ep.rows == [["Overcast", 1, 1]]
    assert ep.data["filtered"]["duplicates"] == 1  # its 304
    with pytest.raises(engine.CatalogError, match='"nope" is not a feed'):
        count(show, [], filters=query.Filters(feed="nope"))
    with pytest.raises(engine.CatalogError, match='"nope" is not an episode'):
        count(show, [], filters=query.Filters(episode="nope"))


def test_episode_table_columns(show: Path) -> None:
    result = count(show, [str(loggen.write_combined(loggen.scenario(), show / "x.log"))])
    cols = result.columns
    assert cols[:3] == ["episode", "downloads", "listeners"]
    row = dict(zip(cols, next(r for r in result.rows if r[0] == "ep-one"), strict=True))
    assert (row["downloads"], row["feed:economy"], row["feed:all"], row["app:Apple Podcasts"]) == (5, 3, 2, 2)
    assert sum(v for k, v in row.items() if k.startswith("feed:")) == 5
    assert sum(v for k, v in row.items() if k.startswith("app:")) == 5


def test_ipv6_networks_match_python(show: Path) -> None:
    con = engine.open_db(show / "db.duckdb")
    for ip in ["2001:db8:aa:bb::1", "2001:0DB8:00aa:00bb:0000:0000:0000:0002", "2001:db8::", "::1", "fe80::1%eth0",
               "2001:db8:0:0:1::9", "::ffff:192.0.2.7", "192.0.2.7", "2001:db8:1:2:3:4:5:6"]:
        net, block = con.execute("SELECT ip_net(?), ip_block(?)", [ip, ip]).fetchone()
        clean = ip.split("%")[0]
        addr = ipaddress.ip_address(clean)
        if addr.version == 6 and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        if addr.version == 4:
            assert net == str(addr) and block == str(ipaddress.ip_network(f"{addr}/24", strict=False))
        else:
            expect = ipaddress.ip_network(f"{addr}/64", strict=False).exploded.split(":")[:4]
            assert net == ":".join(g.lstrip("0") or "0" for g in expect) + "::/64"
            expect48 = ipaddress.ip_network(f"{addr}/48", strict=False).exploded.split(":")[:3]
            assert block == ":".join(g.lstrip("0") or "0" for g in expect48) + "::/48"
    con.close()


def test_no_raw_ip_is_stored_and_salts_are_forgotten(show: Path) -> None:
    sc = loggen.scenario()
    path = loggen.write_combined(sc, show / "x.log")
    count(show, [str(path)], now=datetime(2026, 11, 4, 12, tzinfo=timezone.utc))
    db = show / "build" / "stats.duckdb"
    salts = Path(str(db) + ".salts")
    assert stat.S_IMODE(salts.stat().st_mode) == 0o600
    assert sorted(json.loads(salts.read_text())) == ["2026-11-03", "2026-11-04"]
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.glob("stats.duckdb*") if p.is_file())
    for ip in {r.ip for r in sc.requests}:
        assert ip.encode() not in raw
    for text in ("192.0.2.10", "2001:db8:aa:bb"):
        assert text.encode() not in raw
    # three days later both salts are gone: no hash can be tied to an address any more; the counts stay
    later = count(show, [], now=datetime(2026, 11, 7, 12, tzinfo=timezone.utc))
    assert json.loads(salts.read_text()) == {}
    assert later.data["totals"]["downloads"] == 10
    con = duckdb.connect(str(db), read_only=True)
    assert [str(r[0]) for r in con.execute("SELECT day FROM forgotten ORDER BY day").fetchall()] == [
        "2026-11-03", "2026-11-04"]
    con.close()


def _split(sc: loggen.Scenario) -> tuple[list[str], list[str]]:
    lines = [loggen.combined_line(r) for r in sc.requests]
    day1 = [ln for r, ln in zip(sc.requests, lines, strict=True) if loggen.paris_day(r.time) == sc.day1]
    day2 = [ln for r, ln in zip(sc.requests, lines, strict=True) if loggen.paris_day(r.time) == sc.day2]
    return day1, day2


def _cursor(root: Path) -> list[tuple[int, int]]:
    con = duckdb.connect(str(root / "build" / "stats.duckdb"), read_only=True)
    rows = con.execute('SELECT "offset", lines FROM log_streams ORDER BY id').fetchall()
    con.close()
    return rows


def test_incremental_append_rotate_truncate(show: Path) -> None:
    sc = loggen.scenario()
    day1, day2 = _split(sc)
    log = show / "build" / "access.log"
    log.write_text("\n".join(day1) + "\n", encoding="utf-8")
    first = count(show, [str(log)])
    assert first.read.lines == len(day1) and first.data["totals"]["downloads"] == 8
    assert _cursor(show) == [(log.stat().st_size, len(day1))]
    with log.open("a", encoding="utf-8") as f:  # a day more
        f.write("\n".join(day2) + "\n")
    second = count(show, [str(log)])
    assert second.read.lines == len(day2)  # only the new lines were read
    assert _cursor(show) == [(log.stat().st_size, len(day1) + len(day2))]
    assert second.data["totals"]["downloads"] == 10
    assert second.data["filtered"] == {**sc.expected["filtered"], "unparsed": 0}
    again = count(show, [str(log)])
    assert again.read.lines == 0 and again.read.regions == 0 and again.data == second.data
    # logrotate: renamed, then compressed; a new log starts: only the new one is read
    rotated = show / "build" / "access.log.1"
    log.rename(rotated)
    extra = '192.0.2.77 - - [04/Nov/2026:12:00:00 +0100] "GET /media/ep-two/ep-two-1a2b3c4d.mp3 HTTP/1.1" 200 20000000 "-" "AntennaPod/3.4.0"'
    log.write_text(extra + "\n", encoding="utf-8")
    third = count(show, [str(show / "build" / "access.log*")])
    assert third.read.lines == 1 and third.data["totals"]["downloads"] == 11
    (show / "build" / "access.log.2.gz").write_bytes(gzip.compress(rotated.read_bytes()))
    rotated.unlink()
    (show / "build" / "notes.txt").write_text("not a log\nat all\n", encoding="utf-8")
    fourth = count(show, [str(show / "build")])  # a folder: its database and other files are not logs
    assert fourth.read.lines == 0 and fourth.data["totals"]["downloads"] == 11
    assert fourth.read.skipped == [str(show / "build" / "notes.txt")]
    # copytruncate: the log is emptied in place and written again from its start
    log.write_text("", encoding="utf-8")
    other = extra.replace("192.0.2.77", "192.0.2.78")
    log.write_text(other + "\n", encoding="utf-8")
    fifth = count(show, [str(log)])
    assert fifth.read.lines == 1 and fifth.data["totals"]["downloads"] == 12


def test_partial_last_line_waits_for_its_newline(show: Path) -> None:
    sc = loggen.scenario()
    day1, _ = _split(sc)
    log = show / "access.log"
    log.write_text("\n".join(day1[:10]) + "\n" + day1[10][:30], encoding="utf-8")
    first = count(show, [str(log)])
    assert first.read.lines == 10
    with log.open("a", encoding="utf-8") as f:
        f.write(day1[10][30:] + "\n")
    assert count(show, [str(log)]).read.lines == 1
    # a file nobody wrote to for a while: its last line counts even without a newline
    settled = show / "old.log"
    settled.write_text(day1[11], encoding="utf-8")
    old = (NOW - timedelta(hours=1)).timestamp()
    os.utime(settled, (old, old))
    assert count(show, [str(settled)]).read.lines == 1


def test_carriage_returns_and_bad_utf8_take_the_reference_parser(show: Path) -> None:
    sc = loggen.scenario()
    day1, _ = _split(sc)
    crlf = show / "crlf.log"
    crlf.write_bytes(("\r\n".join(day1[:5]) + "\r\nnot a line\r\n" + "\r\n".join(day1[5:20]) + "\r\n").encode())
    latin = show / "latin.log"
    latin.write_bytes(("\n".join(day1[20:25]) + "\n").encode() + b"caf\xe9 not a line\n")
    result = count(show, [str(crlf), str(latin)])
    assert result.read.lines == 20 + 1 + 5 + 1 and result.read.unparsed == 2
    assert [(s.rsplit("/", 1)[-1], n) for s, n, _ in result.read.examples] == [("crlf.log", 6), ("latin.log", 6)]


def test_cloudfront_overlapping_ranges_count_once(show: Path) -> None:
    """CloudFront logs where each range starts: two overlapping ranges are the bytes of one."""
    sc = loggen.scenario()
    one = loggen.EP["ep-one"]
    base = next(r for r in sc.requests if r.expect == "download" and r.episode == "ep-one")
    reqs = [loggen.Req(base.time + timedelta(seconds=i), "192.0.2.200", "GET", "/" + one.media, "feed=all", 206,
                       700_000, loggen.UA["apple"], range=(s, s + 699_999), episode="ep-one")
            for i, s in enumerate((0, 300_000))]  # 1 000 000 bytes apart, 1 400 000 summed; a minute needs 1 025 536
    path = show / "cf.log"
    path.write_text("#Version: 1.0\n#Fields: " + loggen.CF_FIELDS + "\n"
                    + "\n".join(loggen.cloudfront_line(r) for r in reqs) + "\n", encoding="utf-8")
    data = count(show, [str(path)]).data
    assert data["totals"]["downloads"] == 0 and data["filtered"]["short"] == 2
    comb = show / "combined.log"  # the combined log knows only the bytes sent: they add up to a download
    comb.write_text("\n".join(loggen.combined_line(r) for r in reqs) + "\n", encoding="utf-8")
    data = count(show, [str(comb)], db=show / "other.duckdb").data
    assert data["totals"]["downloads"] == 1


def test_rules_and_lists_change_count_every_day_again(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = loggen.write_combined(loggen.scenario(), show / "x.log")
    count(show, [str(path)])
    manifest = loggen.manifest()
    manifest["episodes"]["ep-two"]["bitrate"] = 256  # a minute of ep-two is now 1 920 000 bytes: Bob and Eve
    (show / "build" / "site" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")  # fall short
    data = count(show, []).data
    assert data["totals"]["downloads"] == 8 and data["filtered"]["short"] == 3 + 2 + 1
    monkeypatch.setattr(engine.rules, "RULES_VERSION", "test")
    assert count(show, []).data["totals"]["downloads"] == 8


def test_missing_inputs_are_bad_input(show: Path) -> None:
    with pytest.raises(engine.CatalogError, match="not found"):
        count(show, [str(show / "nope.log")])
    with pytest.raises(engine.CatalogError, match="matches no file"):
        count(show, [str(show / "*.nope")])
    shutil.rmtree(show / "build" / "site")
    with pytest.raises(engine.CatalogError, match="run artoiscast build first"):
        count(show, [])


def test_a_log_growing_while_read_is_read_as_scanned(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day1, _ = _split(loggen.scenario())
    log = show / "access.log"
    log.write_text("\n".join(day1[:30]) + "\n", encoding="utf-8")
    real = engine.Reader._read

    def read_while_serve_writes(self: engine.Reader, region: object) -> None:
        if region.path == log and not region.temporary:  # type: ignore[attr-defined]
            with log.open("a", encoding="utf-8") as f:
                f.write(day1[30] + "\n")
        real(self, region)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.Reader, "_read", read_while_serve_writes)
    assert count(show, [str(log)]).read.lines == 30  # what was scanned, not the line added meanwhile
    monkeypatch.undo()
    assert count(show, [str(log)]).read.lines == 1


def test_flagged_anomalies_are_shown_and_not_excluded(show: Path) -> None:
    one, two = loggen.EP["ep-one"], loggen.EP["ep-two"]
    d1 = datetime(2026, 11, 3, 9, tzinfo=timezone.utc)
    d2 = d1 + timedelta(days=1)
    reqs = [loggen.Req(d1, "192.0.2.1", "GET", "/" + two.media, "feed=all", 200, two.length, loggen.UA["apple"])]
    # one listener seeking 250 times through ep-one: one download, flagged
    reqs += [loggen.Req(d1 + timedelta(seconds=i), "192.0.2.2", "GET", "/" + one.media, "feed=all", 206, 100_000,
                        loggen.UA["antenna"]) for i in range(250)]
    # 70 addresses of one /24, a download each: the network is flagged, each counted
    reqs += [loggen.Req(d1 + timedelta(minutes=5, seconds=i), f"198.51.100.{i + 1}", "GET", "/" + one.media, "", 200,
                        one.length, loggen.UA["apple"]) for i in range(70)]
    reqs += [loggen.Req(d1 + timedelta(minutes=9, seconds=i), f"10.{100 + i}.0.1", "GET", "/" + one.media, "", 200,
                        one.length, loggen.UA["apple"]) for i in range(10)]  # ten other networks, one each
    # ep-two the next day: one download at 10:00, then 40 from 40 networks between 16:00 and 17:00 (Paris)
    reqs.append(loggen.Req(d2, "192.0.2.3", "GET", "/" + two.media, "", 200, two.length, loggen.UA["apple"]))
    reqs += [loggen.Req(d2 + timedelta(hours=6, seconds=i), f"10.{i}.0.1", "GET", "/" + two.media, "", 200, two.length,
                        loggen.UA["apple"]) for i in range(40)]
    path = show / "a.log"
    path.write_text("\n".join(loggen.combined_line(r) for r in reqs) + "\n", encoding="utf-8")
    data = count(show, [str(path)]).data
    assert data["totals"]["downloads"] == 1 + 1 + 70 + 10 + 1 + 40
    kinds = sorted((a["kind"], a["excluded"]) for a in data["anomalies"])
    assert kinds == [("burst", False), ("listener", False), ("network", False)]
    text = {a["kind"]: a["detail"] for a in data["anomalies"]}
    assert text["listener"] == "one listener made 250 requests for ep-one on 2026-11-03 (counted as one download)"
    assert text["network"].startswith("one network (a /24, or an IPv6 /48) made 70 downloads on 2026-11-03")
    assert text["burst"].startswith("40 downloads of ep-two between 16:00 and 17:00 on 2026-11-04, where its usual "
                                    "hour has 1")


def test_days_counted_in_batches_give_the_same_answer(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = loggen.write_combined(loggen.scenario(), show / "x.log")
    whole = count(show, [str(path)], db=show / "a.duckdb").data
    monkeypatch.setattr(engine.rules, "BATCH_HITS", 10)  # a batch a day
    batched = count(show, [str(path)], db=show / "b.duckdb").data
    assert batched == whole


def test_without_rows_is_the_same_answer_but_the_rows(show: Path) -> None:
    path = loggen.write_combined(loggen.scenario(), show / "x.log")
    full = count(show, [str(path)])
    lean = count(show, [], rows=False)
    assert full.data["downloads"] and lean.data["downloads"] == []
    assert {**lean.data, "downloads": full.data["downloads"]} == full.data
    assert (lean.columns, lean.rows) == (full.columns, full.rows)
