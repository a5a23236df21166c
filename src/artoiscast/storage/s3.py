"""The ``s3`` backend: any S3-compatible store, through boto3 and s3transfer. Sole importer of boto3.

Settings (``podcast.yaml`` ``storage:``, ``ARTOISCAST_STORAGE_*``, or ``publish`` options):
bucket, prefix, endpoint_url, region, path_style. Credentials come from boto3's own chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance roles...), never
from the catalog, and never appear in a message.

Every object carries its Content-Type, Cache-Control and its sha256 as user metadata
(``x-amz-meta-sha256``), so a later publish can tell a complete upload from a stale one even
when the object was sent in parts (a multipart ETag is not an MD5). A single PUT and a
completed multipart upload are atomic on S3: readers see the old object or the new one.
S3 has no CORS per object: :meth:`S3Storage.setup_cors` sets the bucket's rule once.

boto3 is imported, and its client made, on first need: a publish with nothing to upload reads
the manifest and the listing through :mod:`artoiscast.storage.s3read` when it can (path-style
endpoint, keys in the environment), and so never pays botocore's half-second start.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artoiscast.errors import StorageError
from artoiscast.storage.base import ObjectInfo, Progress, Upload, register
from artoiscast.storage.s3read import S3Reader, Unsure, static_credentials

if TYPE_CHECKING:  # pydantic's and boto3's imports are slow: publish with nothing to do should start fast
    from artoiscast.catalog import StorageSettings

MiB = 1024 * 1024
CORS_RULES = [{
    "AllowedOrigins": ["*"],
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["Range", "If-Range", "If-None-Match", "If-Modified-Since"],
    "ExposeHeaders": ["Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified"],
    "MaxAgeSeconds": 86400,
}]


def explain(exc: Exception, endpoint: str) -> str:
    """One line for a boto3 failure: what went wrong and which setting to check."""
    from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError, ConnectTimeoutError,
                                     EndpointConnectionError, NoCredentialsError, ReadTimeoutError)

    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
    if isinstance(exc, EndpointConnectionError):
        text = str(getattr(exc, "kwargs", {}).get("error", exc)).lower()
        why = ("connection refused" if "refused" in text else
               "name not resolved" if "name or service" in text or "resolve" in text else "connection failed")
        return f"cannot reach {endpoint}: {why} (check storage.endpoint_url)"
    if isinstance(exc, ConnectTimeoutError):
        return f"cannot reach {endpoint}: timed out (check storage.endpoint_url)"
    if isinstance(exc, (ConnectionClosedError, ReadTimeoutError)):
        return f"connection to {endpoint} lost (run publish again: it resumes)"
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return "the bucket does not exist (create it, or check storage.bucket)"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403") or status == 403:
            return f"access denied ({code}: check the credentials and the bucket policy)"
        message = exc.response.get("Error", {}).get("Message") or code
        return f"the store refused: {code or status} {message}".strip()
    if isinstance(exc, BotoCoreError):
        return f"S3 error: {exc}"
    return f"S3 error: {type(exc).__name__}: {exc}"


def _boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _progress(key: str, callback: Progress) -> Any:
    """An s3transfer subscriber telling ``callback(key, n)`` of each ``n`` bytes sent."""
    from s3transfer.subscribers import BaseSubscriber

    class _Progress(BaseSubscriber):  # type: ignore[misc]
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            callback(key, bytes_transferred)

    return _Progress()


class S3Storage:
    name = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None, region: str | None = None,
                 path_style: bool = False, max_connections: int = 16):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint_url or "the AWS S3 endpoint"
        self._endpoint_url, self._region, self._path_style = endpoint_url, region or "us-east-1", path_style
        self._max_connections = max_connections
        self._reader: S3Reader | None = None
        credentials = static_credentials(os.environ)
        if endpoint_url and path_style and credentials:
            with suppress(Unsure):
                self._reader = S3Reader(endpoint_url, bucket, self._region, credentials)

    @cached_property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use (importing boto3 takes about half a second)."""
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path" if self._path_style else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5, read_timeout=60, max_pool_connections=self._max_connections,
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        session = boto3.session.Session()
        return session.client("s3", endpoint_url=self._endpoint_url, region_name=self._region, config=config)

    def _give_up_fast(self) -> None:
        """Something was not a plain answer: boto3 takes over for good (its retries, its errors)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @classmethod
    def from_settings(cls, settings: StorageSettings, root: Path) -> S3Storage:
        if not settings.bucket:
            raise StorageError("the s3 backend needs a bucket (set storage.bucket, ARTOISCAST_STORAGE_BUCKET or --to "
                               "s3://BUCKET/PREFIX)", path="podcast.yaml", field="storage.bucket")
        return cls(settings.bucket, prefix=settings.prefix, endpoint_url=settings.endpoint_url, region=settings.region,
                   path_style=settings.path_style)

    # ------------------------------------------------------------ helpers

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f'key "{key}" leaves the prefix', path=self.describe())
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, exc: Exception) -> StorageError:
        return StorageError(explain(exc, self.endpoint), path=self.describe())

    @staticmethod
    def _missing(exc: Any) -> bool:
        return str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404", "NotFound")

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
                    subs = [_progress(up.key, on_progress)] if on_progress else None
                    futures.append(manager.upload(str(up.src), self.bucket, self._key(up.key), extra_args=extra,
                                                  subscribers=subs))
                for fut in futures:
                    fut.result()  # the first failure stops the rest
        except _boto_errors() as exc:
            raise self._error(exc) from exc

    def get(self, key: str) -> bytes | None:
        full = self._key(key)
        reader = self._reader
        if reader is not None:
            try:
                return reader.get(full)
            except Unsure:
                self._give_up_fast()
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()  # type: ignore[no-any-return]
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._error(exc) from exc
        except BotoCoreError as exc:
            raise self._error(exc) from exc

    def list(self) -> dict[str, ObjectInfo]:
        out: dict[str, ObjectInfo] = {}
        start = f"{self.prefix}/" if self.prefix else ""
        reader = self._reader
        if reader is not None:
            try:
                for full, size, modified in reader.list(start):
                    out[full[len(start):]] = ObjectInfo(full[len(start):], size, modified=modified)
                return out
            except Unsure:
                self._give_up_fast()
                out.clear()
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(start):]
                    out[key] = ObjectInfo(key, int(obj["Size"]), modified=obj["LastModified"].timestamp())
        except _boto_errors() as exc:
            raise self._error(exc) from exc
        return out

    def stat(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._error(exc) from exc
        except BotoCoreError as exc:
            raise self._error(exc) from exc
        return ObjectInfo(key, int(head["ContentLength"]), modified=head["LastModified"].timestamp(),
                          sha256=head.get("Metadata", {}).get("sha256"))

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except _boto_errors() as exc:
            raise self._error(exc) from exc

    def setup_cors(self) -> None:
        """Let browser players on any origin GET/HEAD the bucket (S3 sets CORS per bucket, not per object)."""
        try:
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": CORS_RULES})
        except _boto_errors() as exc:
            raise self._error(exc) from exc

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


register("s3")(S3Storage.from_settings)
