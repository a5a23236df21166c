"""Log parsing: real-format samples field by field, format detection, and the two parsers
(reference and DuckDB bulk) giving the same rows, unparsed lines and their numbers included."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import loggen
from artoiscast.stats import logs
from artoiscast.stats.hits import Hit

UTC = timezone.utc

# The first record of the example log in AWS's "Amazon S3 server access log format" page, as
# printed there (a bucket operation: its key is "-"), then a GET of an object in the same layout.
S3_DOC = ('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 '
          '[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be '
          '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
          '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
          'ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 '
          'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1')
S3_GET = ('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be artoiscast [03/Nov/2026:08:15:02 +0000] '
          '2001:db8::7 - 8QEXAMPLE REST.GET.OBJECT site/media/ep-one/ep-one-1a2b3c4d.mp3 '
          '"GET /site/media/ep-one/ep-one-1a2b3c4d.mp3?feed=economy HTTP/1.1" 206 - 1048576 30000000 41 12 '
          '"https://partner.example/page" "AntennaPod/3.4.0" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 - '
          'artoiscast.s3.eu-west-3.amazonaws.com TLSv1.2 - -')
S3_HEAD_NO_URI = ('owner artoiscast [03/Nov/2026:08:15:03 +0000] 192.0.2.4 - RID REST.HEAD.OBJECT media/x/x.mp3 '
                  '"-" 304 - - 30000000 3 - "-" "-"')

# CloudFront's standard log layout (AWS "Standard logging reference": #Version, #Fields, tab-separated values,
# agent URL-encoded), the legacy 33 fields in their documented order.
CF_HEADER = "#Version: 1.0\n#Fields: " + loggen.CF_FIELDS + "\n"
CF_LINES = [
    "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\t"
    "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0"
    ".3904.108%20Safari/537.36\t-\t-\tHit\tSOOzCWHQ8aRSlJjXWQ9PZy2J7oIjzhWPLBuzGNT4NOAS5kQ7AgIahw==\t"
    "d111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t"
    "11040\t0.001\tHit\ttext/html\t78\t-\t-",
    "2019-12-13\t22:36:27\tSEA19-C1\t900\t2001:db8:85a3::8a2e:370:7334\tGET\td111111abcdef8.cloudfront.net\t"
    "/media/ep-two/ep-two-1a2b3c4d.mp3\t206\thttps://partner.example/\tPodcasts/1710.17%20CFNetwork/1399%20Darwin/"
    "22.1.0\tfeed=economy&embed=https%253A%252F%252Fpartner.example\t-\tMiss\tXX==\td111111abcdef8.cloudfront.net\t"
    "https\t130\t0.074\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tMiss\tHTTP/2.0\t-\t-\t61052\t0.019\tMiss\taudio/mpeg\t"
    "512\t1000\t1511",
]


def _file(tmp_path: Path, text: str, name: str = "x.log") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_s3_documented_record_field_by_field() -> None:
    hit = logs.parse_line(logs.S3, S3_DOC)
    assert hit == Hit(datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC), "192.0.2.3", "GET", "/amzn-s3-demo-bucket1",
                      "versioning", 200, 113, "S3Console/0.4", "", None)
    get = logs.parse_line(logs.S3, S3_GET)
    assert get == Hit(datetime(2026, 11, 3, 8, 15, 2, tzinfo=UTC), "2001:db8::7", "GET",
                      "/site/media/ep-one/ep-one-1a2b3c4d.mp3", "feed=economy", 206, 1048576, "AntennaPod/3.4.0",
                      "https://partner.example/page", None)
    head = logs.parse_line(logs.S3, S3_HEAD_NO_URI)  # request-URI "-": the method is the operation's
    assert (head.method, head.path, head.status, head.sent, head.user_agent) == ("HEAD", "/media/x/x.mp3", 304, 0, "")


def test_cloudfront_documented_layout_field_by_field() -> None:
    fmt = logs.cloudfront("#Fields: " + loggen.CF_FIELDS)
    assert fmt is not None and len(fmt.fields) == 33
    page = logs.parse_line(fmt, CF_LINES[0])
    assert page == Hit(datetime(2019, 12, 4, 21, 2, 31, tzinfo=UTC), "192.0.2.100", "GET", "/index.html", "", 200,
                       78,  # sc-bytes counts headers: the body is the smaller sc-content-len
                       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/78.0.3904.108 Safari/537.36", "", None)
    audio = logs.parse_line(fmt, CF_LINES[1])
    assert audio == Hit(datetime(2019, 12, 13, 22, 36, 27, tzinfo=UTC), "2001:db8:85a3::8a2e:370:7334", "GET",
                        "/media/ep-two/ep-two-1a2b3c4d.mp3", "feed=economy&embed=https%253A%252F%252Fpartner.example",
                        206, 512, "Podcasts/1710.17 CFNetwork/1399 Darwin/22.1.0", "https://partner.example/",
                        "bytes=1000-1511")
    assert logs.cloudfront("#Fields: date time c-ip") is None  # lacks what counting needs


def test_combined_variants() -> None:
    nginx = ('203.0.113.9 - - [03/Nov/2026:10:00:00 +0100] "GET https://artoiscast.example/media/a/a.mp3?feed=all '
             'HTTP/2.0" 200 123 "-" "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)" "1.234" rt=0.5')
    hit = logs.parse_line(logs.COMBINED, nginx)  # absolute-form target, extra fields after the agent
    assert (hit.time, hit.path, hit.query, hit.sent) == (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "/media/a/a.mp3",
                                                         "feed=all", 123)
    escaped = r'::1 - user [03/Nov/2026:10:00:00 -0930] "GET /a\"b HTTP/1.1" 404 - "-" "say \"hi\" \\o/"'
    hit = logs.parse_line(logs.COMBINED, escaped)
    assert (hit.time.hour, hit.path, hit.user_agent, hit.sent) == (19, '/a"b', 'say "hi" \\o/', 0)
    assert logs.parse_line(logs.COMBINED, '1.2.3.4 - - [31/Feb/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 1 "-" "-"') \
        is None
    assert logs.parse_line(logs.COMBINED, '1.2.3.4 - - [03/nov/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 1 "-" "-"') \
        is None  # the month as Apache writes it, or not a time
    assert logs.parse_line(logs.COMBINED, '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "-" 400 - "-" "-"').method == "-"


def test_detect() -> None:
    assert logs.detect([S3_DOC]) == logs.S3
    assert logs.detect(["", loggen.combined_line(loggen.scenario().requests[0])]) == logs.COMBINED
    assert logs.detect(["#Version: 1.0", "#Fields: " + loggen.CF_FIELDS]).name == "cloudfront"
    assert logs.detect(["hello", "world"]) is None


HOSTILE = [
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /media/a/a.mp3 HTTP/1.1" 200 1 "-" "é ü 中文 agent"',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 99999999999999999999 "-" "-"',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "tab\there"',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-"',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "-" ',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET  /x HTTP/1.1" 200 5 "-" "-"',
    '1.2.3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 2000 5 "-" "-"',
    '1.2.3.4 - - [03/Nov/2026:24:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "-"',
    '1.2.3.4 - - [3/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "-"',
    '1.2.3.4 - - [29/Feb/2028:10:00:00 +0000] "PUT /x?a=1?b=2 HTTP/1.1" 201 5 "ref\\\\" "ua\\\\"',
    '1.2"3.4 - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "-"',
    '[::1] - - [03/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 5 "-" "-"',
    '#not a comment in a combined log',
    '   ',
    'x' * 5000,
]


@pytest.mark.parametrize("fmt_name", ["combined", "s3", "cloudfront"])
def test_bulk_and_reference_parsers_give_the_same_rows(tmp_path: Path, fmt_name: str) -> None:
    sc = loggen.scenario()
    write = {"combined": loggen.write_combined, "s3": loggen.write_s3, "cloudfront": loggen.write_cloudfront}[fmt_name]
    path = write(sc, tmp_path / "x.log")
    extra = {"combined": HOSTILE, "s3": [S3_DOC, S3_GET, S3_HEAD_NO_URI, S3_DOC.replace("200", "2x0")],
             "cloudfront": CF_LINES + [CF_LINES[0].replace("\t200\t", "\t2000\t"), "only\tthree\tfields",
                                       CF_LINES[0].replace("2019-12-04", "2019-02-30")]}[fmt_name]
    with path.open("a", encoding="utf-8") as f:
        f.write("\n".join(extra) + "\n\n" + extra[0] + "\n")
    fmt = logs.detect(path.read_text(encoding="utf-8").splitlines()[:50])
    assert fmt is not None and fmt.name == fmt_name
    python = logs.read_rows(path, fmt, engine="python")
    bulk = logs.read_rows(path, fmt, engine="duckdb")
    assert bulk == python
    unparsed = [n for n, hit in python if hit is None]
    first = 3 if fmt_name == "cloudfront" else 1
    assert unparsed[:2] == [5 + first, 40 + first]  # the scenario's two garbage lines, by their line numbers
    assert len(python) == len(path.read_text(encoding="utf-8").splitlines()) - 1 - (2 if fmt_name == "cloudfront" else 0)
    if fmt_name == "combined":
        assert len(unparsed) == 2 + 10  # the hostile lines that break the grammar


def test_bulk_parser_reads_many_lines_in_order(tmp_path: Path) -> None:
    """Line numbers stay exact on a file DuckDB reads in several parallel chunks."""
    path = loggen.volume(tmp_path / "v.log", 120_000, days=3)
    with path.open("a", encoding="utf-8") as f:
        f.write("garbage at the end\n")
    python = logs.read_rows(path, logs.COMBINED, engine="python")
    bulk = logs.read_rows(path, logs.COMBINED, engine="duckdb")
    assert len(bulk) == 120_001 and bulk == python
    assert [n for n, h in bulk if h is None] == [120_001]
