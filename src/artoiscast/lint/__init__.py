"""``artoiscast check``: lint built feeds (Apple, PSP-1, Podcasting 2.0) and probe a live show.

Three modules, one job each: :mod:`~artoiscast.lint.rules` (pure rules over feed XML),
:mod:`~artoiscast.lint.site` (reads a built site and its manifest) and
:mod:`~artoiscast.lint.live` (the HTTP prober). Each problem is one :class:`Finding`, printed
as ``feeds/<name>.xml: item <guid>: <rule>: <what is wrong>``.
"""

from artoiscast.lint.live import Response, http, probe_live, probe_previous
from artoiscast.lint.rules import Finding, is_uuid5, item_label, lint_feed, lint_feeds, summary
from artoiscast.lint.site import lint_built, lint_site

__all__ = ["Finding", "Response", "http", "is_uuid5", "item_label", "lint_built", "lint_feed", "lint_feeds",
           "lint_site", "probe_live", "probe_previous", "summary"]
