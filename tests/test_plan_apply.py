"""Publish as plan, then apply: the store is read once for the plan, and the plan is trusted under
the lock only while the store is as it was read. Also the small library calls the CLI makes
instead of deciding (embed snippet, storage folder, setup_cors, check's report, one error type)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from artoiscast.catalog import load_catalog
from artoiscast.check import check
from artoiscast.cli import cli
from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList, UsageError
from artoiscast.progress import NULL, Job
from artoiscast.prune import parse_age
from artoiscast.publish import apply_plan, plan_publish, publish
from artoiscast.site import embed_snippet
from artoiscast.storage.local import LocalStorage, folder_of


class Counted(LocalStorage):
    """The real folder backend, counting the reads that cost a request on S3."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.calls: Counter[str] = Counter()

    def list(self) -> Any:
        self.calls["list"] += 1
        return super().list()

    def stat(self, key: str) -> Any:
        self.calls["stat"] += 1
        return super().stat(key)

    def get_tagged(self, key: str) -> Any:
        self.calls["get_tagged"] += 1
        return super().get_tagged(key)


class Recorded:
    """An Events that remembers what it was told."""

    def __init__(self) -> None:
        self.jobs: list[list[Any]] = []  # [label, total, unit, advanced, done]

    def start(self, total: float | None, label: str, *, unit: str = "") -> Job:
        job = [label, total, unit, 0.0, False]
        self.jobs.append(job)

        class _J:
            def advance(self, n: float = 1) -> None:
                job[3] += n

            def done(self) -> None:
                job[4] = True

        return _J()


def _interrupted(site: Path, public: Path) -> int:
    """The media of ``site`` copied to ``public`` by a publish that died before the manifest."""
    media = [k for k in json.loads((site / "manifest.json").read_bytes())["files"] if k.startswith("media/")]
    for key in media:
        (public / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / key, public / key)
    return len(media)


def test_plan_then_apply_reads_the_store_once(built_catalog: Path, tmp_path: Path) -> None:
    site = built_catalog / "build" / "site"
    storage = Counted(tmp_path / "public")
    media = _interrupted(site, storage.folder)
    plan = plan_publish(site, storage)
    assert storage.calls == {"get_tagged": 1, "list": 1, "stat": media}  # one HEAD per unvouched object
    assert plan.verified == media and not [k for k in plan.uploads if k.startswith("media/")]
    assert not (storage.folder / "manifest.json").exists()  # a plan changes nothing
    events = Recorded()
    done = apply_plan(plan, events=events)
    # under the lock: the manifest's version and the listing once more, and no HEAD again (the store had not moved)
    # (then get_tagged twice more: the check before the feeds, and put_if's own check of the version)
    assert storage.calls == {"get_tagged": 4, "list": 2, "stat": media}
    assert done.uploads == plan.uploads
    assert events.jobs == [["publish", plan.upload_bytes, "B", plan.upload_bytes, True]]
    again = Counted(storage.folder)
    assert publish(site, again).uploads == [] and again.calls == {"get_tagged": 1, "list": 1}  # nothing: no lock


def test_a_store_changed_between_plan_and_apply_is_planned_again(built_catalog: Path, tmp_path: Path) -> None:
    site = built_catalog / "build" / "site"
    storage = LocalStorage(tmp_path / "public")
    plan = plan_publish(site, storage)
    assert "media/" in " ".join(plan.new)
    _interrupted(site, storage.folder)  # someone copied the media meanwhile
    done = apply_plan(plan)
    assert not [k for k in done.uploads if k.startswith("media/")] and done.verified
    assert plan_publish(site, storage).uploads == []


def test_a_dry_run_is_the_plan_alone(built_catalog: Path, tmp_path: Path) -> None:
    site = built_catalog / "build" / "site"
    storage = Counted(tmp_path / "public")
    plan = publish(site, storage, dry_run=True, events=NULL)
    assert plan.uploads and storage.calls == {"get_tagged": 1, "list": 1}
    assert not storage.folder.exists() or not any(storage.folder.iterdir())


def test_errors_are_one_tree() -> None:
    many = ErrorList([CatalogError("bad", path="a.yaml"), ErrorList([ArtoiscastError("worse")])])
    assert isinstance(many, ArtoiscastError) and many.exit_code == 2
    assert [e.line() for e in many.errors] == ["a.yaml: bad", "worse"]  # flat
    with pytest.raises(UsageError) as info:
        parse_age("3x")
    assert info.value.exit_code == 2 and info.value.field == "--older-than"


def test_embed_snippet_judges_the_theme_and_the_base_url(built_catalog: Path) -> None:
    catalog = load_catalog(built_catalog, check_files=False)
    theme = next(t for t in catalog.themes)
    assert f'src="https://staging.example/embed/{theme}.html?n=2"' in embed_snippet(
        catalog, theme, 2, "https://staging.example")
    assert f'src="{catalog.podcast.base_url}embed/{theme}.html?n=5"' in embed_snippet(catalog, theme, 5)
    with pytest.raises(CatalogError) as info:
        embed_snippet(catalog, "nope", 5)
    assert info.value.field == "theme" and theme in info.value.reason


def test_the_local_folder_is_resolved_in_one_place(built_catalog: Path, tmp_path: Path) -> None:
    settings = load_catalog(built_catalog, check_files=False).podcast.storage
    assert folder_of(settings, built_catalog) == built_catalog / settings.path
    assert LocalStorage.from_settings(settings, built_catalog).folder == folder_of(settings, built_catalog)
    with pytest.raises(UsageError) as info:
        LocalStorage(tmp_path).setup_cors()
    assert info.value.field == "--setup-cors"


def test_check_reports_what_it_judged(built_catalog: Path) -> None:
    report = check(built_catalog)
    assert report.catalog is not None and report.feeds_judged and report.exit_code() == 0
    only_yaml = check(built_catalog, files=False)
    assert only_yaml.catalog is not None and not only_yaml.feeds_judged and only_yaml.findings == []


def test_only_publishing_commands_say_nothing_was_published(built_catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_catalog, root, symlinks=True)
    for folder in sorted((root / "episodes").iterdir())[:2]:  # two bad episodes: two problems
        yaml = folder / "episode.yaml"
        yaml.write_text(yaml.read_text().replace("audio: ", "audio: gone-", 1))
    for command, said in (("check", "problems."), ("build", "problems."),
                          ("publish", "problems; nothing was published.")):
        result = CliRunner().invoke(cli, [command, "--root", str(root)])
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[-1].endswith(said), (command, result.stderr)
