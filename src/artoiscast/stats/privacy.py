"""Privacy: the daily salts, and the SQL that hashes an address before anything is stored.

A raw IP never reaches the database. Each request's listener is a 64-bit keyed hash,
``MD5(salt of its day | IP | User-Agent)`` (the IP cut to its /64 for IPv6), and the same for
the IP alone and its /24 (/48), which the anomaly rules need. The day's salt is 32 random bytes
kept in a file beside the database (``stats.duckdb.salts``, mode 0600, rewritten whole), never in
it, and deleted once the day is more than ``engine.SALT_KEEP_DAYS`` days old: after that no one,
this program included, can tell which address a hash was made from, or link it to the same
listener on another day. (MD5 keyed with a 256-bit secret: the hash has to hide the address
while the secret exists, not to resist collisions; it costs half of SHA-256 on ten million rows.)
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from artoiscast.errors import ArtoiscastError

# SQL helpers: the IP network a listener is known by (IPv6 cut to /64), its /24 (/48), a keyed hash
MACROS = r"""
CREATE OR REPLACE TEMP MACRO ip_side(a, i) AS
    CASE WHEN split_part(a, '::', i) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a, '::', i), ':') END;
CREATE OR REPLACE TEMP MACRO ip6_groups(a) AS CASE WHEN contains(a, '::')
    THEN ip_side(a, 1) || list_transform(range(8 - len(ip_side(a, 1)) - len(ip_side(a, 2))), lambda i: '0') || ip_side(a, 2)
    ELSE string_split(a, ':') END;
CREATE OR REPLACE TEMP MACRO ip6_prefix(a, k) AS array_to_string(list_transform(ip6_groups(a)[1:k],
    lambda g: CASE WHEN ltrim(g, '0') = '' THEN '0' ELSE ltrim(g, '0') END), ':');
CREATE OR REPLACE TEMP MACRO ip_clean(ip) AS lower(split_part(trim(ip, '[]'), '%', 1));
CREATE OR REPLACE TEMP MACRO ip_v4(ip) AS CASE WHEN NOT contains(ip, ':') THEN ip
    WHEN regexp_full_match(ip_clean(ip), '::ffff:[0-9.]+') THEN substr(ip_clean(ip), 8) END;
CREATE OR REPLACE TEMP MACRO ip_net(ip) AS CASE WHEN NOT contains(ip, ':') THEN ip
    ELSE coalesce(ip_v4(ip), ip6_prefix(ip_clean(ip), 4) || '::/64') END;
CREATE OR REPLACE TEMP MACRO ip_block(ip) AS CASE WHEN NOT contains(ip, ':') THEN regexp_replace(ip, '\.[0-9]+$', '') || '.0/24'
    ELSE coalesce(regexp_replace(ip_v4(ip), '\.[0-9]+$', '') || '.0/24', ip6_prefix(ip_clean(ip), 3) || '::/48') END;
CREATE OR REPLACE TEMP MACRO keyed(salt, x) AS md5_number_lower(salt || '|' || x);
CREATE OR REPLACE TEMP MACRO param(q, name) AS nullif(coalesce(try(url_decode(regexp_extract(q,
    '(?:^|&)' || name || '=([^&]*)', 1))), regexp_extract(q, '(?:^|&)' || name || '=([^&]*)', 1)), '');
"""


class Salts:
    """Daily salts, in a file beside the database (never in it), each deleted when its day is old."""

    def __init__(self, path: Path):
        self.path = path
        try:
            raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise ArtoiscastError(f"cannot be read ({exc}): delete it (today's listeners may then count twice)",
                                  path=str(path)) from exc
        self.salts: dict[str, str] = {str(k): str(v) for k, v in raw.items()}
        self.created: set[str] = set()

    def ensure(self, days: list[date]) -> None:
        for d in days:
            if d.isoformat() not in self.salts:
                self.salts[d.isoformat()] = secrets.token_hex(32)
                self.created.add(d.isoformat())

    def load(self, con: Any) -> None:
        """The salts as the TEMP table ``salts`` (day, salt), for the ingest queries."""
        con.execute("CREATE OR REPLACE TEMP TABLE salts (day DATE, salt VARCHAR)")
        if self.salts:
            con.executemany("INSERT INTO salts VALUES (?, ?)", sorted(self.salts.items()))

    def forget(self, before: date) -> list[str]:
        """Delete the salts of the days before ``before``; the days deleted."""
        old = sorted(d for d in self.salts if d < before.isoformat())
        for d in old:
            del self.salts[d]
        return old

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".salts-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.salts, f, sort_keys=True)
            os.chmod(name, 0o600)
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
