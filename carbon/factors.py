"""The factor library: loading the tables of ``factors/``, provenance, and resolution.

Each table row is normalised once, at load time, to a float in canonical units (t of gas, GJ or
t C per t, m3, GJ, t*km or m2 of activity), so resolution and the accounting core never touch
pint. Resolution follows DESIGN.md: user rows first, then the profile's tables in order; inside a
table the most specific region and the record's year or the latest earlier one. Two equally
specific rows are an error; so is a missing factor.
"""

from __future__ import annotations

import difflib
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import pandas as pd
import pint

from .errors import ParameterError, one_of
from .resources import data_dir
from .units import CANONICAL_UNITS, dimension_name, gas_symbol, normalise_unit, registry

__all__ = [
    "ENERGY_PARAMETERS",
    "Factor",
    "Library",
    "Profile",
    "library",
    "normalise_factor",
]

#: Parameters that are not gases: energy per activity unit, and the China guideline's parts.
ENERGY_PARAMETERS = ("ncv", "tce")
NON_GAS_PARAMETERS = (*ENERGY_PARAMETERS, "carbon_content", "oxidation")
CONFIDENCE_LABELS = ("read", "derived", "quoted", "recalled")
USER_SET = "user"


@dataclass(frozen=True)
class Factor:
    """One factor row, with its value in canonical units.

    ``canonical`` is in t of gas (or GJ for ``ncv``/``tce``, t C for ``carbon_content``) per
    canonical unit of ``denominator`` (``'mass'`` -> t, ``'volume'`` -> m3, ``'energy'`` -> GJ…).
    """

    factor_id: str
    set: str
    activity: str
    parameter: str
    value: float
    unit: str
    region: str
    year: int | None
    denominator: str | None
    canonical: float
    confidence: str
    note: str = ""
    uncertainty: float | None = None  # half-width of the 95 % interval [%] (user rows)
    scope: int | None = None
    category: str | None = None
    lower: float | None = None  # 95 % bounds [unit], where the source gives them
    upper: float | None = None


@dataclass(frozen=True)
class Profile:
    """Which tables an inventory uses, in priority order, and which gases it counts."""

    name: str
    description: str
    sets: tuple[str, ...]
    market_sets: tuple[str, ...]
    gases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _dimension_of_denominator(quantity: pint.Quantity, numerator: str) -> str | None:
    reg = registry()
    per_unit = reg.Quantity(1, numerator) / quantity
    return dimension_name(per_unit)


def _numerator(parameter: str) -> str:
    if parameter in ENERGY_PARAMETERS:
        return "GJ"
    if parameter == "carbon_content":
        return "t C"
    return f"t {gas_symbol(parameter)}"


def normalise_factor(parameter: str, value: float, unit: str) -> tuple[str | None, float]:
    """Denominator dimension and canonical value of a factor.

    A gas factor whose unit names no gas (``t / t``) is read as a mass of that gas.

    >>> normalise_factor("CO2", 0.5366, "t CO2 / MWh")
    ('energy', 0.14905555555555555)
    >>> normalise_factor("ncv", 389.31, "GJ / (10^4 Nm3)")
    ('volume', 0.038931)
    """
    reg = registry()
    quantity = value * reg.parse_expression(normalise_unit(unit))
    if parameter == "oxidation":
        return None, float(reg.Quantity(quantity).to("dimensionless").magnitude)
    numerator = _numerator(parameter)
    denominator = _dimension_of_denominator(quantity, numerator)
    if denominator is None and parameter not in NON_GAS_PARAMETERS:
        quantity = quantity * reg.Quantity(1, numerator.split()[1])
        denominator = _dimension_of_denominator(quantity, numerator)
    if denominator is None:
        raise ValueError(f"unit {unit!r} is not {numerator.split()[-1]} per mass, volume, energy, "
                         "t*km or m2")
    target = f"{numerator} / ({CANONICAL_UNITS[denominator]})"
    return denominator, float(quantity.to(target).magnitude)


def _optional_float(value: object) -> float | None:
    return None if pd.isna(value) or value == "" else float(value)


def _optional_int(value: object) -> int | None:
    return None if pd.isna(value) or value == "" else int(float(value))


def factor_id(set_name: str, activity: str, parameter: str, region: str, year: int | None) -> str:
    parts = [set_name, activity, parameter] + ([region] if region else []) + (
        [str(year)] if year is not None else [])
    return "/".join(parts)


def _read_table(path: Path) -> list[Factor]:
    set_name = path.stem
    table = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    factors = []
    for row in table.itertuples(index=False):
        region, year = row.region.strip(), _optional_int(row.year)
        denominator, canonical_value = normalise_factor(row.parameter, float(row.value), row.unit)
        factors.append(Factor(
            factor_id=factor_id(set_name, row.activity, row.parameter, region, year),
            set=set_name, activity=row.activity, parameter=row.parameter, value=float(row.value),
            unit=row.unit, region=region, year=year, denominator=denominator,
            canonical=canonical_value, confidence=row.confidence, note=row.note,
            lower=_optional_float(getattr(row, "lower", "")),
            upper=_optional_float(getattr(row, "upper", "")),
        ))
    return factors + _derived_co2(factors)


def _derived_co2(factors: list[Factor]) -> list[Factor]:
    """CO2 per energy = carbon content x oxidation x 44/12, where a table gives the two parts."""
    parts: dict[tuple, dict[str, Factor]] = defaultdict(dict)
    for f in factors:
        parts[(f.set, f.activity, f.region, f.year)][f.parameter] = f
    reg = registry()
    derived = []
    for (set_name, activity, region, year), by_parameter in parts.items():
        if "CO2" in by_parameter or not {"carbon_content", "oxidation"} <= by_parameter.keys():
            continue
        cc, of = by_parameter["carbon_content"], by_parameter["oxidation"]
        per_gj = reg.Quantity(cc.canonical * of.canonical, "t C / GJ").to("t CO2 / GJ").magnitude
        derived.append(Factor(
            factor_id=factor_id(set_name, activity, "CO2", region, year), set=set_name,
            activity=activity, parameter="CO2", value=float(per_gj * 1000), unit="t CO2 / TJ",
            region=region, year=year, denominator=cc.denominator, canonical=float(per_gj),
            confidence="derived",
            note=f"carbon_content {cc.value:g} x oxidation {of.value:g} x 44/12",
        ))
    return derived


class Library:
    """The bundled factor library, plus helpers to look at it.

    Build it with :func:`library` (cached). ``factors`` is the whole library as a DataFrame;
    ``index`` maps (set, activity, parameter) to candidate rows for resolution.
    """

    def __init__(self, root: Path):
        self.root = root
        self.sources: dict[str, dict] = tomllib.loads(
            (root / "sources.toml").read_text(encoding="utf-8"))["tables"]
        self.profiles = self._read_profiles(root / "profiles.toml")
        self.activities = pd.read_csv(root / "activities.csv", dtype=str,
                                      keep_default_na=False).set_index("activity")
        self.regions = pd.read_csv(root / "regions.csv", dtype=str,
                                   keep_default_na=False).set_index("code")
        aliases = pd.read_csv(root / "aliases.csv", dtype=str, keep_default_na=False)
        self.aliases = {kind: dict(zip(group["alias"], group["canonical"], strict=True))
                        for kind, group in aliases.groupby("kind")}
        rows: list[Factor] = []
        for path in sorted(root.glob("*.csv")):
            if path.stem in self.sources and path.stem not in _SPECIAL_TABLES:
                rows += _read_table(path)
        self.rows = rows
        self.index = build_index(rows)

    @cached_property
    def ch4_origins(self) -> dict[str, str]:
        """Activity -> where its methane comes from ("fossil", "non-fossil" or "")."""
        return self.activities["ch4_origin"].to_dict()

    @staticmethod
    def _read_profiles(path: Path) -> dict[str, Profile]:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return {name: Profile(name=name, description=spec["description"], sets=tuple(spec["sets"]),
                              market_sets=tuple(spec.get("market_sets", ())),
                              gases={k: tuple(v) for k, v in spec.get("gases", {}).items()})
                for name, spec in raw.items()}

    @property
    def factors(self) -> pd.DataFrame:
        """Every library row with its source document and confidence."""
        frame = pd.DataFrame([f.__dict__ for f in self.rows])
        frame["year"] = frame["year"].astype("Int64")
        docs = {name: f"{src['document']}, {src['table']} ({src['edition']})"
                for name, src in self.sources.items()}
        frame["source"] = frame["set"].map(docs)
        return frame

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise ParameterError("profile", "account", one_of(self.profiles), name)
        return self.profiles[name]

    @cache  # noqa: B019 - the library is itself cached for the life of the process
    def region_chain(self, region: str | None) -> tuple[str, ...]:
        """Regions to try, most specific first; ``''`` (rows with no region) always last."""
        if not region:
            return ("CN", "")
        chain = [region]
        while parent := self.regions.at[chain[-1], "parent"]:
            chain.append(parent)
        return (*chain, "")

    def activity_keys(self) -> list[str]:
        return list(self.activities.index)

    def canonical_activity(self, name: str) -> str | None:
        """Library key of an activity name, a Chinese alias, or None."""
        name = str(name).strip()
        if name in self.activities.index:
            return name
        if name in self.aliases.get("activity", {}):
            return self.aliases["activity"][name]
        return self._folded_keys().get(name.lower().replace(" ", "_").replace("-", "_"))

    @cache  # noqa: B019 - the library is itself cached for the life of the process
    def _folded_keys(self) -> dict[str, str]:
        return {k.lower().replace("-", "_"): k for k in self.activities.index}

    def suggest(self, name: str, choices: list[str], n: int = 3) -> str:
        close = difflib.get_close_matches(str(name), choices, n=n, cutoff=0.4)
        return ", ".join(close) if close else ", ".join(choices[:n])


_SPECIAL_TABLES = {"gwp-ar6-methane-origin"}


def build_index(rows: list[Factor]) -> dict[tuple[str, str, str], list[Factor]]:
    index: dict[tuple[str, str, str], list[Factor]] = defaultdict(list)
    for f in rows:
        index[(f.set, f.activity, f.parameter)].append(f)
    return dict(index)


@cache
def library() -> Library:
    """The bundled factor library, read once per process."""
    return Library(data_dir("factors"))


def user_factor(row: dict, position_label: str) -> Factor:
    """A user factor row as a :class:`Factor` of the ``user`` set (validated by the caller)."""
    region, year = row.get("region") or "", _optional_int(row.get("year"))
    denominator, canonical_value = normalise_factor(row["parameter"], float(row["value"]),
                                                    row["unit"])
    return Factor(
        factor_id=f"{factor_id(USER_SET, row['activity'], row['parameter'], region, year)} "
        f"({position_label})",
        set=USER_SET, activity=row["activity"], parameter=row["parameter"],
        value=float(row["value"]), unit=row["unit"], region=region, year=year,
        denominator=denominator, canonical=canonical_value, confidence="user",
        note=str(row.get("source") or ""), uncertainty=_optional_float(row.get("uncertainty")),
        scope=_optional_int(row.get("scope")), category=row.get("category") or None,
    )
