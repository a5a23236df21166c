"""The layers hold at import time: each stage module, imported alone in a fresh interpreter, loads
none of what sits below it in the data flow (or beside it).

``feeds`` and ``site`` read built episodes, never audio: importing them loads no mutagen, Pillow or
audio stack. ``check`` judges YAML without the encoder. ``models`` is plain data. A failure names
the module and what it pulled in.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

AUDIO = ["mutagen", "PIL", "artoiscast.audio"]
PIPELINE = ["artoiscast.ingest", "artoiscast.build"]
STORAGE = ["artoiscast.storage", "boto3", "botocore"]
ENGINE = ["faster_whisper", "ctranslate2", "av", "numpy", "huggingface_hub", "tokenizers", "onnxruntime"]

FORBIDDEN = {
    "artoiscast.models": AUDIO + PIPELINE + STORAGE + ["pydantic", "lxml", "yaml", "jinja2", "artoiscast.errors",
                                                      "artoiscast.catalog", "artoiscast.config"],
    "artoiscast.config": AUDIO + PIPELINE + STORAGE + ["lxml", "jinja2", "artoiscast.catalog", "artoiscast.feeds"],
    "artoiscast.feeds": AUDIO + PIPELINE + STORAGE + ENGINE + ["artoiscast.site", "artoiscast.transcribe"],
    "artoiscast.site": AUDIO + PIPELINE + STORAGE + ENGINE + ["artoiscast.feeds", "artoiscast.transcribe"],
    # the build reads a transcript's record (is it generated?), never the engine
    "artoiscast.build": ENGINE,
    # the engine is loaded only with a model (artoiscast.transcribe.whisper.FasterWhisper.load)
    "artoiscast.transcribe": AUDIO + PIPELINE + STORAGE + ENGINE + ["artoiscast.feeds", "artoiscast.site"],
    "artoiscast.transcribe.whisper": AUDIO + PIPELINE + STORAGE + ENGINE,
    "artoiscast.check": ["artoiscast.audio", "mutagen", "artoiscast.feeds", "artoiscast.site"] + PIPELINE + STORAGE,
    "artoiscast.lint": AUDIO + PIPELINE + STORAGE + ["artoiscast.catalog", "artoiscast.feeds", "pydantic"],
    "artoiscast.notify": AUDIO + PIPELINE + STORAGE + ["artoiscast.catalog", "artoiscast.feeds", "lxml"],
    "artoiscast.schedule": AUDIO + PIPELINE + STORAGE + ["artoiscast.feeds", "artoiscast.site", "artoiscast.deploy"],
    "artoiscast.catalog": AUDIO + PIPELINE + STORAGE + ["artoiscast.feeds", "artoiscast.site", "artoiscast.transcripts",
                                                       "lxml", "jinja2"],
    # init writes YAML and a picture: no audio; new probes and measures, and never encodes or tags
    "artoiscast.scaffold.init": ["artoiscast.audio", "mutagen", "artoiscast.feeds", "artoiscast.site"] + PIPELINE + STORAGE,
    "artoiscast.scaffold.new": ["mutagen", "artoiscast.audio.tags", "artoiscast.feeds", "artoiscast.site"] + PIPELINE
    + STORAGE,
}


def loaded_by(module: str) -> list[str]:
    """The names in ``sys.modules`` after ``import module`` in a fresh interpreter."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names: list[str] = json.loads(proc.stdout)
    return names


def _under(name: str, top: str) -> bool:
    return name == top or name.startswith(top + ".")


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_stage_module_loads_nothing_below_it(module: str) -> None:
    loaded = loaded_by(module)
    pulled = sorted(n for n in loaded for top in FORBIDDEN[module] if _under(n, top))
    assert not pulled, f"import {module} loads {', '.join(pulled)}"


def test_models_is_standard_library_only() -> None:
    ours = [n for n in loaded_by("artoiscast.models") if _under(n, "artoiscast")]
    assert ours == ["artoiscast", "artoiscast.models"]
    third_party = set(loaded_by("artoiscast.models")) - set(loaded_by("artoiscast"))
    stdlib = sys.stdlib_module_names
    assert sorted(n for n in third_party if n.split(".")[0] not in stdlib and not _under(n, "artoiscast")) == []
