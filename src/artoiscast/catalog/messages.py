"""How the catalog words a pydantic validation error: one line per problem, with a fix.

``validate`` turns every error of one file into ``CatalogError(reason, path, field)``:
an unknown key gets a suggestion (at every depth: ``guests[0].nom: unknown key (did you mean
'name'?)``) and the "required field is missing" line of the key it was meant to be is dropped,
so a misspelt key is one problem, not two.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from artoiscast.errors import ArtoiscastError, CatalogError
from artoiscast.values import show_value as _show


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict[str, Any], model: type[BaseModel], meant: str | None = None) -> tuple[str, str]:
    """Turn one pydantic error into (field, reason-with-fix); ``meant``: the key an unknown key was meant to be."""
    loc = tuple(err["loc"])
    field = "date" if loc[:1] == ("date",) else _loc(loc)
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        parent_fields = _fields_at(model, loc[:-1])
        hint = f"did you mean {meant!r}?" if meant else f"known keys: {', '.join(sorted(parent_fields))}"
        return field, f"unknown key ({hint})"
    if kind == "missing":
        return field, "required field is missing (add it)"
    if field == "date":
        return "date", f"{_show(value)} is not a date (use YYYY-MM-DD)"
    if kind == "string_pattern_mismatch":
        return field, f"{_show(value)} has the wrong form ({_pattern_hint(field)})"
    if kind in ("literal_error", "enum"):
        return field, f"{_show(value)} is not allowed ({err['msg'].replace('Input should be ', 'use ')})"
    if kind == "too_short" and isinstance(value, (list, str)):
        return field, "is empty (give at least one value)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return field, f"{_show(value)}: {msg}" if kind.endswith("_type") or kind.endswith("_parsing") else msg


def _pattern_hint(field: str) -> str:
    last = field.split(".")[-1]
    return {
        "geo": 'latitude,longitude in decimal degrees, e.g. "50.4292,2.8319"',
        "osm": "N, W or R followed by the OpenStreetMap id, e.g. R113314",
        "country": "ISO 3166-1 alpha-2 in capitals, e.g. FR",
        "language": "an ISO 639 code such as fr or fr-BE",
        "email": "an e-mail address",
    }.get(last, "see the catalog format in the README")


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    cur: Any = model
    for part in loc:
        if isinstance(part, int) or cur is None:
            continue
        info = cur.model_fields.get(part)
        cur = _inner_model(info.annotation) if info else None
    return list(cur.model_fields) if cur is not None else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found:
            return found
    return None


def _suggestions(model: type[BaseModel], errs: list[dict[str, Any]]) -> dict[tuple[Any, ...], str]:
    """For each unknown key (by its loc), the key it was most likely meant to be.

    Looked for among the keys missing at the same place first (``nom`` for ``name``, with a
    looser match than among all keys), then among all the keys known there, and last, when
    one key is unknown and one is missing at that place, that one.
    """
    missing: dict[tuple[Any, ...], list[str]] = {}
    unknown: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for err in errs:
        loc = tuple(err["loc"])
        if not loc or not isinstance(loc[-1], str):
            continue
        if err["type"] == "missing":
            missing.setdefault(loc[:-1], []).append(loc[-1])
        elif err["type"] == "extra_forbidden":
            unknown.setdefault(loc[:-1], []).append(loc)
    out: dict[tuple[Any, ...], str] = {}
    for parent, locs in unknown.items():
        here = missing.get(parent, [])
        for loc in locs:
            key = str(loc[-1])
            near = (difflib.get_close_matches(key, here, n=1, cutoff=0.4)
                    or difflib.get_close_matches(key, _fields_at(model, parent), n=1))
            if near:
                out[loc] = near[0]
            elif len(here) == 1 and len(locs) == 1:
                out[loc] = here[0]
    return out


def validate(model: type[BaseModel], data: Any, shown: str, errors: list[ArtoiscastError]) -> Any:
    """``data`` (one file's YAML) validated as ``model``, or None with one CatalogError per
    problem added to ``errors`` (``shown``: the file as reported)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append(CatalogError("the file must hold a mapping of keys to values", path=shown))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errs: list[dict[str, Any]] = [dict(err) for err in exc.errors(include_url=False)]
        meant = _suggestions(model, errs)
        # a misspelt key is one problem, not two: drop "missing" for the key it was meant to be
        dropped = {loc[:-1] + (key,) for loc, key in meant.items()}
        found: list[tuple[str, str]] = []
        for err in errs:
            loc = tuple(err["loc"])
            if err["type"] == "missing" and loc in dropped:
                continue
            item = _message(err, model, meant.get(loc))
            if item not in found:  # a union field reports once per member type
                found.append(item)
        for field, reason in found:
            errors.append(CatalogError(reason, path=shown, field=field or None))
        return None
