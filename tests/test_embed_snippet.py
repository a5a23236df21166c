"""The snippet ``artoiscast embed`` prints, read back with lxml (the browser half is test_embed_fit.py)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from artoiscast.cli import cli
from artoiscast.site import EMBED_FOOT_HEIGHT, EMBED_HEAD_HEIGHT, EMBED_ITEM_HEIGHT, embed_height, iframe_snippet, origin

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["embed", *args, "--root", str(REPO)])
    return res.exit_code, res.output


@pytest.mark.parametrize(("args", "query", "n"), [
    ((), "?n=5", 5), (("--n", "3"), "?n=3", 3), (("--n", "2", "--theme", "dark"), "?n=2&theme=dark", 2),
    (("--theme", "light"), "?n=5&theme=light", 5), (("--theme", "auto"), "?n=5", 5)])
def test_the_snippet_is_the_iframe_then_its_script_on_one_line(args: tuple[str, ...], query: str, n: int) -> None:
    code, out = run("llv", *args, "--base-url", "https://Radio.Example:443/podcast")
    assert code == 0 and out.count("\n") == 1, out
    frame, script = lxml.html.fragments_fromstring(out)
    assert frame.get("src") == f"https://Radio.Example:443/podcast/embed/llv.html{query}"
    assert int(frame.get("height")) == embed_height(n) == EMBED_HEAD_HEIGHT + n * EMBED_ITEM_HEIGHT + EMBED_FOOT_HEIGHT
    # messages are taken from the show's origin only (default port dropped, as browsers say it), from that iframe
    assert 'e.origin==="https://radio.example"&&e.source===f.contentWindow' in script.text
    assert script.text.endswith("(document.currentScript.previousElementSibling)")


@pytest.mark.parametrize("args", [("--theme", "pink"), ("--n", "0"), ("--n", "21")])
def test_bad_options_are_usage_errors(args: tuple[str, ...]) -> None:
    code, out = run("llv", *args)
    assert code == 2 and "Traceback" not in out and "Invalid value" in out, out


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8000/x/", "http://127.0.0.1:8000"), ("http://a.example:80/", "http://a.example"),
    ("https://u:p@A.example:8443/", "https://a.example:8443"), ("http://[::1]:9/", "http://[::1]:9")])
def test_origin(url: str, expected: str) -> None:
    assert origin(url) == expected


def test_nothing_in_a_title_or_address_breaks_out_of_the_snippet() -> None:
    evil = '"></iframe><script>alert(1)</script>'
    frame, script = lxml.html.fragments_fromstring(iframe_snippet(f"https://a.example/embed/x.html?q={evil}", evil, 10))
    assert frame.get("title") == evil and frame.get("src").endswith(evil) and "alert" not in script.text
