"""``artoiscast init`` and ``artoiscast new``: their options, the click prompt, and what they print."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from artoiscast.cli import Bars, cli, out, root_option
from artoiscast.scaffold.prompt import Check, CheckMany, split_many


class ClickPrompt:
    """The :class:`~artoiscast.scaffold.prompt.Prompt` of the terminal: click.prompt, asking
    again (with the problem) until the answer passes."""

    def ask(self, question: str, default: str | None = None, validate: Check | None = None) -> str:
        def judged(value: str) -> str:
            problem = validate(value.strip()) if validate else None
            if problem:
                raise click.BadParameter(problem)
            return value.strip()

        answer: str = click.prompt(question, default=default, value_proc=judged, show_default=bool(default),
                                   err=True)
        return answer

    def ask_many(self, question: str, default: list[str] | None = None, validate: CheckMany | None = None) -> list[str]:
        shown = ", ".join(default) if default else None
        return split_many(self.ask(question, shown, (lambda v: validate(split_many(v))) if validate else None))


@cli.command()
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Ask nothing: every answer is an option (or its default).")
@click.option("--title", default=None, help="The show's title.")
@click.option("--author", default=None, help="Who publishes it (also the host and the owner's name).")
@click.option("--language", default=None, help="ISO 639 code of the episodes' language (default: fr).")
@click.option("--description", default=None, help="What the show is about (default: a sentence from title and author).")
@click.option("--base-url", default=None, help="Where the show will be published: an absolute https URL.")
@click.option("--email", default=None, help="The owner's e-mail (Apple asks for one; optional).")
@click.option("--theme", "themes", multiple=True, metavar="NAME", help="A theme, with its own feed. Repeatable.")
@click.option("--artwork", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The show's cover (square JPEG or PNG, 1400-3000 px); default: a placeholder is drawn.")
def init(folder: Path, yes: bool, title: str | None, author: str | None, language: str | None,
         description: str | None, base_url: str | None, email: str | None, themes: tuple[str, ...],
         artwork: Path | None) -> None:
    """Start a new show in FOLDER (default: here): podcast.yaml, a feed per theme, episodes/.

    Asks for the title, author, language, description, base URL, owner's e-mail, themes and
    cover, unless given as options; with --yes it asks nothing, and a missing required answer
    (--title, --author, --base-url, --theme) is an error naming it. Writes podcast.yaml,
    feeds/<theme>.yaml (each with its podcast:guid pinned), episodes/, .gitignore and the artwork:
    your cover, or placeholders that `check --strict` flags until you replace them. Refuses a
    folder that already holds a show; nothing is written unless all of it is.

    \b
    Examples:
      artoiscast init myshow
      artoiscast init myshow --yes --title "Ma radio" --author "Jeanne Dupont" \\
          --base-url https://radio.example.org/ --theme culture --theme sport
    """
    from artoiscast.scaffold.init import ShowAnswers, init_show

    given = ShowAnswers(title, author, language, description, base_url, email, list(themes), artwork)
    result = init_show(folder, given, None if yes else ClickPrompt())
    out.print(f"new show in {folder}: {', '.join(result.written)}")
    for name, url in result.feeds.items():
        out.print(f"  {name:<10} {url}")
    for path in result.placeholders:
        click.echo(f"warning: {path}: a placeholder cover: replace it with your own (check --strict fails until then)",
                   err=True)
    if not result.email:
        click.echo("warning: podcast.yaml: owner.email: not set (Apple asks for one: add it when you can)", err=True)
    where = "" if folder == Path(".") else f"cd {shlex.quote(str(folder))} && "
    out.print(f"next: {where}artoiscast new RECORDING --title \"...\", then artoiscast check")


@cli.command()
@root_option
@click.argument("audio", type=click.Path(path_type=Path))
@click.option("--title", required=True, help="The episode's title (its folder's name is made from it).")
@click.option("--theme", "themes", multiple=True, metavar="NAME",
              help="A theme of the show (default: its only one; required when it has several). Repeatable.")
@click.option("--guest", "guests", multiple=True, metavar='"NAME, ROLE[, ORGANISATION]"',
              help="A guest: name, role and organisation separated by commas. Repeatable.")
@click.option("--date", "when", default=None, metavar="DATE",
              help="Publication date, YYYY-MM-DD or YYYY-MM-DDTHH:MM, Paris time (default: today); "
                   "a future date schedules it.")
@click.option("--move", is_flag=True, help="Move the recording into the episode folder instead of copying it.")
def new(root: Path, audio: Path, title: str, themes: tuple[str, ...], guests: tuple[str, ...], when: str | None,
        move: bool) -> None:
    """Make a new episode from the recording AUDIO: episodes/<slug>/ with the audio and an episode.yaml.

    The folder's name comes from the title (accents folded, -2 if taken). The recording is
    probed (length, format, loudness before) and copied (or moved) in as audio.<ext>; the
    episode.yaml has the title, date, themes, guests and audio filled in, every optional field
    shown commented out, and a summary to write (check refuses the episode until it is). A
    file that is not audio is refused, and nothing is left of a new that failed.

    \b
    Example:
      artoiscast new ~/enregistrements/liévin.wav --title "Énergie à Liévin : l'été" \\
          --theme energy --guest "Marie Piotrowski, présidente, Mine de Soleil" --date 2025-07-01T10:00
    """
    from artoiscast.scaffold.new import describe, new_episode

    with Bars() as bars:
        ep = new_episode(root, audio, title=title, themes=list(themes), guests=list(guests), when=when, move=move,
                         events=bars)
    where = f"episodes/{ep.slug}"
    out.print(f"new episode {where}/: {ep.audio} {'moved' if ep.moved else 'copied'} from {audio}")
    out.print(f"  audio: {describe(ep.probe, ep.before)}")
    if ep.scheduled:
        out.print(f"  scheduled: published on {ep.published:%Y-%m-%d at %H:%M:%S} Paris time (nothing of it is public "
                  "until then; the first build or publish after it adds it)")
    else:
        out.print(f"  date: {ep.date.isoformat()} (published at the next publish)")
    out.print(f"fill in {where}/episode.yaml: {', '.join(ep.todo)} (a TODO now); uncomment the optional fields you "
              "want (guests, location, notes, chapters...), then run artoiscast check")
