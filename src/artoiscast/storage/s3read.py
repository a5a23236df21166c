"""Read-only S3 requests (GET an object, list a prefix) without botocore, for a fast no-change publish.

Importing boto3 and making a client costs about half a second (botocore loads its S3 model),
more than a whole ``rclone sync`` of a show with nothing to do. A publish that uploads nothing
only reads ``manifest.json`` and lists the prefix: two signed GETs. This module signs them
(AWS Signature Version 4) with the standard library.

It is an optimisation, never the authority: :class:`~artoiscast.storage.s3.S3Storage` uses it
only for a path-style endpoint given by URL with static keys in the environment (the ones
boto3's chain would pick first), and whenever anything is not a plain success (connection
refused, 403, a redirect, an unexpected body) it answers None and the caller asks boto3,
whose retries and error messages then apply unchanged. The one exception is silence: an
endpoint that does not answer within the connect or read timeout raises :class:`NoAnswer`,
which the caller reports at once (asking boto3 would only make the user wait again).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import datetime
from urllib.parse import quote, urlsplit

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Unsure(Exception):
    """Anything but a plain answer: the caller repeats the request with boto3."""


class NoAnswer(Exception):
    """The endpoint said nothing within ``seconds`` (``phase`` is "connect" or "read")."""

    def __init__(self, phase: str, seconds: float):
        self.phase, self.seconds = phase, seconds
        super().__init__(f"no answer within {seconds:g} s ({phase})")


def static_credentials(environ: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """(access key, secret key, session token) from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, or None."""
    access, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if not access or not secret:
        return None
    return access, secret, environ.get("AWS_SESSION_TOKEN") or None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method: str, host: str, path: str, query: Mapping[str, str], *, region: str, access: str, secret: str,
         token: str | None, now: float) -> dict[str, str]:
    """The headers that sign a body-less request with AWS Signature Version 4 (service ``s3``).

    ``path`` is already URI-encoded. Pure: the time is given.
    """
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    day = amz_date[:8]
    headers = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = "\n".join([method, path, canonical_query, *(f"{n}:{headers[n]}" for n in names), "",
                           ";".join(names), EMPTY_SHA256])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={';'.join(names)}, "
                                f"Signature={signature}")
    return headers


def parse_listing(body: bytes) -> tuple[list[tuple[str, int, float]], str | None]:
    """(key, size, modified) per object of a ListObjectsV2 page, and the continuation token if truncated."""
    root = ET.fromstring(body)
    if root.tag != f"{_NS}ListBucketResult":
        raise Unsure(f"unexpected listing {root.tag}")
    objects = []
    for item in root.iter(f"{_NS}Contents"):
        key, size, modified = (item.findtext(f"{_NS}{n}") for n in ("Key", "Size", "LastModified"))
        if key is None or size is None or modified is None:
            raise Unsure("incomplete listing entry")
        objects.append((key, int(size), datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp()))
    truncated = root.findtext(f"{_NS}IsTruncated") == "true"
    return objects, (root.findtext(f"{_NS}NextContinuationToken") if truncated else None)


class S3Reader:
    """GET and list on one bucket of a path-style endpoint, over one kept-alive connection."""

    def __init__(self, endpoint_url: str, bucket: str, region: str, credentials: tuple[str, str, str | None],
                 connect_timeout: float = 5.0, read_timeout: float = 20.0):
        url = urlsplit(endpoint_url)
        if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/"):
            raise Unsure(f"endpoint {endpoint_url} not handled here")
        self.scheme, self.netloc, self.host = url.scheme, url.netloc, url.hostname
        self.port = url.port
        self.bucket, self.region, self.credentials = bucket, region, credentials
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        """The kept-alive connection, (re)opened within the connect timeout, then reading within the read timeout."""
        if self._conn is None or self._conn.sock is None:
            if self._conn is None:
                if self.scheme == "https":
                    bundle = os.environ.get("AWS_CA_BUNDLE")
                    context = ssl.create_default_context(cafile=bundle or None)
                    self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout,
                                                             context=context)
                else:
                    self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
            try:
                self._conn.connect()
            except TimeoutError as exc:
                self.close()
                raise NoAnswer("connect", self.connect_timeout) from exc
            assert self._conn.sock is not None
            self._conn.sock.settimeout(self.read_timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _get(self, key: str, query: dict[str, str]) -> tuple[int, str | None, bytes]:
        path = "/" + quote(self.bucket, safe="-_.~") + ("/" + quote(key, safe="-_.~/") if key else "")
        access, secret, token = self.credentials
        headers = sign("GET", self.netloc, path, query, region=self.region, access=access, secret=secret,
                       token=token, now=time.time())
        target = path + ("?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                                        for k, v in sorted(query.items())) if query else "")
        try:
            conn = self._connection()
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("ETag"), resp.read()
        except TimeoutError as exc:
            self.close()
            raise NoAnswer("read", self.read_timeout) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Unsure(str(exc)) from exc

    def get(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's bytes and ETag, or (None, None) if there is no such key.

        Raises Unsure on anything else, NoAnswer on silence."""
        status, etag, body = self._get(key, {})
        if status == 200:
            return body, etag
        if status == 404 and b"<Code>NoSuchKey</Code>" in body:
            return None, None
        raise Unsure(f"GET {key}: HTTP {status}")

    def list(self, prefix: str) -> Iterator[tuple[str, int, float]]:
        """(key, size, modified) of every object under ``prefix``. Raises Unsure on anything unusual, NoAnswer
        on silence."""
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            status, _, body = self._get("", query)
            if status != 200:
                raise Unsure(f"list {prefix}: HTTP {status}")
            try:
                objects, token = parse_listing(body)
            except (ET.ParseError, ValueError) as exc:
                raise Unsure(f"listing: {exc}") from exc
            yield from objects
            if not token:
                return
