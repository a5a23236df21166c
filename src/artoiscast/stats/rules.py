"""The IAB Podcast Measurement v2.2 rules, as SQL over the requests of whole days.

Every request for an episode's audio lands in exactly one bucket, in this order (the README
gives the reasons, rule by rule):

1. ``non_get``: not a GET (HEAD, OPTIONS...).
2. ``watch``: Apple Podcasts on an Apple Watch (``atc/``, ``(null) watchOS/``): the watch copies an
   episode its iPhone downloads too, so it is a duplicate (reported under duplicates).
3. ``bots``: a user agent ``agents.excluded`` refuses (bots, bot libraries, no user agent,
   unknown agents that call themselves bot/crawler/spider, pre-loading web apps).
4. ``probes``: a Range asking for at most 2 bytes (``bytes=0-1``), or a 206 that sent at most 2.
5. the rest is grouped by listener (salted IP + User-Agent) and episode, per Paris day: a group
   whose bytes cover at least one minute of audio (or the whole file) is one **download**, its
   other requests are ``repeat`` (duplicates); a shorter one's requests are ``short``.
6. an IP address with far more downloads in a day than the others (more than :data:`IP_FLOOR`
   and :data:`IP_FACTOR` times the day's median) counts as one listener: one download per
   episode, the rest ``collapsed`` (duplicates) and an anomaly shown as excluded.

Listeners, /24 networks and episodes far above the rest are flagged as anomalies too, and shown
as not excluded (the rules above already count each of them at most once per episode and day).
"""

from __future__ import annotations

from typing import Any

RULES_VERSION = "1"
MINUTE = 60  # seconds of audio a download must deliver (or the whole file)
DEFAULT_KBPS = 128  # for media the manifest does not describe
WATCH_RX = r"^atc/|\(null\) watchOS/"  # OPAWG user-agents-v2 bots.json "Apple Podcasts (Watch)"
PROBE_BYTES = 2
IP_FLOOR, IP_FACTOR = 30, 20  # downloads in a day by one IP address: collapsed above both
LISTENER_REQUESTS = 200  # requests for one episode in a day by one listener: flagged above
NET_FLOOR, NET_FACTOR = 60, 20  # downloads in a day from one /24 (IPv6 /48): flagged above both
BURST_FLOOR, BURST_FACTOR = 30, 10  # downloads of one episode in one hour: flagged above both
ORIGIN_RX = r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$"
TZ = "Europe/Paris"

TABLES = """
CREATE TABLE IF NOT EXISTS downloads (day DATE, t TIMESTAMPTZ, slug VARCHAR, feed VARCHAR, app VARCHAR,
    device VARCHAR, partner VARCHAR, country VARCHAR, listener UBIGINT);
CREATE TABLE IF NOT EXISTS filtered (day DATE, slug VARCHAR, feed VARCHAR, rule VARCHAR, n BIGINT);
CREATE TABLE IF NOT EXISTS anomalies (day DATE, slug VARCHAR, kind VARCHAR, detail VARCHAR, excluded BOOLEAN);
"""


def create(con: Any) -> None:
    con.execute(TABLES)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _requests() -> str:
    """Each request of the dirty days with its agent, episode limits and first rule (NULL: none yet)."""
    return f"""
CREATE OR REPLACE TEMP TABLE r AS
SELECT id, day, t, listener, ipkey, net, status, sent, slug, feed, embed, country, length, kbps, off, app, device,
  CASE WHEN method <> 'GET' THEN 'non_get'
       WHEN regexp_matches(ua, {_q(WATCH_RX)}) THEN 'watch'
       WHEN excluded IS NOT NULL THEN 'bots'
       WHEN asked <= {PROBE_BYTES} OR (status = 206 AND sent <= {PROBE_BYTES}) THEN 'probes' END AS rule,
  rs
FROM (SELECT h.rowid AS id, h.day, h.t, h.listener, h.ipkey, h.net, h.method, h.status, h.sent, h.slug, h.feed,
        h.embed, h.country, h.ua, e.length, coalesce(e.bitrate, {DEFAULT_KBPS}) AS kbps,
        coalesce(e.audio_offset, 0) AS off, coalesce(b.referrer, a.referrer, a.name) AS app,
        a.device_category AS device, coalesce(b.excluded, a.excluded) AS excluded,
        CASE WHEN rx.s <> '' THEN rx.s::BIGINT WHEN rx.e <> '' THEN greatest(e.length - rx.e::BIGINT, 0) END AS rs,
        CASE WHEN rx.s <> '' AND rx.e <> '' THEN rx.e::BIGINT - rx.s::BIGINT + 1 WHEN rx.e <> '' THEN rx.e::BIGINT END
          AS asked
      FROM (SELECT *, rowid, regexp_extract("range", '^bytes=([0-9]{{0,18}})-([0-9]{{0,18}})$', ['s', 'e']) AS rx
            FROM hits WHERE day IN (SELECT day FROM dd)) h
      LEFT JOIN episodes e ON e.slug = h.slug
      LEFT JOIN agents a ON a.ua = h.ua AND a.referer = ''
      LEFT JOIN agents b ON b.ua = h.ua AND b.referer = h.referer AND h.referer <> '' AND a.kind = 'browser')
"""


# bytes of audio delivered per (day, listener, episode) by requests whose offset is known: a 200
# starts at 0, a 206 at its Range's first byte; overlapping ranges count once (islands)
KNOWN = """
CREATE OR REPLACE TEMP TABLE known AS
WITH iv AS (SELECT day, listener, slug, off, length, CASE WHEN status = 200 THEN 0 ELSE rs END AS s,
                   CASE WHEN status = 200 THEN 0 ELSE rs END + sent - 1 AS e
            FROM r WHERE rule IS NULL AND sent > 0 AND (status = 200 OR (status = 206 AND rs IS NOT NULL))),
o AS (SELECT *, max(e) OVER (PARTITION BY day, listener, slug ORDER BY s, e
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe FROM iv),
k AS (SELECT *, sum(CASE WHEN pe IS NULL OR s > pe + 1 THEN 1 ELSE 0 END)
                 OVER (PARTITION BY day, listener, slug ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS isl FROM o),
i AS (SELECT day, listener, slug, isl, min(s) AS s, least(max(e), coalesce(any_value(length) - 1, max(e))) AS e,
             any_value(off) AS off FROM k GROUP BY day, listener, slug, isl)
SELECT day, listener, slug, sum(greatest(0, e - greatest(s, off) + 1)) AS audio FROM i GROUP BY day, listener, slug
"""


def _groups() -> str:
    minute = f"{MINUTE} * any_value(kbps) * 125"
    return f"""
CREATE OR REPLACE TEMP TABLE g AS
SELECT *, audio >= greatest(need, 1) AS counted FROM (
  SELECT day, listener, slug, any_value(ipkey) AS ipkey, any_value(net) AS net, count(*) AS requests,
         first(feed ORDER BY t, id) AS feed, first(embed ORDER BY t, id) AS embed,
         first(app ORDER BY t, id) AS app, first(device ORDER BY t, id) AS device,
         first(country ORDER BY t, id) AS country, min(t) AS t,
         coalesce(any_value(k.audio), 0) + greatest(0, coalesce(sum(sent) FILTER (WHERE status = 206 AND rs IS NULL), 0)
           - any_value(off)) AS audio,
         least(({minute})::BIGINT, coalesce(any_value(length) - any_value(off), 9000000000000000000)) AS need
  FROM r LEFT JOIN known k USING (day, listener, slug) WHERE rule IS NULL GROUP BY day, listener, slug)
"""


COLLAPSE = f"""
CREATE OR REPLACE TEMP TABLE ipd AS
SELECT day, ipkey, n, uas, eps, m FROM (
  SELECT day, ipkey, count(*) AS n, count(DISTINCT listener) AS uas, count(DISTINCT slug) AS eps,
         median(count(*)) OVER (PARTITION BY day) AS m FROM g WHERE counted GROUP BY day, ipkey)
WHERE n > greatest({IP_FLOOR}, {IP_FACTOR} * m);
CREATE OR REPLACE TEMP TABLE c AS
SELECT g.*, counted AND f.ipkey IS NOT NULL
            AND row_number() OVER (PARTITION BY g.day, g.ipkey, g.slug, counted ORDER BY g.t, g.listener) > 1
            AS collapsed
FROM g LEFT JOIN ipd f ON f.day = g.day AND f.ipkey = g.ipkey;
"""


def _feed(expr: str) -> str:
    return f"CASE WHEN {expr} IN (SELECT name FROM feeds) THEN {expr} END"


def _partner() -> str:
    return (f"CASE WHEN embed IS NULL THEN (CASE WHEN feed = 'web' THEN 'web' END) WHEN embed = '-' THEN 'embed (direct)' "
            f"WHEN regexp_full_match(lower(embed), {_q(ORIGIN_RX)}) THEN lower(embed) ELSE 'embed (other)' END")


def _results() -> str:
    return f"""
INSERT INTO downloads SELECT day, t, slug, {_feed('feed')}, app, device, {_partner()}, country, listener
FROM c WHERE counted AND NOT collapsed;
INSERT INTO filtered SELECT day, slug, {_feed('feed')}, rule, count(*) FROM r WHERE rule IS NOT NULL GROUP BY ALL;
INSERT INTO filtered SELECT day, slug, {_feed('feed')}, 'short', sum(requests) FROM c WHERE NOT counted GROUP BY ALL;
INSERT INTO filtered SELECT day, slug, {_feed('feed')}, 'repeat', sum(requests - 1) FROM c
    WHERE counted AND NOT collapsed GROUP BY ALL;
INSERT INTO filtered SELECT day, slug, {_feed('feed')}, 'collapsed', sum(requests) FROM c WHERE collapsed GROUP BY ALL;
"""


def _num(expr: str) -> str:
    """A median as text: 1, 2.5."""
    return f"CASE WHEN {expr} = floor({expr}) THEN ({expr})::BIGINT::VARCHAR ELSE round({expr}, 1)::VARCHAR END"


def _anomalies() -> str:
    return f"""
INSERT INTO anomalies
SELECT day, NULL, 'ip', format('one IP address made {{}} downloads ({{}} user agents, {{}} episode{{}}) on {{}}, where the '
    || 'median address made {{}}: counted as one listener, {{}} downloads removed', n, uas, eps,
    CASE WHEN eps > 1 THEN 's' ELSE '' END, day, {_num('m')}, n - eps), true
FROM ipd;
INSERT INTO anomalies
SELECT day, slug, 'listener', format('one listener made {{}} requests for {{}} on {{}} ({{}})', requests, slug, day,
    CASE WHEN counted THEN 'counted as one download' ELSE 'less than a minute: not counted' END), false
FROM g WHERE requests > {LISTENER_REQUESTS};
INSERT INTO anomalies
SELECT day, NULL, 'network', format('one network (a /24, or an IPv6 /48) made {{}} downloads on {{}}, where the median '
    || 'network made {{}} (each listener in it counted once per episode)', n, day, {_num('m')}), false
FROM (SELECT day, net, count(*) AS n, median(count(*)) OVER (PARTITION BY day) AS m FROM c
      WHERE counted AND NOT collapsed GROUP BY day, net) WHERE n > greatest({NET_FLOOR}, {NET_FACTOR} * m);
"""


def _bursts() -> str:
    return f"""
INSERT INTO anomalies
SELECT h.day, h.slug, 'burst', format('{{}} downloads of {{}} between {{}}:00 and {{}}:00 on {{}}, where its usual hour '
    || 'has {{}} (counted: each listener once)', h.n, h.slug, h.hour, h.hour + 1, h.day, {_num('b.m')}), false
FROM (SELECT day, slug, hour(t AT TIME ZONE '{TZ}') AS hour, count(*) AS n FROM downloads
      WHERE day IN (SELECT day FROM dd) GROUP BY ALL) h
JOIN (SELECT slug, median(n) AS m, min(day) AS first FROM (
        SELECT slug, day, hour(t AT TIME ZONE '{TZ}') AS hour, count(*) AS n FROM downloads GROUP BY ALL) GROUP BY slug) b
  ON b.slug = h.slug
WHERE h.day > b.first AND h.n > greatest({BURST_FLOOR}, {BURST_FACTOR} * b.m);
"""


BATCH_HITS = 250_000  # requests counted at once: a run's memory stays flat however many days it counts


def _batches(con: Any, days: list[Any]) -> list[list[Any]]:
    """``days`` cut into runs of consecutive days holding at most :data:`BATCH_HITS` requests each."""
    con.execute("CREATE OR REPLACE TEMP TABLE dd (day DATE)")
    con.executemany("INSERT INTO dd VALUES (?)", [(d,) for d in days])
    sizes = dict(con.execute("SELECT day, count(*) FROM hits WHERE day IN (SELECT day FROM dd) GROUP BY day").fetchall())
    out: list[list[Any]] = [[]]
    total = 0
    for d in sorted(days):
        n = int(sizes.get(d, 0))
        if out[-1] and total + n > BATCH_HITS:
            out.append([])
            total = 0
        out[-1].append(d)
        total += n
    return out


def recompute(con: Any, days: list[Any]) -> None:
    """Apply the rules again to every request of ``days``: their rows of ``downloads``,
    ``filtered`` and ``anomalies`` are replaced. Days are independent (the window is a day),
    so they are counted a batch at a time; bursts last, as they compare an episode's hours."""
    for batch in _batches(con, days):
        con.execute("CREATE OR REPLACE TEMP TABLE dd (day DATE)")
        con.executemany("INSERT INTO dd VALUES (?)", [(d,) for d in batch])
        for table in ("downloads", "filtered", "anomalies"):
            con.execute(f"DELETE FROM {table} WHERE day IN (SELECT day FROM dd)")
        for sql in (_requests(), KNOWN, _groups(), COLLAPSE, _results(), _anomalies()):
            con.execute(sql)
        for table in ("r", "known", "g", "ipd", "c"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("CREATE OR REPLACE TEMP TABLE dd (day DATE)")
    con.executemany("INSERT INTO dd VALUES (?)", [(d,) for d in days])
    con.execute(_bursts())


def describe() -> dict[str, Any]:
    """The method, as the JSON output's ``method``."""
    return {
        "standard": "IAB Tech Lab Podcast Measurement Technical Guidelines v2.2",
        "rules_version": RULES_VERSION,
        "window": "calendar day, Europe/Paris",
        "listener": "MD5 keyed with the day's secret salt, of the IP address (IPv6: its /64) and the User-Agent",
        "download": f"GET requests of one listener for one episode in the window delivering at least {MINUTE} s of "
                    "audio (bitrate and ID3 tag size from the manifest) or the whole file",
        "statuses": "200 and 206 deliver bytes; 304 and errors deliver none",
        "order": ["non_get", "apple_watch", "bots", "probes", "short", "duplicates"],
        "probes": f"a Range asking for at most {PROBE_BYTES} bytes (bytes=0-1), or a 206 of at most {PROBE_BYTES} bytes",
        "apple_watch": "Apple Podcasts on watchOS (atc/, (null) watchOS/) copies its iPhone's download: a duplicate",
        "anomalies": {
            "ip": f"an IP address with more than {IP_FLOOR} downloads in a day and more than {IP_FACTOR} times the "
                  "day's median: counted as one listener (one download per episode); excluded",
            "listener": f"one listener with more than {LISTENER_REQUESTS} requests for one episode in a day: flagged",
            "network": f"a /24 (IPv6 /48) with more than {NET_FLOOR} downloads in a day and more than {NET_FACTOR} "
                       "times the day's median: flagged",
            "burst": f"an episode with more than {BURST_FLOOR} downloads in one hour and more than {BURST_FACTOR} "
                     "times its median hour, after its first day: flagged",
        },
        "listeners": "distinct listeners per day, summed over the days (salts rotate daily: nobody is followed "
                     "from one day to the next)",
    }
