#!/usr/bin/env python3
"""Fetch axe-core (Deque's accessibility engine, MPL-2.0) from the npm registry for the browser tests.

The tarball is pinned by version and by the registry's sha512 integrity; ``axe.min.js`` and its
licence go to ``share/axe-core/`` of the running Python's prefix (``.venv/share/axe-core/`` when
run by ``.venv/bin/python``; not vendored: the tests inject it into each page).
Nothing is fetched when the right file is already there.

Usage: scripts/fetch_axe.py [DEST]
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
DEFAULT = Path(sys.prefix) / "share" / "axe-core"


def fetch(dest: Path = DEFAULT) -> Path:
    """``dest/axe.min.js`` of :data:`VERSION`, downloaded and checked once."""
    target = dest / "axe.min.js"
    stamp = dest / "VERSION"
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == VERSION:
        return target
    with urllib.request.urlopen(TARBALL, timeout=60) as r:  # noqa: S310 (a pinned https URL)
        data = r.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"fetch_axe: {TARBALL}: sha512 is {digest}, expected {INTEGRITY}")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for name, out in (("package/axe.min.js", "axe.min.js"), ("package/LICENSE", "LICENSE")):
            member = tar.extractfile(name)
            assert member is not None
            (dest / (out + ".tmp")).write_bytes(member.read())
            (dest / (out + ".tmp")).replace(dest / out)
    stamp.write_text(VERSION + "\n")
    return target


if __name__ == "__main__":
    print(fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
