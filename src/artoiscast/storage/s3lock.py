"""The show's lock on S3: one publish or prune at a time, for a whole write phase.

The lock (:class:`S3Lock`) is the object ``<prefix>/.artoiscast-lock``, created with a
conditional write (``If-None-Match: *``), refreshed every LOCK_HEARTBEAT seconds with
``If-Match`` on its own ETag, and deleted at the end. A lock not refreshed for LOCK_STALE
seconds (by the store's clock), or left by a process of this machine that is no longer
running, is a dead publish's: it is taken over with ``If-Match`` on its ETag, so two takers
cannot both win. Each lock checks that the store honours the condition (a second create must
be refused); where a store ignores it, the lock is written, then read back after a moment, and
the manifest is compared just before it is written: a best effort, said in the README.

The lock holds no secret, but may be readable by anyone (a public bucket): the machine is
named by a hash, beside a pid and two times.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import uuid
from contextlib import suppress
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artoiscast.storage.base import LOCK_HEARTBEAT, LOCK_STALE, Busy, Changed

if TYPE_CHECKING:
    from artoiscast.storage.s3 import S3Storage

LOCK_KEY = ".artoiscast-lock"  # under the prefix; never listed, so never in a plan nor pruned
LOCK_SETTLE = 1.0  # seconds between writing a best-effort lock and reading it back


def boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def missing(exc: Any) -> bool:
    """A ClientError that says the key is absent."""
    return _code(exc) in ("NoSuchKey", "404", "NotFound")


def _code(exc: Any) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def refused_condition(exc: Any) -> bool:
    """The store evaluated the If-Match / If-None-Match and it failed (412, or 409 for a concurrent write)."""
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


def no_conditions(exc: Any) -> bool:
    """The store does not do conditional writes (it says so instead of ignoring the header)."""
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _code(exc) in ("NotImplemented", "InvalidArgument", "InvalidRequest") or status == 501


def this_machine() -> str:
    """Names this machine and pid namespace (hashed: the lock object may be publicly readable)."""
    parts = [socket.gethostname()]
    with suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stamp(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


_HELD: set[str] = set()  # tokens of the locks this process holds now


class S3Lock:
    """The show's lock on S3 (see the module's docstring). Made by :meth:`S3Storage.lock`."""

    def __init__(self, storage: S3Storage, command: str):
        self.storage, self.command = storage, command
        self.key = storage._key(LOCK_KEY)
        self.token = uuid.uuid4().hex
        self.conditional = True
        self.since = stamp(time.time())
        self.etag: str | None = None
        self.lost = False
        self._body = b""
        self._beats = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------- requests

    def _new_body(self) -> bytes:
        self._beats += 1  # each write differs, so each has its own ETag
        return json.dumps({"beat": self._beats, "command": self.command, "machine": this_machine(),
                           "pid": os.getpid(), "since": self.since, "refreshed": stamp(time.time()),
                           "token": self.token}, sort_keys=True).encode()

    def _put(self, body: bytes, **condition: str) -> str:
        """Write the lock; its new ETag. Raises the ClientError of a refused condition."""
        resp = self.storage.client.put_object(Bucket=self.storage.bucket, Key=self.key, Body=body,
                                              ContentType="application/json", CacheControl="no-store", **condition)
        return str(resp.get("ETag"))

    def read(self) -> tuple[dict[str, Any] | None, str | None, float | None]:
        """(the lock's content, its ETag, its age by the store's clock), or (None, None, None)."""
        from botocore.exceptions import ClientError

        try:
            resp = self.storage.client.get_object(Bucket=self.storage.bucket, Key=self.key)
            data = resp["Body"].read()
        except ClientError as exc:
            if missing(exc):
                return None, None, None
            raise
        age = None
        with suppress(TypeError, ValueError, KeyError, AttributeError):
            now = time.time()  # the store's clock when it gives it (its Date header), else ours
            with suppress(TypeError, ValueError, KeyError):
                now = parsedate_to_datetime(resp["ResponseMetadata"]["HTTPHeaders"]["date"]).timestamp()
            age = now - resp["LastModified"].timestamp()
        try:
            doc = json.loads(data)
            doc = doc if isinstance(doc, dict) else {}
        except ValueError:
            doc = {}
        return doc, str(resp.get("ETag")), age

    def _dead(self, doc: dict[str, Any], age: float | None) -> bool:
        """A lock no live publish holds: not refreshed for LOCK_STALE s, or its process is gone from this machine."""
        if age is not None and age > LOCK_STALE:
            return True
        if doc.get("machine") == this_machine() and isinstance(doc.get("pid"), int):
            if doc["pid"] == os.getpid():
                return doc.get("token") not in _HELD
            return not _running(doc["pid"])
        return not doc.get("token")  # not a lock of ours at all (unreadable): treat as dead

    # -------------------------------------------------------- life

    def acquire(self) -> None:
        from botocore.exceptions import ClientError

        shown = self.storage.describe()
        doc, etag, age = self.read()
        self._body = self._new_body()
        try:
            if doc is None:
                self.etag = self._put(self._body, IfNoneMatch="*")
            elif self._dead(doc, age):
                self.etag = self._put(self._body, IfMatch=str(etag))
            else:
                raise Busy(shown, command=str(doc.get("command") or "publish"), since=doc.get("since"))
        except ClientError as exc:
            if refused_condition(exc):  # another publish created or took it over first
                doc, _, _ = self.read()
                raise Busy(shown, command=str((doc or {}).get("command") or "publish"),
                           since=(doc or {}).get("since")) from None
            if not no_conditions(exc):
                raise
            self.conditional = False
            self.etag = self._put(self._body)
        if self.conditional:
            self.conditional = self._honoured()
        if not self.conditional:  # best effort: whoever wrote last holds it; see who that is
            time.sleep(LOCK_SETTLE)
            doc, etag, _ = self.read()
            if (doc or {}).get("token") != self.token:
                raise Busy(shown, command=str((doc or {}).get("command") or "publish"), since=(doc or {}).get("since"))
            self.etag = etag
        self.storage._conditional = self.conditional
        _HELD.add(self.token)
        self._thread = threading.Thread(target=self._beat, name="artoiscast-lock", daemon=True)
        self._thread.start()

    def _honoured(self) -> bool:
        """Does the store refuse a create over an existing object? (One request; rewrites the same bytes if not.)"""
        from botocore.exceptions import ClientError

        try:
            self.etag = self._put(self._body, IfNoneMatch="*")
        except ClientError as exc:
            if refused_condition(exc):
                return True
            if no_conditions(exc):
                return False
            raise
        return False

    def _beat(self) -> None:
        while not self._stop.wait(LOCK_HEARTBEAT):
            with suppress(Exception):  # a failed refresh is tried again at the next beat; staleness takes minutes
                self.refresh()
            if self.lost:
                return

    def refresh(self) -> None:
        """Write the lock again (a new ``refreshed`` time); marks it lost if another publish took it over."""
        from botocore.exceptions import ClientError

        body = self._new_body()
        try:
            if self.conditional:
                self.etag = self._put(body, IfMatch=str(self.etag))
            else:
                doc, _, _ = self.read()
                if (doc or {}).get("token") != self.token:
                    self.lost = True
                    return
                self.etag = self._put(body)
        except ClientError as exc:
            if refused_condition(exc):
                self.lost = True
                return
            raise
        self._body = body

    def check(self) -> None:
        """Raise Changed unless this publish still holds the lock (one GET)."""
        if not self.lost:
            try:
                doc, _, _ = self.read()
            except boto_errors() as exc:
                raise self.storage._error(exc) from exc
            self.lost = (doc or {}).get("token") != self.token
        if self.lost:
            raise Changed(self.storage.describe())

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        _HELD.discard(self.token)
        if self.lost:
            return
        with suppress(Exception):  # the store is gone? the lock goes stale; a rerun here takes it over at once
            doc, _, _ = self.read()
            if (doc or {}).get("token") == self.token:
                self.storage.client.delete_object(Bucket=self.storage.bucket, Key=self.key)
