"""Publish a built show to a storage backend. Never renders.

Protocol (SPEC 5): diff the new ``manifest.json`` against the published one; upload
new and changed objects, media and side files first, pages next, feeds and the
manifest last, so that at every instant every published feed points only at objects
that exist; never delete (a later ``prune`` will, after a grace period).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from artoiscast.build import MANIFEST
from artoiscast.errors import ArtoiscastError, StorageError
from artoiscast.mediatypes import cache_control, content_type
from artoiscast.storage import Storage

PHASES = ("media", "side", "pages", "feeds", "manifest")


def phase(key: str) -> int:
    """Upload order: media, side files (art, transcripts, chapters), pages, feeds, manifest."""
    if key == MANIFEST:
        return 4
    top = key.split("/", 1)[0]
    if top == "media":
        return 0
    if top in ("art", "transcripts", "chapters"):
        return 1
    if top == "feeds":
        return 3
    return 2


@dataclass
class Plan:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # published earlier, not in this build: kept until prune
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def uploads(self) -> list[str]:
        return sorted(self.new + self.changed, key=lambda k: (phase(k), k))

    @property
    def upload_bytes(self) -> int:
        return sum(self.sizes[k] for k in self.uploads)


def read_manifest(data: bytes | None, where: str) -> dict[str, object]:
    if data is None:
        return {"files": {}}
    try:
        doc = json.loads(data)
        if not isinstance(doc.get("files"), dict):
            raise ValueError("no files")
        return doc
    except ValueError as exc:
        raise StorageError(f"manifest.json is not a valid manifest ({exc})", path=where) from exc


def make_plan(new: dict[str, object], old: dict[str, object], present: set[str], manifest_same: bool) -> Plan:
    """Compare the built manifest with the published one (and what the store really holds)."""
    plan = Plan()
    new_files: dict[str, dict[str, object]] = new["files"]  # type: ignore[assignment]
    old_files: dict[str, dict[str, object]] = old["files"]  # type: ignore[assignment]
    for key, info in sorted(new_files.items()):
        plan.sizes[key] = int(info["size"])  # type: ignore[arg-type]
        if key not in old_files or key not in present:
            plan.new.append(key)
        elif old_files[key].get("sha256") != info["sha256"]:
            plan.changed.append(key)
        else:
            plan.kept.append(key)
    (plan.kept if manifest_same and MANIFEST in present else plan.changed if old_files else plan.new).append(MANIFEST)
    plan.sizes[MANIFEST] = 0
    plan.stale = sorted(k for k in old_files if k not in new_files)
    return plan


def publish(
    build_dir: Path,
    storage: Storage,
    *,
    dry_run: bool = False,
    jobs: int = 8,
    on_upload: Callable[[str, int], None] | None = None,
) -> Plan:
    """Upload ``build_dir`` (a built site with its manifest) to ``storage``.

    Returns the plan carried out (or, with ``dry_run``, the plan alone). Raises
    StorageError when the store refuses; the published feeds then still point only
    at objects that exist, and running it again finishes the job.
    """
    manifest_path = build_dir / MANIFEST
    if not manifest_path.is_file():
        raise ArtoiscastError("no build found (run artoiscast build first)", path=str(manifest_path))
    new_bytes, old_bytes = manifest_path.read_bytes(), storage.get(MANIFEST)
    new = read_manifest(new_bytes, str(manifest_path))
    old = read_manifest(old_bytes, f"{storage.describe()}/{MANIFEST}")
    present = set(storage.list())
    plan = make_plan(new, old, present, manifest_same=new_bytes == old_bytes)
    plan.sizes[MANIFEST] = manifest_path.stat().st_size
    if dry_run:
        return plan
    uploads = plan.uploads
    for ph in range(len(PHASES)):
        batch = [k for k in uploads if phase(k) == ph]
        if not batch:
            continue

        def one(key: str) -> None:
            storage.put(key, build_dir / key, content_type=content_type(key), cache_control=cache_control(key))
            if on_upload:
                on_upload(key, plan.sizes[key])

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for fut in [pool.submit(one, k) for k in batch]:
                fut.result()  # the first failure stops before the next phase starts
    return plan
