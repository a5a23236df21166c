"""The manifest gives stats what the one-minute rule needs: each episode's bitrate and the size
of the ID3 tag before its audio."""

from __future__ import annotations

import json
from pathlib import Path

from artoiscast.build import id3_size


def test_manifest_has_bitrate_and_audio_offset(built_catalog: Path) -> None:
    site = built_catalog / "build" / "site"
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["episodes"]
    for _slug, ep in manifest["episodes"].items():
        assert ep["bitrate"] == 128  # the catalog's audio.bitrate (CBR)
        data = (site / ep["media"]).read_bytes()
        assert ep["audio_offset"] == id3_size(site / ep["media"]) > 0
        assert ep["audio_offset"] % (64 * 1024) == 0  # the tag is padded to whole 64 KiB blocks
        assert data[ep["audio_offset"]] == 0xFF and data[ep["audio_offset"] + 1] & 0xE0 == 0xE0  # an MPEG frame


def test_id3_size(tmp_path: Path) -> None:
    plain = tmp_path / "a.mp3"
    plain.write_bytes(b"\xff\xfb\x90\x00" + bytes(100))
    assert id3_size(plain) == 0
    tagged = tmp_path / "b.mp3"
    tagged.write_bytes(b"ID3\x03\x00\x00\x00\x00\x02\x01" + bytes(257) + b"\xff\xfb")  # syncsafe 0x0101 = 257
    assert id3_size(tagged) == 10 + 257
    footer = tmp_path / "c.mp3"
    footer.write_bytes(b"ID3\x04\x00\x10\x00\x00\x00\x05" + bytes(20))
    assert id3_size(footer) == 10 + 5 + 10
