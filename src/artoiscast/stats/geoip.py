"""Countries, optional: ``--geoip FILE`` names a MaxMind DB file (``.mmdb``: GeoLite2-Country,
GeoIP2-Country, DB-IP's free country database...), read with ``maxminddb`` (the ``geoip`` extra).

The country is looked up while a line is read, before the address is hashed, and only its ISO
code is kept: the engine asks for the distinct addresses of each batch of lines, looks them up
here, and joins the codes back on a hash keyed with a secret that lives only for the run (no
address is put in any table, even a temporary one). Lines read without ``--geoip`` keep no country (``--by country`` shows ``-``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from artoiscast.errors import ArtoiscastError, CatalogError


def open_reader(path: Path) -> Any:
    """A maxminddb reader for ``path``. Raises CatalogError (bad input) when it is missing or is
    not a MaxMind DB, ArtoiscastError when maxminddb is not installed."""
    try:
        import maxminddb
    except ImportError as exc:
        raise ArtoiscastError("needs the maxminddb package (pip install 'artoiscast[geoip]')", field="--geoip") from exc
    if not path.is_file():
        raise CatalogError("not found (give a MaxMind .mmdb country database)", path=str(path), field="--geoip")
    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise CatalogError(f"is not a MaxMind DB file ({exc})", path=str(path), field="--geoip") from exc


def iso_code(record: Any) -> str | None:
    """The country's ISO code in a record (GeoIP2 ``country.iso_code``, or a flat ``country_code``)."""
    if not isinstance(record, dict):
        return None
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            return str(value["iso_code"])
    code = record.get("country_code")
    return code if isinstance(code, str) else None


class Countries:
    """ISO country codes of addresses, from a MaxMind DB file."""

    def __init__(self, path: Path):
        self.reader = open_reader(path)
        self.lookup = lru_cache(maxsize=1 << 16)(self._lookup)

    def _lookup(self, ip: str) -> str | None:
        try:
            return iso_code(self.reader.get(ip.split("%")[0].strip("[]")))
        except ValueError:  # not an address
            return None
