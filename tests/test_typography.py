"""French typography (typography.py): the rules on real sentences of the catalog, idempotence and
letters kept on hostile random text, and HTML whose tags, attributes and code are left as they are."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest
import yaml

from artoiscast.site import frdate
from artoiscast.typography import NBSP, NNBSP, french, french_html

ROOT = Path(__file__).resolve().parent.parent
N, S = NNBSP, NBSP


def _catalog_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "episodes").glob("*/episode.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [doc[k] for k in ("title", "summary", "recorded") if isinstance(doc.get(k), str)]
        texts += [g.get("name", "") for g in doc.get("guests") or []] + [g.get("role") or "" for g in doc.get("guests") or []]
    return [t for t in texts if t]


CATALOG = _catalog_texts()
NOTES = [yaml.safe_load(p.read_text(encoding="utf-8")).get("notes") or "" for p in sorted((ROOT / "episodes").glob("*/episode.yaml"))]


@pytest.mark.parametrize(("text", "expected"), [
    # titles of the catalog
    ("L'avenir du parc immobilier de l'Artois", "L’avenir du parc immobilier de l’Artois"),
    ('Inauguration du "Battery Training Center de Douvrin"', f"Inauguration du «{N}Battery Training Center de Douvrin{N}»"),
    ('Design Week 2024 : "Une nouvelle ère pour la ruche"', f"Design Week 2024{S}: «{N}Une nouvelle ère pour la ruche{N}»"),
    ("Développement des filières et métiers de l’économie verte : le Cd2e",
     f"Développement des filières et métiers de l’économie verte{S}: le Cd2e"),
    ("Le commerce du centre-ville de Lens - le cas de la fermeture de MAMZELLE FIL ?",
     f"Le commerce du centre-ville de Lens - le cas de la fermeture de MAMZELLE FIL{N}?"),
    ("LLV - afterwork-cybersécurité : Bertrand Mazure", f"LLV - afterwork-cybersécurité{S}: Bertrand Mazure"),
    # the signs
    ("Pourquoi? Parce que!", f"Pourquoi{N}? Parce que{N}!"),
    ("Wait?!", f"Wait{N}?!"), ("Vraiment !?", f"Vraiment{N}!?"), ("un; deux", f"un{N}; deux"),
    (f"déjà{S}? oui{N}!", f"déjà{N}? oui{N}!"),  # an existing space becomes the right one, never doubled
    ("trois  :  quatre", f"trois{S}:  quatre"),
    ("« bonjour »", f"«{N}bonjour{N}»"), ("«bonjour»", f"«{N}bonjour{N}»"),
    ("Et puis... rien", "Et puis… rien"), ("[...]", "[…]"), ("quatre....", "quatre...."),
    ("aujourd'hui", "aujourd’hui"), ("le 1 mars 2025", "le 1er mars 2025"), ("1 janvier", "1er janvier"),
    ("11 mars, 21 mai, 1,1 mars, page 1 sur 2", "11 mars, 21 mai, 1,1 mars, page 1 sur 2"),
    # left alone
    ("à 10:30, score 2:1, a:b, ratio 16:9", "à 10:30, score 2:1, a:b, ratio 16:9"),
    ("https://artoiscast.example/media/x.mp3?feed=web&embed=-", "https://artoiscast.example/media/x.mp3?feed=web&embed=-"),
    ("voir http://a.example/l'x...y !", f"voir http://a.example/l'x...y{N}!"),
    ("écrire à contact@artoiscast.example : merci", f"écrire à contact@artoiscast.example{S}: merci"),
    ("index.html?feed=web", "index.html?feed=web"), ("super :) et ;-) et :(", "super :) et ;-) et :("),
    ('un "seul guillemet', 'un "seul guillemet'), ('12" et 14"', '12" et 14"'),
    ("? au début", "? au début"), ("(?)", "(?)"),
])
def test_rules(text: str, expected: str) -> None:
    assert french(text) == expected
    assert french(expected) == expected


def test_frdate_says_1er() -> None:
    assert frdate(datetime(2025, 3, 1, tzinfo=timezone.utc)) == "1er mars 2025"
    assert frdate(datetime(2025, 3, 11, tzinfo=timezone.utc)) == "11 mars 2025"


def _letters(text: str) -> str:
    return re.sub(r"(?<![\w.,])1er\b", "1", text).translate({ord(c): None for c in " \u00a0\u202f\"«»'’"}).replace("…", "...")


def test_the_catalog() -> None:
    assert len(CATALOG) > 60
    changed = 0
    for text in CATALOG:
        done = french(text)
        assert french(done) == done, text
        assert _letters(done) == _letters(text), text
        assert "'" not in re.sub(r"https?://\S+", "", done), done  # every apostrophe of the catalog is between letters
        assert not re.search(r"\w[;!?]\s", done) and not re.search(r"\w :", done), done
        changed += done != text
    assert changed > 20


def test_the_catalog_notes_as_rendered() -> None:
    from artoiscast.transcripts import markdown_html

    notes = [markdown_html(n) for n in NOTES if n]
    assert len(notes) > 5
    for html in notes:
        done = french_html(html)
        assert french_html(done) == done
        text = lxml.html.fromstring(f"<div>{done}</div>").text_content()
        before = lxml.html.fromstring(f"<div>{html}</div>").text_content()
        assert _letters(text) == _letters(before)
        assert not re.search(r"\w[;!?:](\s|$)", text) and not re.search(r"\w :", text), text
        hrefs = lxml.html.fromstring(f"<div>{html}</div>").xpath("//@href")
        assert lxml.html.fromstring(f"<div>{done}</div>").xpath("//@href") == hrefs


HOSTILE = list("aé Z1'\"«»….:;!?()[]-/@ \u00a0\u202f\n\t") + ["...", "http://", "a@b.fr", ":)", " mars", "1 "]


def test_idempotent_and_letters_kept_on_random_text() -> None:
    rng = random.Random(15)
    for _ in range(4000):
        text = "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 30)))
        once = french(text)
        assert french(once) == once, repr(text)
        assert _letters(once) == _letters(text), repr(text)
        html = f"<p>{text.replace('<', '').replace('&', '')}</p>"
        marked = french_html(html)
        assert french_html(marked) == marked, repr(html)


def test_html_text_nodes_only() -> None:
    markup = ('<p class="a" title="l\'Artois &quot;x&quot; : oui?">L\'Artois : <a href="https://x.example/?a=1&amp;b=l\'c">'
              "l'eau</a>!</p>\n<pre>l'x : y</pre><p><code>a ; \"b\"</code> ; <script>var a = 'x' ;</script>"
              "<style>a:hover{}</style>&lt;b&gt; l&#x27;a &amp; c</p><!-- l'x : y -->")
    out = french_html(markup)
    doc = lxml.html.fromstring(f"<div>{out}</div>")
    ref = lxml.html.fromstring(f"<div>{markup}</div>")
    assert [dict(e.attrib) for e in doc.iter()] == [dict(e.attrib) for e in ref.iter()]  # attributes intact
    assert [e.text_content() for e in doc.iter("pre", "code", "script", "style")] == \
           [e.text_content() for e in ref.iter("pre", "code", "script", "style")]
    assert f"L’Artois{S}: " in out and f"l’eau</a>{N}!" in out and "&lt;b&gt; l’a &amp; c" in out
    assert "<!-- l'x : y -->" in out
    assert french_html(out) == out


def test_html_unchanged_is_byte_equal() -> None:
    markup = '<p data-x="a : b ?">Rien&nbsp;à faire &#233;t&eacute;</p><br/><img alt="x ?" src=a>'
    assert french_html(markup) == markup
    notes = '<p>Il a dit "<em>oui</em>" !</p>'
    assert french_html(notes) == f"<p>Il a dit «{N}<em>oui</em>{N}»{N}!</p>"


def test_markup_goes_through_the_html_path() -> None:
    from markupsafe import Markup

    out = french(Markup("<b title=\"l'a\">l'a</b>"))
    assert isinstance(out, Markup) and out == "<b title=\"l'a\">l’a</b>"


TAGS = ["<b>", "</b>", "<em>", "</em>", "<p>", "</p>", "<code>", "</code>", "<br>", '<a href="l\'x : y?">', "</a>",
        "&amp;", "&#x27;", "&lt;", "&nbsp;", "<!-- ' : -->"]


def test_html_idempotent_and_tags_kept_on_random_markup() -> None:
    rng = random.Random(1515)
    for _ in range(1500):
        markup = "".join(rng.choice(HOSTILE + TAGS) for _ in range(rng.randint(0, 25))).replace("<!DOCTYPE", "")
        once = french_html(markup)
        assert french_html(once) == once, repr(markup)
        tags = re.compile(r"<[^<>]*>")
        assert tags.findall(once) == tags.findall(markup), repr(markup)
        ref, got = lxml.html.fromstring(f"<div>{markup}</div>"), lxml.html.fromstring(f"<div>{once}</div>")
        assert [e.text_content() for e in got.iter("code")] == [e.text_content() for e in ref.iter("code")]
