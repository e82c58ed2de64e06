"""Targets as data: reading a targets file (TOML) and checking each target against the data.

A targets file names the plan it transcribes and lists ``[[target]]`` blocks of three kinds::

    name = "14th Five-Year Plan (2021-2025)"
    source = "Outline of the 14th Five-Year Plan, 2021, Table 1"

    [[target]]                       # a relative change over a period
    indicator = "tce_per_value_added"
    change = -0.135                  # -13.5 % from `from` to `to`
    from = 2020
    to = 2025
    reference = 0.042                # optional: the value in `from` [indicator unit]

    [[target]]                       # a cap, in one year or every year of a period
    indicator = "energy_tce"
    cap = 110000
    unit = "tce"                     # optional: 万tce, t CO2e, 万t CO2e, tce / 10^4 CNY...
    year = 2025                      # or from = ... and to = ...

    [[target]]                       # a floor (non-fossil share)
    indicator = "non_fossil_share_equal_value"
    floor = 0.25

Indicators are those of :mod:`carbon.analytics.dual_control` (and the aliases of
:data:`ALIASES`).

**Pro-rating.** When a change target's period reaches beyond the data, the target is compared
with the part the data cover: its average annual rate ``r = (1 + change)^(1 / (to - from)) - 1``
compounded over the years assessed (``prorate = "compound"``, the default), or the change
shared out evenly over the years (``prorate = "linear"``). When the ``from`` year has no data
and no ``reference`` is given, the assessment starts at the first year with data. A cap whose
year is after the data is compared with the latest year and reported as on or off track,
``met`` left empty: it is not due yet.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pint

from ..errors import InputError, Problem
from ..units import normalise_unit, registry
from .dual_control import INDICATORS
from .money import to_value_added_unit

__all__ = ["ALIASES", "Target", "TargetSet", "check_targets", "read_targets", "target_path"]

#: Friendlier names for indicators in a targets file.
ALIASES = {
    "energy": "energy_tce",
    "energy_intensity": "tce_per_value_added",
    "carbon_intensity": "co2e_per_value_added",
    "co2_intensity": "co2e_per_value_added",
    "emissions": "co2e",
    "non_fossil": "non_fossil_share_equal_value",
}
CHECKABLE = tuple(i for i in INDICATORS if i not in ("value_added", "output"))
PRORATE = ("compound", "linear")
_KEYS = {"name", "indicator", "change", "from", "to", "reference", "cap", "floor", "year",
         "unit", "source", "note", "prorate"}
_FILE_KEYS = {"name", "title", "source", "description", "prorate", "target"}
_YEARS = (1990, 2100)


@dataclass(frozen=True)
class Target:
    """One target: ``kind`` is 'change', 'cap' or 'floor'; values in the indicator's unit."""

    name: str
    indicator: str
    kind: str
    value: float
    start: int | None
    end: int | None
    reference: float | None = None
    prorate: str = "compound"
    source: str = ""


@dataclass(frozen=True)
class TargetSet:
    """The targets of one file, with the plan's name and source."""

    name: str
    source: str
    targets: tuple[Target, ...]


class _Reader:
    """Collects problems of a targets file with the line each key is on."""

    def __init__(self, label: str, text: str):
        self.label, self.lines = label, text.splitlines()
        self.problems: list[Problem] = []

    def line(self, block: int | None, key: str | None) -> int | None:
        """Line (1-based) of ``key`` in the ``block``-th [[target]] (1-based), if found."""
        start, stop = 0, len(self.lines)
        if block is not None:
            headers = [i for i, t in enumerate(self.lines)
                       if re.match(r"\s*\[\[\s*target\s*\]\]", t)]
            if len(headers) < block:
                return None
            start = headers[block - 1]
            later = [i for i, t in enumerate(self.lines) if i > start and re.match(r"\s*\[", t)]
            stop = later[0] if later else len(self.lines)
            if key is None:
                return start + 1
        elif key is not None:
            first = [i for i, t in enumerate(self.lines) if re.match(r"\s*\[", t)]
            stop = first[0] if first else len(self.lines)
        for i in range(start, stop):
            if key is not None and re.match(rf"\s*{re.escape(key)}\s*=", self.lines[i]):
                return i + 1
        return None

    def add(self, block: int | None, key: str | None, reason: str, value: object = None,
            accepted: str = "") -> None:
        column = (f"target[{block}]" if block is not None else "") + (
            f".{key}" if block is not None and key else (key or ""))
        self.problems.append(Problem("target", reason, file=self.label,
                                     row=self.line(block, key), column=column or None,
                                     value=value, accepted=accepted))


def read_targets(source) -> TargetSet:
    """Read a targets file (path), TOML text, or an already parsed dict.

    Raises :class:`~carbon.errors.InputError` naming the file, line (``row``), key
    (``column``, as ``target[2].change``), value and what is accepted.
    """
    if isinstance(source, TargetSet):
        return source
    if isinstance(source, dict):
        data, label, text = source, "<targets>", ""
    else:
        path = Path(source)
        label = path.name
        if not path.is_file():
            raise InputError([Problem("file", f"no such targets file: {path}", file=str(path),
                                      accepted="a TOML file of [[target]] blocks")])
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            raise InputError([Problem("syntax", f"not UTF-8 text ({exc.reason})", file=label,
                                      accepted="a UTF-8 TOML file")]) from None
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise InputError([Problem("syntax", f"not valid TOML: {exc}", file=label,
                                      row=int(line.group(1)) if line else None,
                                      accepted="TOML 1.0 with [[target]] blocks")]) from None
    reader = _Reader(label, text)
    for key in sorted(set(data) - _FILE_KEYS):
        reader.add(None, key, f"unknown key {key!r}", accepted=", ".join(sorted(_FILE_KEYS)))
    default_prorate = data.get("prorate", "compound")
    if default_prorate not in PRORATE:
        reader.add(None, "prorate", "unknown pro-rating", default_prorate, " or ".join(PRORATE))
    blocks = data.get("target", [])
    if not isinstance(blocks, list) or not blocks or not all(isinstance(b, dict) for b in blocks):
        reader.add(None, "target", "no [[target]] blocks", accepted="at least one [[target]] "
                   "block with an indicator and one of change, cap or floor")
        raise InputError(reader.problems)
    targets = [_target(reader, i + 1, block, default_prorate) for i, block in enumerate(blocks)]
    if reader.problems:
        raise InputError(reader.problems)
    return TargetSet(str(data.get("name") or data.get("title") or label),
                     str(data.get("source", "")), tuple(t for t in targets if t is not None))


def _number(reader: _Reader, block: int, spec: dict, key: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        reader.add(block, key, "not a number", value, "a number")
        return None
    return float(value)


def _year(reader: _Reader, block: int, spec: dict, key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (
            _YEARS[0] <= value <= _YEARS[1]):
        reader.add(block, key, "not a year", value, f"a whole year from {_YEARS[0]} to "
                   f"{_YEARS[1]}")
        return None
    return value


def _target(reader: _Reader, block: int, spec: dict, default_prorate: str) -> Target | None:
    before = len(reader.problems)
    for key in sorted(set(spec) - _KEYS):
        reader.add(block, key, f"unknown key {key!r}", accepted=", ".join(sorted(_KEYS)))
    indicator = ALIASES.get(str(spec.get("indicator", "")), spec.get("indicator"))
    if indicator not in CHECKABLE:
        reader.add(block, "indicator", "unknown indicator", spec.get("indicator"),
                   ", ".join(CHECKABLE) + " (or " + ", ".join(ALIASES) + ")")
    kinds = [k for k in spec if k in ("change", "cap", "floor")]  # in the order written
    if len(kinds) != 1:
        reader.add(block, kinds[1] if len(kinds) > 1 else None,
                   "give exactly one of change, cap or floor", ", ".join(kinds) or None,
                   "change (a fraction, -0.135 for -13.5 %), cap or floor")
    kind = kinds[0] if kinds else "change"
    value = _number(reader, block, spec, kind) if kinds else None
    start, end = _year(reader, block, spec, "from"), _year(reader, block, spec, "to")
    year = _year(reader, block, spec, "year")
    reference = _number(reader, block, spec, "reference")
    prorate = spec.get("prorate", default_prorate)
    if prorate not in PRORATE:
        reader.add(block, "prorate", "unknown pro-rating", prorate, " or ".join(PRORATE))
    if kind == "change":
        if start is None or end is None:
            reader.add(block, "from" if start is None else "to", "a change target needs "
                       "from and to", accepted="from = 2020 and to = 2025")
        elif end <= start:
            reader.add(block, "to", "must be after from", end, f"a year after {start}")
        if value is not None and value <= -1:
            reader.add(block, "change", "a change of -100 % or less", value,
                       "a fraction above -1 (-0.135 for -13.5 %)")
        if reference is not None and reference <= 0:
            reader.add(block, "reference", "not positive", reference, "a value > 0")
        if year is not None:
            reader.add(block, "year", "a change target has from and to, not year", year)
    else:
        if year is not None and (start is not None or end is not None):
            reader.add(block, "year", "give year, or from and to, not both", year)
        elif year is not None:
            start = end = year
        elif start is not None and end is not None and end < start:
            reader.add(block, "to", "before from", end, f"{start} or later")
        elif (start is None) != (end is None):
            reader.add(block, "to" if end is None else "from", "give both from and to")
        if reference is not None:
            reader.add(block, "reference", "only a change target has a reference", reference)
        if value is not None and value < 0:
            reader.add(block, kind, "negative", value, "a value >= 0")
        if value is not None and "unit" in spec and indicator in CHECKABLE:
            value = _convert(reader, block, value, str(spec["unit"]), indicator)
    if len(reader.problems) > before or value is None:
        return None
    name = str(spec.get("name") or _default_name(indicator, kind, value, start, end))
    return Target(name, indicator, kind, value, start, end, reference, prorate,
                  str(spec.get("source", "")))


def _default_name(indicator: str, kind: str, value: float, start, end) -> str:
    if kind == "change":
        return f"{indicator} {value:+.1%} {start}–{end}"
    span = "every year" if start is None else (str(start) if start == end else f"{start}–{end}")
    return f"{indicator} {kind} {value:g} ({span})"


def _convert(reader: _Reader, block: int, value: float, unit: str, indicator: str
             ) -> float | None:
    """``value`` [``unit``] in the indicator's unit (INDICATORS), through the registries."""
    target = INDICATORS[indicator][0]
    try:
        if target == "fraction":
            text = unit.strip()
            if text in ("%", "percent"):
                return value / 100
            if text in ("", "1", "fraction"):
                return value
            raise ValueError(unit)
        numerator, _, denominator = unit.partition("/")
        want_num, _, want_den = target.partition("/")
        if bool(denominator.strip()) != bool(want_den.strip()):
            raise ValueError(unit)
        factor = float((registry().parse_expression(normalise_unit(numerator.strip())))
                       .to(normalise_unit(want_num.strip())).magnitude)
        if want_den.strip():
            if "output" in want_den:
                raise ValueError(unit)
            factor /= to_value_added_unit(denominator.strip())
        return value * factor
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
        reader.add(block, "unit", f"not a unit of {indicator}", unit,
                   f"a unit convertible to {target}")
        return None


# -- checking ---------------------------------------------------------------------------------
def _annual_rate(change: float, years: int) -> float:
    return (1.0 + change) ** (1.0 / years) - 1.0


def _prorated(target: Target, span: int) -> float:
    full = target.end - target.start
    if span == full:
        return target.value
    if target.prorate == "linear":
        return target.value * span / full
    return (1.0 + _annual_rate(target.value, full)) ** span - 1.0


def target_path(target: Target, start_year: int, start_value: float, years) -> np.ndarray:
    """The target's allowed value in each of ``years`` from ``start_value`` in ``start_year``
    (a change target's trajectory, for charts) [indicator unit]."""
    years = np.asarray(years, dtype=float)
    full = target.end - target.start
    if target.prorate == "linear":
        return start_value * (1.0 + target.value * (years - start_year) / full)
    return start_value * (1.0 + _annual_rate(target.value, full)) ** (years - start_year)


def check_targets(targets: TargetSet, values: pd.DataFrame) -> pd.DataFrame:
    """Each target met or missed, with the margin (positive: better than the target).

    Parameters
    ----------
    targets : TargetSet
    values : DataFrame
        Indicators per year (index year), as :func:`~carbon.analytics.dual_control.
        indicator_values` gives them.

    Returns
    -------
    DataFrame
        One row per target (a cap over several years: one row per year with data):
        ``target``, ``indicator``, ``unit``, ``kind``, ``from``, ``to``, ``assessed_from``,
        ``assessed_to``, ``start_value``, ``target_value`` (the change, pro-rated where
        needed, or the cap/floor), ``limit`` [unit], ``actual`` [unit], ``actual_change``,
        ``margin`` [unit], ``met`` (True, False, or None when not due or not computable),
        ``status``, ``basis`` (how it was assessed, incl. pro-rating).
    """
    rows = []
    for target in targets.targets:
        if target.kind == "change":
            rows.append(_check_change(target, values))
        else:
            rows += _check_bound(target, values)
    columns = ["target", "indicator", "unit", "kind", "from", "to", "assessed_from",
               "assessed_to", "start_value", "target_value", "limit", "actual",
               "actual_change", "margin", "met", "status", "basis"]
    out = pd.DataFrame(rows, columns=columns)
    out["met"] = out["met"].astype(object)
    return out


def _base_row(target: Target) -> dict:
    return {"target": target.name, "indicator": target.indicator,
            "unit": INDICATORS[target.indicator][0], "kind": target.kind,
            "from": target.start, "to": target.end, "assessed_from": None,
            "assessed_to": None, "start_value": np.nan, "target_value": target.value,
            "limit": np.nan, "actual": np.nan, "actual_change": np.nan, "margin": np.nan,
            "met": None}


def _value(values: pd.DataFrame, indicator: str, year: int) -> float:
    if year not in values.index:
        return float("nan")
    return float(values.at[year, indicator])


def _check_change(target: Target, values: pd.DataFrame) -> dict:
    row = _base_row(target)
    years = sorted(int(y) for y in values.index)
    lower = INDICATORS[target.indicator][1]
    if target.reference is not None:
        start, start_value, how = target.start, target.reference, (
            f"from the reference value {target.reference:g} given for {target.start}")
    elif target.start in years:
        start, start_value, how = target.start, _value(values, target.indicator,
                                                       target.start), f"from {target.start}"
    else:
        later = [y for y in years if target.start < y <= target.end]
        start = later[0] if later else None
        start_value = _value(values, target.indicator, start) if start else float("nan")
        how = (f"measured from {start}, the first year with data ({target.start}, the "
               "target's start, has none and no reference value is given)" if start else "")
    within = [y for y in years if start is not None and start < y <= target.end]
    if start is None or not within:
        return {**row, "status": "not assessable",
                "basis": f"the data ({years[0] if years else '-'}–{years[-1] if years else '-'})"
                f" do not cover two years of {target.start}–{target.end}"}
    end = within[-1]
    span, full = end - start, target.end - target.start
    prorated = _prorated(target, span)
    if span == full:
        basis = f"{how} to {end}: the full period"
    else:
        rate = _annual_rate(target.value, full)
        basis = (f"{how} to {end}, the latest year with data: {span} of the target's "
                 f"{full} years, so the target is pro-rated " + (
                     f"linearly: {target.value:+.2%} × {span}/{full} = {prorated:+.2%}"
                     if target.prorate == "linear" else
                     f"at its average annual rate (1 {'−' if target.value < 0 else '+'} "
                     f"{abs(target.value):.4g})^(1/{full}) − 1 = "
                     f"{rate:+.3%}/yr, compounded over {span} years = {prorated:+.2%}"))
    actual = _value(values, target.indicator, end)
    limit = start_value * (1.0 + prorated)
    row.update({"assessed_from": start, "assessed_to": end, "start_value": start_value,
                "target_value": prorated, "limit": limit, "actual": actual,
                "actual_change": actual / start_value - 1.0 if start_value else np.nan})
    if math.isnan(actual) or math.isnan(start_value):
        return {**row, "status": "not computable", "basis": basis + "; a value is not known"}
    margin = (limit - actual) if lower else (actual - limit)
    met = bool(margin >= -1e-12 * max(abs(limit), 1.0))
    status = ("met" if met else "missed") + (" (pro-rated)" if span != full else "")
    return {**row, "margin": margin, "met": met, "status": status, "basis": basis}


def _check_bound(target: Target, values: pd.DataFrame) -> list[dict]:
    years = sorted(int(y) for y in values.index)
    if target.start is None:
        due = years
    else:
        due = [y for y in years if target.start <= y <= target.end]
    cap = target.kind == "cap"
    limit_word = "cap" if cap else "floor"
    rows = []
    if not due:
        later = target.start is not None and years and target.start > years[-1]
        if not later:
            return [{**_base_row(target), "status": "not assessable",
                     "basis": f"no data in {target.start}–{target.end}"}]
        due, pending = [years[-1]], True
    else:
        pending = False
    for year in due:
        actual = _value(values, target.indicator, year)
        margin = (target.value - actual) if cap else (actual - target.value)
        row = {**_base_row(target), "assessed_from": year, "assessed_to": year,
               "limit": target.value, "actual": actual}
        if math.isnan(actual):
            rows.append({**row, "status": "not computable", "basis": f"{year}: not known"})
            continue
        ok = bool(margin >= -1e-12 * max(abs(target.value), 1.0))
        if pending:
            span = (f"{target.start}" if target.start == target.end
                    else f"{target.start}–{target.end}")
            rows.append({**row, "margin": margin, "met": None,
                         "status": "on track" if ok else "off track",
                         "basis": f"the {limit_word} applies in {span}, after the data: "
                         f"{year}, the latest year, is compared with it (not due yet)"})
        else:
            rows.append({**row, "margin": margin, "met": ok, "status": "met" if ok else "missed",
                         "basis": f"{year} against the {limit_word}"})
    return rows
