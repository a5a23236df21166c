"""The one Jinja2 set-up of every HTML the project writes (the site, the embeds, the show notes,
the stats report): autoescaped, strict about undefined names, whitespace as the templates say."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def environment(package: str) -> Environment:
    """An environment reading the ``templates/`` folder of ``package`` (``"artoiscast"``,
    ``"artoiscast.stats"``)."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
