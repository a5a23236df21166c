"""The ``s3`` backend: any S3-compatible store, through boto3 and s3transfer. Sole importer of boto3.

Settings (``podcast.yaml`` ``storage:``, ``ARTOISCAST_STORAGE_*``, or ``publish`` options):
bucket, prefix, endpoint_url, region, path_style, connect_timeout, read_timeout. Credentials
come from boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``,
instance roles...), never from the catalog, and never appear in a message.

Every object carries its Content-Type, Cache-Control and its sha256 as user metadata
(``x-amz-meta-sha256``), so a later publish can tell a complete upload from a stale one even
when the object was sent in parts (a multipart ETag is not an MD5). A single PUT and a
completed multipart upload are atomic on S3: readers see the old object or the new one.
S3 has no CORS per object: :meth:`S3Storage.setup_cors` sets the bucket's rule once.

boto3 is imported, and its client made, on first need: a command that never reaches the
store (a settings error, ``--help``) does not pay for importing botocore.

Waiting: until the endpoint has answered once, a request is tried once (an endpoint that says
nothing costs one connect or read timeout, then one line naming it); after that, boto3 retries
a request up to ATTEMPTS times in all, and a failure then says the connection was lost and that
running the command again resumes.

The show's lock is :class:`~artoiscast.storage.s3lock.S3Lock`.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from artoiscast.errors import StorageError, StorageSettingsError
from artoiscast.storage.base import Changed, ObjectInfo, Progress, Upload, register
from artoiscast.storage.s3lock import (LOCK_KEY, S3Lock, boto_errors, missing, no_conditions, refused_condition,
                                       stamp)

if TYPE_CHECKING:  # pydantic's and boto3's imports are slow: publish with nothing to do should start fast
    from artoiscast.config import StorageSettings

MiB = 1024 * 1024
CORS_RULES = [{
    "AllowedOrigins": ["*"],
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["Range", "If-Range", "If-None-Match", "If-Modified-Since"],
    "ExposeHeaders": ["Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified"],
    "MaxAgeSeconds": 86400,
}]
ATTEMPTS = 3  # tries per request once the endpoint has answered (boto3's standard retry mode)
TIMEOUTS = (5.0, 20.0)  # connect, read: the defaults of config.StorageSettings (not imported: pydantic is slow)

T = TypeVar("T")


def explain(exc: Exception, endpoint: str, *, answered: bool = False,
            timeouts: tuple[float, float] = TIMEOUTS) -> str:
    """One line for a boto3 failure: what went wrong and which setting to check.

    ``answered``: the endpoint answered earlier in this run, so a connection failure is a
    connection lost (the endpoint is right; running again resumes), not a wrong endpoint."""
    from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError, ConnectTimeoutError,
                                     EndpointConnectionError, NoCredentialsError, ReadTimeoutError)

    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        connect = isinstance(exc, ConnectTimeoutError)
        seconds, setting = (timeouts[0], "connect_timeout") if connect else (timeouts[1], "read_timeout")
        if answered:
            return lost(endpoint, f"no answer within {seconds:g} s")
        return f"no answer from {endpoint} within {seconds:g} s (check storage.endpoint_url, or raise storage.{setting})"
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        text = str(getattr(exc, "kwargs", {}).get("error", exc)).lower()
        why = ("connection refused" if "refused" in text else
               "name not resolved" if "name or service" in text or "resolve" in text else
               "connection closed" if isinstance(exc, ConnectionClosedError) else "connection failed")
        if answered:
            return lost(endpoint, why)
        return f"cannot reach {endpoint}: {why} (check storage.endpoint_url)"
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return "the bucket does not exist (create it, or check storage.bucket)"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403") or status == 403:
            return f"access denied ({code}: check the credentials and the bucket policy)"
        if code in ("PreconditionFailed", "NoSuchUpload"):  # a conditional write refused; an upload aborted by another
            return Changed("").reason
        message = exc.response.get("Error", {}).get("Message") or code
        return f"the store refused: {code or status} {message}".strip()
    if isinstance(exc, BotoCoreError):
        return f"S3 error: {exc}"
    return f"S3 error: {type(exc).__name__}: {exc}"


def lost(endpoint: str, why: str) -> str:
    """The line for a connection that worked earlier in the run and then failed."""
    return f"connection to {endpoint} lost ({why}, {ATTEMPTS} attempts): run it again, it resumes where it stopped"


def _progress(key: str, callback: Progress) -> Any:
    """An s3transfer subscriber telling ``callback(key, n)`` of each ``n`` bytes sent."""
    from s3transfer.subscribers import BaseSubscriber

    class _Progress(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            callback(key, bytes_transferred)

    return _Progress()


class S3Storage:
    name = "s3"
    website_redirects = True  # an upload's ``redirect`` becomes x-amz-website-redirect-location
    # no compressed sidecars: S3 sends an object as stored to every client, whatever its
    # Accept-Encoding; the files go up uncompressed and a CDN in front compresses (README)
    takes_sidecars = False

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None, region: str | None = None,
                 path_style: bool = False, max_connections: int = 16, connect_timeout: float = TIMEOUTS[0],
                 read_timeout: float = TIMEOUTS[1]):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint_url or "the AWS S3 endpoint"
        self._endpoint_url, self._region, self._path_style = endpoint_url, region or "us-east-1", path_style
        self._max_connections = max_connections
        self.timeouts = (connect_timeout, read_timeout)
        self._answered = False  # the endpoint answered once: later failures are a lost connection
        self._clients: dict[bool, Any] = {}
        self._client_lock = threading.Lock()
        self._session: Any = None
        self._conditional: bool | None = None  # does the store refuse failed conditions (learnt by the lock)
        self.notes: list[str] = []  # things the user should know, printed by the CLI as warnings

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use (importing boto3 is slow).

        Until the endpoint has answered, one that tries each request once; then one that retries
        (ATTEMPTS in all)."""
        retrying = self._answered
        if retrying in self._clients:
            return self._clients[retrying]
        with self._client_lock:  # the lock's heartbeat thread may ask at the same time
            return self._make_client(retrying)

    def _make_client(self, retrying: bool) -> Any:
        if retrying not in self._clients:
            import boto3
            from botocore.config import Config

            config = Config(
                s3={"addressing_style": "path" if self._path_style else "auto"},
                retries={"total_max_attempts": ATTEMPTS if retrying else 1, "mode": "standard"},
                connect_timeout=self.timeouts[0], read_timeout=self.timeouts[1],
                max_pool_connections=self._max_connections,
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
            )
            self._session = self._session or boto3.session.Session()
            client = self._session.client("s3", endpoint_url=self._endpoint_url, region_name=self._region, config=config)
            client.meta.events.register("after-call.s3", self._on_answer)
            self._clients[retrying] = client
        return self._clients[retrying]

    def _on_answer(self, **kwargs: Any) -> None:
        """Any HTTP answer, even an error status, shows the endpoint is right."""
        self._answered = True

    @classmethod
    def from_settings(cls, settings: StorageSettings, root: Path) -> S3Storage:
        if not settings.bucket:
            raise StorageSettingsError("the s3 backend needs a bucket (set storage.bucket, ARTOISCAST_STORAGE_BUCKET "
                                       "or --to s3://BUCKET/PREFIX)", path="podcast.yaml", field="storage.bucket")
        return cls(settings.bucket, prefix=settings.prefix, endpoint_url=settings.endpoint_url, region=settings.region,
                   path_style=settings.path_style, connect_timeout=settings.connect_timeout,
                   read_timeout=settings.read_timeout)

    # ------------------------------------------------------------ helpers

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f'key "{key}" leaves the prefix', path=self.describe())
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, exc: Exception) -> StorageError:
        return StorageError(explain(exc, self.endpoint, answered=self._answered, timeouts=self.timeouts),
                            path=self.describe())

    _missing = staticmethod(missing)

    # ------------------------------------------------------------ protocol

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str, sha256: str | None = None) -> None:
        size = src.stat().st_size
        self.put_many([Upload(key, src, content_type, cache_control, sha256 or "", size)], jobs=1)

    def put_many(self, uploads: Iterable[Upload], *, jobs: int, on_progress: Progress | None = None) -> None:
        """Queue every upload on one s3transfer TransferManager (multipart above 8 MiB)."""
        from s3transfer.manager import TransferConfig, TransferManager

        config = TransferConfig(max_request_concurrency=max(1, jobs), multipart_threshold=8 * MiB,
                                multipart_chunksize=8 * MiB)
        try:
            # the context manager, not shutdown(cancel=True): leaving it on an exception cancels
            # what is still queued (s3transfer 0.19's shutdown(cancel=True) itself raises TypeError)
            with TransferManager(self.client, config) as manager:
                futures = []
                for up in uploads:
                    extra: dict[str, Any] = {"ContentType": up.content_type, "CacheControl": up.cache_control}
                    if up.sha256:
                        extra["Metadata"] = {"sha256": up.sha256}
                    if up.redirect:  # x-amz-website-redirect-location: the website endpoint answers 301
                        extra["WebsiteRedirectLocation"] = up.redirect
                    subs = [_progress(up.key, on_progress)] if on_progress else None
                    futures.append(manager.upload(str(up.src), self.bucket, self._key(up.key), extra_args=extra,
                                                  subscribers=subs))
                for fut in futures:
                    fut.result()  # the first failure stops the rest
        except boto_errors() as exc:
            raise self._error(exc) from exc

    def get(self, key: str) -> bytes | None:
        return self.get_tagged(key)[0]

    def get_tagged(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's bytes and ETag, or (None, None)."""
        full = self._key(key)

        def fetch() -> tuple[bytes, str | None]:
            resp = self.client.get_object(Bucket=self.bucket, Key=full)
            return resp["Body"].read(), resp.get("ETag")

        return self._unless_missing(fetch) or (None, None)

    def _unless_missing(self, call: Callable[[], T]) -> T | None:
        """``call()``'s answer, or None when the object is not there; any other failure of boto
        becomes our StorageError (one mapping for every read)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call()
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._error(exc) from exc
        except BotoCoreError as exc:
            raise self._error(exc) from exc

    def put_if(self, key: str, data: bytes, *, expect: str | None, content_type: str, cache_control: str,
               sha256: str) -> None:
        """One PUT with ``If-Match: expect`` (``If-None-Match: *`` if None); where the store cannot refuse a
        write, the current ETag is compared first (best effort). Raises Changed."""
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key), "Body": data,
                                "ContentType": content_type, "CacheControl": cache_control,
                                "Metadata": {"sha256": sha256}}
        try:
            if self._conditional is not False:
                try:
                    self.client.put_object(**args, **({"IfMatch": expect} if expect else {"IfNoneMatch": "*"}))
                    return
                except ClientError as exc:
                    if refused_condition(exc):
                        raise Changed(self.describe()) from None
                    if not no_conditions(exc):
                        raise
                    self._conditional = False
            if self.get_tagged(key)[1] != expect:
                raise Changed(self.describe())
            self.client.put_object(**args)
        except boto_errors() as exc:
            raise self._error(exc) from exc

    def list(self) -> dict[str, ObjectInfo]:
        out: dict[str, ObjectInfo] = {}
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(start):]
                    out[key] = ObjectInfo(key, int(obj["Size"]), modified=obj["LastModified"].timestamp())
        except boto_errors() as exc:
            raise self._error(exc) from exc
        out.pop(LOCK_KEY, None)
        return out

    def stat(self, key: str) -> ObjectInfo | None:
        head = self._unless_missing(lambda: self.client.head_object(Bucket=self.bucket, Key=self._key(key)))
        if head is None:
            return None
        return ObjectInfo(key, int(head["ContentLength"]), modified=head["LastModified"].timestamp(),
                          sha256=head.get("Metadata", {}).get("sha256"))

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except boto_errors() as exc:
            raise self._error(exc) from exc

    @contextmanager
    def lock(self, command: str = "publish") -> Iterator[S3Lock]:
        """Hold the show's lock object while inside (see the module's docstring). Raises Busy."""
        held = S3Lock(self, command)
        try:
            held.acquire()
        except boto_errors() as exc:
            raise self._error(exc) from exc
        try:
            yield held
        finally:
            held.release()

    def sweep(self, *, dry_run: bool = False) -> builtins.list[str]:  # `list` here is the method above
        """Abort the unfinished multipart uploads under the prefix (killed publishes'; billed until aborted).

        With the lock held, and before this publish starts its own, every one of them is a dead
        publish's (or one whose lock was taken over). Returns ``key (started <time>)`` per upload."""
        from botocore.exceptions import ClientError

        start = f"{self.prefix}/" if self.prefix else ""
        found: list[str] = []
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                     Prefix=start):
                for up in page.get("Uploads", []):
                    found.append(f"{up['Key'][len(start):]} (unfinished upload started "
                                 f"{stamp(up['Initiated'].timestamp())})")
                    if not dry_run:
                        with suppress(ClientError):  # completed or aborted meanwhile: fine
                            self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"],
                                                               UploadId=up["UploadId"])
        except ClientError as exc:  # not allowed, or not offered: publishing goes on, the user is told
            self.notes.append(f"{self.describe()}: cannot list unfinished uploads ({explain(exc, self.endpoint)}); "
                              "grant s3:ListBucketMultipartUploads and s3:AbortMultipartUpload so that those of "
                              "killed publishes are aborted")
        except boto_errors() as exc:
            raise self._error(exc) from exc
        return found

    def setup_cors(self) -> None:
        """Let browser players on any origin GET/HEAD the bucket (S3 sets CORS per bucket, not per object)."""
        try:
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": CORS_RULES})
        except boto_errors() as exc:
            raise self._error(exc) from exc

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


register("s3")(S3Storage.from_settings)
