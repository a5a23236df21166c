"""The route and body cache of ``artoiscast serve``, checked by ``stat`` on every request.

It exists for speed alone (scripts/bench/serve.py: serve Range slices at a fair fraction of nginx's rate):
:class:`FileCache` answers :meth:`~FileCache.lookup` as
:class:`artoiscast.serve.files.PlainFiles` does, without resolving the path each time, and
keeps the bodies of small files; tests compare the responses through both.
"""

from __future__ import annotations

import os
import stat
from collections import OrderedDict
from pathlib import Path

from artoiscast.serve.files import Entry, PlainFiles, Target, locate, make_entry

CACHE_BYTES = 64 << 20  # total bytes of small files kept in memory
ROUTE_ENTRIES = 4096  # resolved URL paths remembered


def still_holds(entry: Entry) -> bool:
    """True if the literal path still leads, through real folders only, to the very file
    the entry was made from: one ``lstat`` per path segment, no ``realpath``."""
    try:
        for folder in entry.parents:  # a folder swapped for a symlink could lead out of the root
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return False
        st = os.lstat(entry.path)
    except OSError:
        return False
    return (stat.S_ISREG(st.st_mode) and st.st_ino == entry.ident[2] and st.st_mtime_ns == entry.ident[3]
            and st.st_size == entry.size and st.st_ctime_ns == entry.ctime_ns and st.st_dev == entry.ident[1])


class FileCache(PlainFiles):
    """Resolved URL paths and the bodies of small files, both bounded, both checked by stat.

    A URL path is resolved once (symlinks followed, the root enforced by :func:`locate`);
    later requests only ``lstat`` the path's folders and the file and compare the file's
    device, inode, mtime, ctime and size, so a file replaced (publish renames a new inode
    into place), removed, or swapped for a symlink, or a parent folder swapped for one, is
    resolved afresh and refused if it now leads out of the root. URLs that go through a
    symlink are resolved on every request. Bodies of files up to ``small`` bytes stay in
    memory, keyed by their ``ident``, the least recently used dropped first once they add up
    to more than ``budget`` bytes.
    """

    def __init__(self, root: Path, *, small: int, budget: int = CACHE_BYTES, routes: int = ROUTE_ENTRIES) -> None:
        super().__init__(root, small=small)
        self.budget, self.max_routes = budget, routes
        self._routes: dict[str, Entry] = {}
        self._blobs: OrderedDict[tuple[str, int, int, int, int], bytes] = OrderedDict()
        self.blob_bytes = 0

    def lookup(self, raw_path: str) -> Entry | Target:
        """The entry for a raw request path, or the redirect / missing Target of :func:`locate`."""
        url = raw_path.partition("?")[0]
        entry = self._routes.get(url)
        if entry is not None:
            if still_holds(entry):
                return entry
            del self._routes[url]
        target = locate(self.root, raw_path)
        if target.kind != "file":
            return target
        entry = make_entry(self._root_str, target)
        if entry.literal:
            if len(self._routes) >= self.max_routes:
                del self._routes[next(iter(self._routes))]
            self._routes[url] = entry
        return entry

    def forget(self, raw_path: str) -> None:
        """Drop the resolution of ``raw_path`` (the file changed between lstat and open)."""
        self._routes.pop(raw_path.partition("?")[0], None)

    def cached_body(self, entry: Entry) -> bytes | None:
        """The body of a small file if it is in memory (and mark it recently used)."""
        data = self._blobs.get(entry.ident)
        if data is not None:
            self._blobs.move_to_end(entry.ident)
        return data

    def remember(self, entry: Entry, data: bytes) -> None:
        """Keep ``data`` as the body of ``entry``, dropping the least recently used past the budget."""
        if entry.ident in self._blobs or len(data) > self.small:
            return
        self._blobs[entry.ident] = data
        self.blob_bytes += len(data)
        while self.blob_bytes > self.budget:
            _, old = self._blobs.popitem(last=False)
            self.blob_bytes -= len(old)
