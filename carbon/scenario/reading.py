"""Reading a scenario file: TOML, ``extends``, paths relative to the file, and validation.

Every problem becomes a :class:`~carbon.errors.InputError` whose :class:`~carbon.errors.Problem`
names the file, the key path (``measures[2].capture``: arrays of tables counted from 1, as a
planner counts the ``[[measures]]`` blocks), the value, and what is accepted.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from .spec import Spec

__all__ = ["problem", "read_spec", "spec_from_dict"]

#: Keys of [base] that name files, resolved relative to the TOML file that wrote them.
PATH_KEYS = ("activities", "facilities", "transfers", "factors")
#: Keys a scenario does not inherit through ``extends``.
OWN_KEYS = ("name", "title", "description", "extends")


def problem(file: str, key: str, reason: str, value: object = None, accepted: str = "",
            kind: str = "scenario") -> Problem:
    """A problem of a scenario file at ``key`` (a dotted key path)."""
    return Problem(kind, reason, file=file, column=key or None, value=value, accepted=accepted)


def _read_toml(path: Path, label: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([problem(label, "", f"not UTF-8 text ({exc.reason})",
                                  accepted="a UTF-8 TOML file", kind="syntax")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([problem(label, "", f"not valid TOML: {exc}",
                                  accepted="TOML 1.0 (https://toml.io); strings in quotes, "
                                  "[table] and [[array of tables]] headers", kind="syntax")]
                         ) from None


def _resolve_paths(data: dict, folder: Path) -> dict:
    base = data.get("base")
    if isinstance(base, dict):
        for key in PATH_KEYS:
            value = base.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                base[key] = str((folder / value).resolve())
    return data


def _merge(parent: dict, child: dict) -> dict:
    """``child`` over ``parent``: tables merge key by key, everything else is replaced."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The scenario file as a dict, ``extends`` applied and file paths made absolute."""
    path = Path(path)
    label = str(path)
    resolved = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"scenario file {label} not found")
    data = _resolve_paths(_read_toml(path, label), resolved.parent)
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise InputError([problem(label, "extends", "not a file name", parent_name,
                                  "the path of another scenario file, relative to this one")])
    parent_path = resolved.parent / parent_name
    if parent_path.resolve() in (*_seen, resolved):
        raise InputError([problem(label, "extends", "the files extend each other in a loop",
                                  parent_name, "a chain of files that ends")])
    if not parent_path.is_file():
        raise InputError([problem(label, "extends", f"file not found: {parent_path}",
                                  parent_name, "a scenario file, relative to this one")])
    parent = read_raw(parent_path, (*_seen, resolved))
    for key in OWN_KEYS:
        parent.pop(key, None)
    return _merge(parent, data)


def read_spec(path: str | Path) -> tuple[Spec, dict]:
    """Read and validate a scenario file; returns the model and the merged raw dict."""
    raw = read_raw(path)
    return spec_from_dict(raw, str(path)), raw


def spec_from_dict(data: dict, file: str = "<scenario>") -> Spec:
    """Validate a scenario given as a dict (the TOML's structure)."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc.errors(), file)) from None


#: Errors of a union's container branch ("not a list") that a scalar branch explains better.
_CONTAINER_ERRORS = ("list_type", "dict_type")


def _problems(errors: list[dict], file: str) -> list[Problem]:
    """One problem per key: of a union's branches, the one that says the most."""
    found = [(_problem(e, file), e["type"]) for e in errors]
    keys = [p.column or "" for p, _ in found]
    out, seen = [], set()
    for (p, kind), key in zip(found, keys, strict=True):
        same = [k for (q, k), other in zip(found, keys, strict=True) if other == key]
        if kind in _CONTAINER_ERRORS and any(k not in _CONTAINER_ERRORS for k in same):
            continue
        if any(other.startswith((key + "[", key + ".")) for other in keys):
            continue  # a deeper key of the same value names the bad element
        if (key, repr(p.value)) not in seen:
            seen.add((key, repr(p.value)))
            out.append(p)
    return out or [p for p, _ in found[:1]]


# -- pydantic errors as problems --------------------------------------------------------------
def _problem(error: dict, file: str) -> Problem:
    key, model, field, whole = _locate(error["loc"])
    kind = error["type"]
    reason = error["msg"].removeprefix("Value error, ")
    # An error about a whole table (a model validator) says what is accepted in its message.
    accepted = (field.description or "") if field is not None and not whole else ""
    value = error.get("input")
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        allowed = _keys(model) if model is not None else []
        close = difflib.get_close_matches(name, allowed, n=2, cutoff=0.6)
        reason = f"unknown key {name!r}" + (
            f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
        accepted = f"keys: {', '.join(allowed)}" if allowed else ""
        value = None
    elif kind == "missing":
        reason = "required key missing"
        value = None
    elif kind == "union_tag_invalid":
        tags = error.get("ctx", {}).get("expected_tags", "")
        reason = f"unknown measure type {error.get('ctx', {}).get('tag')!r}"
        accepted = f"type = one of {tags}"
        value = None
    elif kind == "union_tag_not_found":
        reason = "a measure needs a type"
        accepted = "type = one of 'prefab', 'rooftop_pv', 'fuel_switch', 'efficiency', " \
                   "'electrification', 'green_power', 'ccus'"
    elif kind == "literal_error" and not accepted:
        accepted = str(error.get("ctx", {}).get("expected", ""))
    if isinstance(value, dict):
        value = None  # a whole table: the key path says which
    return problem(file, key, reason, value, accepted)


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [_strip(m) for m in typing.get_args(tp) if m is not type(None)]
    return [tp]


def _label(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return "literal"
    if origin is not None:
        return getattr(origin, "__name__", str(origin)).lower()
    return getattr(tp, "__name__", str(tp)).lower()


def _pick(members: list[Any], part: object) -> Any | None:
    """The member of a union that a location part names: a measure ``type`` tag, or a pydantic
    label such as ``float`` or ``dict[int,float]``."""
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel) and "type" in m.model_fields:
            literal = typing.get_args(m.model_fields["type"].annotation)
            if part in literal:
                return m
    text = str(part).split("[", 1)[0].lower().removeprefix("constrained-")
    for m in members:
        if _label(m) == text:
            return m
    return None


def _normalise(tp: Any) -> list[Any]:
    """The members a location part may choose between (Annotated and None removed)."""
    members = _members(_strip(tp))
    while len(members) == 1 and _members(_strip(members[0])) != members:
        members = _members(_strip(members[0]))
    return members


def _locate(loc: tuple) -> tuple[str, type[BaseModel] | None, Any, bool]:
    """Key path, owning model and field info of a pydantic error location, and whether the
    location is a whole table."""
    path, tp = "", Spec
    model, field = Spec, None
    for part in loc:
        members = _normalise(tp) if tp is not None else []
        if len(members) > 1:
            picked = _pick(members, part)
            if picked is not None:
                tp = picked
                continue
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            members = models or members
        tp = members[0] if len(members) == 1 else tp
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            model = tp
            name = next((n for n, i in tp.model_fields.items() if part in (n, i.alias)), None)
            if name is None:
                path += f".{part}" if path else str(part)
                field, tp = None, None
                continue
            field = tp.model_fields[name]
            shown = field.alias or name
            path += f".{shown}" if path else shown
            tp = field.annotation
        elif typing.get_origin(tp) is list and isinstance(part, int):
            path += f"[{part + 1}]"
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            if part != "[key]":
                path += f".{part}"
            tp = typing.get_args(tp)[1]
        elif part != "[key]" and not str(part).startswith(("function-", "literal[")):
            path += f".{part}" if path else str(part)
    members = _normalise(tp) if tp is not None else []
    whole = any(isinstance(m, type) and issubclass(m, BaseModel) for m in members)
    return path, model, field, whole
