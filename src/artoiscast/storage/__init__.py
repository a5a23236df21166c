"""Storage backends behind one small protocol, chosen by name (``local``, ``s3``)."""

from artoiscast.storage.base import REGISTRY, ObjectInfo, Storage, open_storage, register

__all__ = ["REGISTRY", "ObjectInfo", "Storage", "open_storage", "register"]
