"""Offline speech-to-text: ``artoiscast transcribe`` (:func:`transcribe_all`).

``base``: the Backend protocol and its registry; ``whisper``: the ``faster-whisper`` backend (the
sole importer of the engine, and only once a model is loaded); ``model``: the packaged
``whisper-base`` model, joined and checked; ``record``: the ``.transcript.json`` a generated
transcript keeps beside itself (which the build reads to mark it generated); ``run``: the command.
"""

from artoiscast.transcribe.base import REGISTRY, Backend, ModelId, Segment, register
from artoiscast.transcribe.run import Outcome, transcribe_all

__all__ = ["REGISTRY", "Backend", "ModelId", "Outcome", "Segment", "register", "transcribe_all"]
