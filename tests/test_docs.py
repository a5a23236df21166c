"""The docs are true to the code: every command has ``--help`` with an example, a row in the
README's command table and a section of its own; the table's options exist; comments and
docstrings point only at files inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from artoiscast.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def _table() -> dict[str, str]:
    """command -> its row's first cell, from the README's "## Commands" table."""
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `artoiscast (\w+)([^`]*)` \|", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_the_readme_table_lists_exactly_the_commands() -> None:
    assert sorted(_table()) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0, res.output
    assert re.search(r"^\s*Examples?:", res.output, re.MULTILINE), f"{name} --help has no example"
    assert re.search(rf"^\s+artoiscast {name}\b", res.output, re.MULTILINE), f"{name} --help's example does not run it"


@pytest.mark.parametrize("name", COMMANDS)
def test_the_table_names_only_real_options(name: str) -> None:
    command = cli.commands[name]
    known = {opt for p in command.params if isinstance(p, click.Option) for opt in (*p.opts, *p.secondary_opts)}
    shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", _table()[name]))
    assert shown <= known, f"README shows {sorted(shown - known)} for {name}, which it does not take"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_explained_beyond_the_table(name: str) -> None:
    """Named in the README's prose or examples, not only in its table row."""
    body = "\n".join(line for line in README.splitlines() if not line.startswith("| `artoiscast "))
    assert re.search(rf"artoiscast {name}\b|`{name}`|`{name} ", body), f"the README says nothing about {name} outside the table"


def test_comments_point_only_inside_the_repository() -> None:
    """No spec section numbers, no paths to folders beside the repository: a reader has neither."""
    outside = re.compile(r"\bSPEC ?[0-9]|\.\./shared/|\bshared/(SPEC|STYLE|research|reviews|seeds)\b")
    found = []
    for folder in ("src", "tests", "scripts", ".ci"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".sh", ".html", ".js", ".css", ".toml", ""} \
                    and "egg-info" not in str(path) and "__pycache__" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.relative_to(REPO)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                          if outside.search(line) and "outside = re.compile" not in line]
    assert not found, found
