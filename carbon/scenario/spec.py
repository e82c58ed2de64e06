"""The scenario file: pydantic models of its keys and the JSON Schema they give.

A scenario file is TOML (see ``scenarios/`` for commented examples). Its tables:

``[base]``         the base year: an inventory (activity files, through :func:`carbon.account`)
                   or ``[[base.sectors]]`` rows of sector totals
``[[growth]]``     activity growth per sector (and carrier): a rate, rates per period or a series
``[[intensity]]``  energy-intensity change per sector and carrier, same forms
``[[factors]]``    emission-factor paths per carrier (the grid path), absolute or as an index
``[construction]`` new floor area per year x embodied intensity per m²: a sector of its own
``[economy]``      value added and its growth, for "dual control" intensities
``[[measures]]``   measures, applied in the order written, each with a start year and a ramp
``[targets]``      peak year, caps and intensity targets
``[costs]``        discount rate, horizon and MACC settings (measures carry capex, opex...)
``[optimize]``     budget and targets of the least-cost pathway (``--optimize``)
``[uncertainty]``  distributions of drivers and measure parameters (``--monte-carlo``)

Units are in every key's description (and so in ``parkcarbon scenario --schema``); rates and
shares are fractions (0.05 = 5 %).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "CARRIERS",
    "DIRECT_CARRIERS",
    "ENERGY_CARRIERS",
    "MEASURE_TYPES",
    "SCOPE_OF_CARRIER",
    "Base",
    "BaseRow",
    "Construction",
    "Costs",
    "Distribution",
    "Driver",
    "Economy",
    "FactorPath",
    "Optimize",
    "Spec",
    "Uncertainty",
    "json_schema",
]

#: Energy carriers: activity in tce (equivalent value), emissions = activity x factor.
ENERGY_CARRIERS = ("electricity", "heat", "solid", "liquid", "gas", "hydrogen", "biomass")
#: Other emission sources: activity is an index of the base-year emissions (t CO2e), except
#: ``embodied`` (construction), whose activity is new floor area [m²].
OTHER_CARRIERS = ("process", "fugitive", "embodied_materials", "freight", "embodied", "other")
CARRIERS = ENERGY_CARRIERS + OTHER_CARRIERS
#: Carriers whose CO2 is direct (Scope 1) and so can be captured.
DIRECT_CARRIERS = ("solid", "liquid", "gas", "hydrogen", "biomass", "process", "other")
SCOPE_OF_CARRIER = {"electricity": 2, "heat": 2, "solid": 1, "liquid": 1, "gas": 1,
                    "hydrogen": 1, "biomass": 1, "process": 1, "fugitive": 1,
                    "embodied_materials": 3, "freight": 3, "embodied": 3}
_FUELS = ("solid", "liquid", "gas")


def _carrier_alias(value):
    """Chinese carrier names (电力, 热力…) from the factor library's aliases."""
    if isinstance(value, str) and value not in CARRIERS:
        from ..factors import library

        return library().aliases.get("carrier", {}).get(value.strip(), value.strip())
    return value


def _as_list(value):
    return [value] if isinstance(value, str) else value


Carrier = Annotated[Literal[CARRIERS], BeforeValidator(_carrier_alias)]  # type: ignore[valid-type]
Year = Annotated[int, Field(ge=1990, le=2100)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Rate = Annotated[float, Field(gt=-1.0, lt=1.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Series = Annotated[dict[Year, Annotated[float, Field(allow_inf_nan=False)]],
                   Field(min_length=1)]
NonNegativeSeries = Annotated[dict[Year, NonNegative], Field(min_length=1)]
# One name or a list of names (the JSON Schema says both; the model always holds a list).
_Name = Annotated[str, Field(min_length=1)]
Names = Annotated[Annotated[list[_Name], Field(min_length=1)] | _Name, AfterValidator(_as_list)]
Carriers = Annotated[Annotated[list[Carrier], Field(min_length=1)] | Carrier,
                     AfterValidator(_as_list)]

_RATE = "yearly change as a fraction (0.05 = +5 %/yr, -0.02 = -2 %/yr), between -1 and 1"
_RATES = ("rate per period: {first year of the period = rate, ...}; each rate applies from its "
          "year until the next one")
_SERIES = ("explicit values {year = value, ...}, linear between given years, flat after the last; "
           "any unit (an index or absolute figures): divided by the base-year value, which must "
           "be given")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Selector(_Model):
    """Which emissions a driver, factor path or measure acts on (all given conditions apply)."""

    sector: Names | None = Field(None, description="sector name(s), as in the inventory's "
                                 "facilities table or [[base.sectors]]")
    carrier: Carriers | None = Field(None, description=f"carrier(s): one of {CARRIERS}")
    facilities: Names | None = Field(None, description="facility id(s); their emissions are "
                                     "kept apart from the rest of their sector")


class _Rates(_Model):
    rate: Rate | None = Field(None, description=_RATE)
    rates: dict[Year, Rate] | None = Field(None, description=_RATES, min_length=1)
    series: Series | None = Field(None, description=_SERIES)

    def _given(self) -> list[str]:
        return [k for k in ("rate", "rates", "series") if getattr(self, k) is not None]


class Driver(Selector, _Rates):
    """A growth or intensity driver: exactly one of ``rate``, ``rates``, ``series``.

    For a column (sector x carrier), the most specific matching driver applies (facilities >
    sector > carrier > none); drivers never touch the construction sector.
    """

    @model_validator(mode="after")
    def _one_form(self):
        if len(self._given()) != 1:
            raise ValueError("give exactly one of rate, rates, series"
                             + (f" (got {', '.join(self._given())})" if self._given() else ""))
        return self


class FactorPath(_Model):
    """An emission-factor path for one carrier: ``values`` with a ``unit``, or an ``index``."""

    carrier: Carrier = Field(description=f"the carrier: one of {CARRIERS}")
    sector: Names | None = Field(None, description="sector name(s); default: every sector")
    facilities: Names | None = Field(None, description="facility id(s); default: all")
    values: Series | None = Field(None, description="absolute factors {year = value} in `unit`, "
                                  "linear between given years, flat outside; used from the year "
                                  "after the base year (the base year keeps its inventory "
                                  "factor); need not fall every year")
    unit: str | None = Field(None, description="unit of `values`: t CO2/MWh, kg CO2/kWh, "
                             "t CO2e/MWh (electricity); t CO2/GJ, t CO2/tce (fuels, heat); "
                             "kg CO2e/m2 (embodied)")
    index: Series | None = Field(None, description="factor relative to the base year "
                                 "{year = value}: divided by its base-year value (which must be "
                                 "given) and multiplied into each column's base-year factor")

    @model_validator(mode="after")
    def _one_form(self):
        if (self.values is None) == (self.index is None):
            raise ValueError("give exactly one of values (with unit) or index")
        if self.values is not None and self.unit is None:
            raise ValueError("values need a unit, e.g. unit = \"t CO2/MWh\"")
        return self


class BaseRow(_Model):
    """A sector total of the base year, given in the file."""

    sector: str = Field(min_length=1, description="sector name")
    carrier: Carrier = Field("other", description=f"one of {CARRIERS}; 'other' for a total "
                             "with no carrier (its scope from `scope`)")
    facility: str | None = Field(None, description="facility id, to keep a facility apart "
                                 "from the rest of its sector (for a measure's target)")
    scope: Literal[1, 2, 3] | None = Field(None, description="1, 2 or 3; set by the carrier "
                                           "except for 'other' (default 1)")
    co2e: NonNegative = Field(description="base-year emissions [t CO2e]")
    tce: NonNegative | None = Field(None, description="base-year energy use [tce, equivalent "
                                    "value]; required for energy carriers unless mwh/gj")
    mwh: NonNegative | None = Field(None, description="electricity use [MWh], instead of tce")
    gj: NonNegative | None = Field(None, description="heat use [GJ], instead of tce")
    co2_share: Fraction | None = Field(None, description="share of co2e that is CO2 (what CCUS "
                                       "can capture); default 1 for direct carriers, else 0")

    @model_validator(mode="after")
    def _energy(self):
        given = [k for k in ("tce", "mwh", "gj") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of tce, mwh, gj (got {', '.join(given)})")
        if self.mwh is not None and self.carrier != "electricity":
            raise ValueError("mwh is for carrier = \"electricity\"; use tce")
        if self.gj is not None and self.carrier != "heat":
            raise ValueError("gj is for carrier = \"heat\"; use tce")
        if self.carrier in ENERGY_CARRIERS and not given:
            raise ValueError(f"an energy carrier ({self.carrier}) needs its energy use: tce"
                             + (" or mwh" if self.carrier == "electricity" else "")
                             + (" or gj" if self.carrier == "heat" else ""))
        if self.carrier == "embodied":
            raise ValueError("construction is set in [construction], not in [[base.sectors]]")
        fixed = SCOPE_OF_CARRIER.get(self.carrier)
        if fixed is not None and self.scope is not None and self.scope != fixed:
            raise ValueError(f"carrier {self.carrier} is scope {fixed}, not {self.scope}")
        return self


class Base(_Model):
    """The base year: an inventory from activity files, or sector totals."""

    year: Year | None = Field(None, description="base year; default: the inventory's latest "
                              "year (required with [[base.sectors]])")
    activities: str | None = Field(None, description="activity records (.csv, .xlsx, .parquet), "
                                   "relative to this TOML file")
    facilities: str | None = Field(None, description="facilities table (sector, region, "
                                   "value_added), relative to this TOML file")
    transfers: str | None = Field(None, description="intra-park energy sales, relative to this "
                                  "TOML file")
    factors: str | None = Field(None, description="user factor table, relative to this TOML file")
    profile: str = Field("cn", description="factor profile: cn, ipcc2006, or one added to "
                         "factors/profiles.toml (checked when the base year is accounted)")
    gwp: Literal["AR4", "AR5", "AR6"] = Field("AR5", description="GWP100 set: AR4, AR5 or AR6")
    sectors: list[BaseRow] | None = Field(None, description="sector totals of the base year, "
                                          "instead of activities")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.activities is None) == (self.sectors is None):
            raise ValueError("give either activities (an inventory) or [[base.sectors]] rows")
        if self.sectors is not None:
            if self.year is None:
                raise ValueError("[[base.sectors]] needs the base year: year = 2023")
            extra = [k for k in ("facilities", "transfers", "factors")
                     if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)} go with activities, not [[base.sectors]]")
        return self


class Economy(_Rates):
    """Value added, for carbon and energy intensities ("dual control")."""

    value_added: Positive | None = Field(None, description="base-year value added, in `unit`; "
                                         "default: the facilities table's value_added sum")
    unit: str = Field("10^4 CNY", description="unit of value added (default 10^4 CNY, 万元)")

    @model_validator(mode="after")
    def _one_form(self):
        if len(self._given()) > 1:
            raise ValueError(f"give at most one of rate, rates, series "
                             f"(got {', '.join(self._given())})")
        return self


class Construction(_Model):
    """Construction as a sector of its own: new floor area x embodied intensity (Scope 3)."""

    sector: str = Field("construction", min_length=1, description="sector name of construction")
    floor_area: NonNegative | NonNegativeSeries = Field(
        description="new floor area per year [m²/yr]: one number, or {year = m², ...} (linear "
                    "between given years, flat outside)")
    embodied: NonNegative | NonNegativeSeries = Field(
        description="embodied (materialisation-stage) emissions per m² of new floor area "
                    "[kg CO2e/m²]: one number or {year = value, ...}")


# -- measures ---------------------------------------------------------------------------------
Ramp = Literal["linear", "s-curve", "step"] | dict[Year, Fraction]


class _Measure(_Model):
    name: str | None = Field(None, description="label in tables and charts (default: the type)")
    start: Year | None = Field(None, description="first year with an effect (after the base "
                               "year); not with a ramp table")
    full: Year | None = Field(None, description="year the full effect is reached (default: "
                              "start); not with a ramp table")
    ramp: Ramp = Field("linear", description="'linear', 's-curve', 'step', or a table "
                       "{year = fraction of the full effect}")
    target: Selector | None = Field(None, description="what the measure acts on: sector, "
                                    "carrier, facilities (default: see the measure type)")
    enabled: bool = Field(True, description="false to keep the measure in the file but skip it")
    # -- costs (parkcarbon macc, scenario --optimize) -----------------------------------------
    capex: NonNegative | None = Field(None, description="investment for the measure at full "
                                      "size [CNY]; annualised with the capital recovery factor "
                                      "over `lifetime` at `discount_rate`")
    opex: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="operation and maintenance at full effect [CNY/yr]; negative for a "
        "net saving")
    savings: NonNegative | None = Field(None, description="costs saved at full effect, such as "
                                        "energy not bought [CNY/yr]; subtracted from the cost")
    lifetime: Positive | None = Field(None, description="economic lifetime [yr]: the capital "
                                      "is charged (and renewed) every year of the horizon")
    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] | None = Field(
        None, description="discount rate [fraction/yr]; default: [costs] discount_rate")
    binary: bool = Field(False, description="all-or-nothing for --optimize: level 0 or 1, "
                         "never in between")
    min_level: Fraction = Field(0.0, description="least level --optimize may choose (1 = "
                                "the measure as written is a given)")
    max_level: Fraction = Field(1.0, description="highest level --optimize may choose, as a "
                                "fraction of the measure as written (an adoption limit)")

    @model_validator(mode="after")
    def _costs(self):
        if self.capex and self.lifetime is None:
            raise ValueError("capex needs lifetime (years) to be annualised")
        if self.min_level > self.max_level:
            raise ValueError(f"min_level ({self.min_level}) is above max_level "
                             f"({self.max_level})")
        return self

    @property
    def has_costs(self) -> bool:
        """True when any cost field is given."""
        return any(getattr(self, k) is not None for k in ("capex", "opex", "savings"))

    @model_validator(mode="after")
    def _timing(self):
        if isinstance(self.ramp, dict):
            if self.start is not None or self.full is not None:
                raise ValueError("a ramp table sets the years itself: drop start and full")
        elif self.start is None:
            raise ValueError("give start (the first year with an effect) or a ramp table")
        elif self.full is not None and self.full < self.start:
            raise ValueError(f"full ({self.full}) is before start ({self.start})")
        return self

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


class Prefab(_Measure):
    """Prefabricated construction: the prefab share of new floor area x a saving rate, applied
    to the construction (materialisation) stage only."""

    type: Literal["prefab"]
    share: Fraction = Field(description="prefabricated share of new floor area at full effect")
    baseline_share: Fraction = Field(0.0, description="prefab share already in the base year "
                                     "(the embodied intensity is taken to include it)")
    saving: Fraction | str = Field("literature", description="saving in embodied emissions of "
                                   "a prefabricated building vs cast-in-place, as a fraction, or a "
                                   "named preset: 'literature' (0.10, range 0.05-0.20), "
                                   "'pingshan' (0.45, the reported '>45 %'), 'none'")

    @field_validator("saving")
    @classmethod
    def _preset(cls, value):
        if isinstance(value, str):
            from .presets import presets

            if value not in presets("prefab_saving"):
                raise ValueError(f"unknown saving preset {value!r}; presets: "
                                 f"{', '.join(presets('prefab_saving'))}, or a fraction")
        return value

    @model_validator(mode="after")
    def _shares(self):
        if self.share < self.baseline_share:
            raise ValueError(f"share ({self.share}) is below baseline_share "
                             f"({self.baseline_share}): the measure would raise emissions")
        return self


class RooftopPV(_Measure):
    """Rooftop PV: MWh per year that displace grid electricity."""

    type: Literal["rooftop_pv"]
    mwh: Positive | None = Field(None, description="generation at full effect [MWh/yr]")
    capacity_mw: Positive | None = Field(None, description="installed capacity [MW], with hours")
    hours: Positive | None = Field(None, le=8760, description="full-load hours [h/yr] "
                                   "(about 1000-1200 h in Guangdong)")

    @model_validator(mode="after")
    def _generation(self):
        if (self.mwh is None) == (self.capacity_mw is None):
            raise ValueError("give mwh, or capacity_mw with hours")
        if self.capacity_mw is not None and self.hours is None:
            raise ValueError("capacity_mw needs hours (full-load hours per year)")
        return self

    @property
    def generation(self) -> float:
        """Generation at full effect [MWh/yr]."""
        return self.mwh if self.mwh is not None else self.capacity_mw * self.hours


class FuelSwitch(_Measure):
    """Fuel switching: a share of one carrier's energy moves to another."""

    type: Literal["fuel_switch"]
    from_: Carrier = Field(alias="from", description="carrier switched from (solid, liquid, "
                           "gas, heat...)")
    to: Carrier = Field(description="carrier switched to (gas, electricity, hydrogen...)")
    share: Fraction = Field(description="share of the `from` carrier's energy switched at full "
                            "effect")
    ratio: Positive = Field(1.0, description="tce of `to` needed per tce of `from` replaced "
                            "(equivalent value; 1 = same energy)")

    @model_validator(mode="after")
    def _carriers(self):
        for key in ("from_", "to"):
            if getattr(self, key) not in ENERGY_CARRIERS:
                raise ValueError(f"{key.rstrip('_')} must be an energy carrier "
                                 f"{ENERGY_CARRIERS}, not {getattr(self, key)!r}")
        if self.from_ == self.to:
            raise ValueError("from and to are the same carrier")
        return self


class Efficiency(_Measure):
    """Energy efficiency: an intensity cut on the targeted activity."""

    type: Literal["efficiency"]
    cut: Fraction = Field(description="cut in energy (or emission) intensity at full effect")


class Electrification(_Measure):
    """Electrification: a share of fuel use moves to electricity."""

    type: Literal["electrification"]
    from_: Carriers = Field(list(_FUELS), alias="from", description="fuel carrier(s) replaced "
                            "(default solid, liquid, gas)")
    share: Fraction = Field(description="share of the fuels' energy electrified at full effect")
    ratio: Positive = Field(0.92, description="tce of electricity per tce of fuel replaced; "
                            "default 0.92 = a 90 % fuel boiler replaced by a 98 % electric one; "
                            "a heat pump with COP 3 is about 0.3")

    @field_validator("from_")
    @classmethod
    def _fuels(cls, value):
        bad = [c for c in value if c not in ENERGY_CARRIERS or c == "electricity"]
        if bad:
            raise ValueError(f"electrification replaces energy carriers other than electricity; "
                             f"not {bad}")
        return value


class GreenPower(_Measure):
    """Green power purchases (绿电, green certificates): MWh, or a share of the remaining grid
    electricity, counted at zero emissions, as China's green-certificate rules allow in carbon
    accounting (a market-based treatment); energy use (tce) is unchanged."""

    type: Literal["green_power"]
    mwh: Positive | None = Field(None, description="green power bought at full effect [MWh/yr]")
    share: Fraction | None = Field(None, description="share of electricity bought green at full "
                                   "effect, instead of mwh")

    @model_validator(mode="after")
    def _amount(self):
        if (self.mwh is None) == (self.share is None):
            raise ValueError("give mwh or share")
        return self


class CCUS(_Measure):
    """Carbon capture: a capture rate on the direct (Scope 1) CO2 of the target."""

    type: Literal["ccus"]
    capture: Fraction = Field(description="share of the target's direct CO2 captured at full "
                              "effect (0.9 = 90 %)")


Measure = Annotated[Prefab | RooftopPV | FuelSwitch | Efficiency | Electrification | GreenPower
                    | CCUS, Field(discriminator="type")]
MEASURE_TYPES = ("prefab", "rooftop_pv", "fuel_switch", "efficiency", "electrification",
                 "green_power", "ccus")


# -- targets ----------------------------------------------------------------------------------
class Cap(_Model):
    """A cap in one year: emissions or energy at most this much."""

    year: Year = Field(description="year the cap applies to")
    co2e: NonNegative | None = Field(None, description="emission cap [t CO2e]")
    tce: NonNegative | None = Field(None, description="energy cap [tce]")

    @model_validator(mode="after")
    def _one(self):
        if (self.co2e is None) == (self.tce is None):
            raise ValueError("give co2e or tce")
        return self


class IntensityTarget(_Model):
    """An intensity cut: carbon (t CO2e) or energy (tce) per unit of value added."""

    kind: Literal["carbon", "energy"] = Field(description="'carbon' (t CO2e per value added) or "
                                              "'energy' (tce per value added)")
    year: Year = Field(description="year the target applies to")
    reduction: Fraction = Field(description="required cut vs the reference (0.18 = -18 %)")
    reference_year: Year | None = Field(None, description="reference year (default: base year)")
    reference_value: Positive | None = Field(None, description="reference intensity, for a "
                                             "reference year before the base year")


class Targets(_Model):
    peak_by: Year | None = Field(None, description="latest acceptable peak year (2030 for "
                                 "China's carbon peak)")
    caps: list[Cap] = Field(default_factory=list, description="caps: [[targets.caps]]")
    intensity: list[IntensityTarget] = Field(default_factory=list,
                                             description="intensity targets")


# -- costs and least-cost pathways ------------------------------------------------------------
class Costs(_Model):
    """Settings of marginal abatement cost curves and of ``--optimize``."""

    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = Field(
        0.06, description="discount rate of measures that give none [fraction/yr]; default "
        "0.06 (assumed, not from a source)")
    horizon: Year | None = Field(None, description="last year counted in discounted costs and "
                                 "abatement (default: end)")
    currency: str = Field("CNY", description="currency of capex, opex and savings (a label)")
    macc_year: Year | None = Field(None, description="year whose abatement [t CO2e/yr] sets the "
                                   "widths of the MACC bars (default: cumulative abatement "
                                   "over the horizon)")
    macc_order: Literal["written", "cost"] = Field(
        "written", description="'written': each measure's abatement after the ones written "
        "before it (the ordered wedges); 'cost': cheapest first, each measure's abatement after "
        "the cheaper ones")


class Optimize(_Model):
    """Least-cost pathway (``parkcarbon scenario FILE --optimize``): measure levels that meet
    the targets at the least discounted cost."""

    budget: NonNegative | None = Field(None, description="most capex the measures chosen may "
                                       "need in all [CNY]")
    targets: list[Literal["peak", "caps", "intensity"]] = Field(
        ["peak", "caps", "intensity"], description="which of [targets] to meet")
    max_iterations: int = Field(5, ge=1, le=50, description="re-runs of the engine with the "
                                "levels chosen, tightening a target the linear model missed")


# -- uncertainty (scenario --monte-carlo) ------------------------------------------------------
class Distribution(_Model):
    """A probability distribution of one uncertain quantity (in the quantity's own unit)."""

    distribution: Literal["normal", "uniform", "triangular", "lognormal"] = Field(
        "normal", description="normal (sd or u), uniform (low, high), triangular (low, mode, "
        "high), lognormal (factor or u; median the nominal value)")
    sd: NonNegative | None = Field(None, description="normal: standard deviation, in the "
                                   "quantity's unit")
    u: NonNegative | None = Field(None, description="normal or lognormal: half the 95 % "
                                  "interval [% of the nominal value]")
    low: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="uniform or triangular: lowest value")
    high: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="uniform or triangular: highest value")
    mode: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="triangular: most likely value (default: the nominal value)")
    factor: Annotated[float, Field(gt=1.0, allow_inf_nan=False)] | None = Field(
        None, description="lognormal: the 95 % interval is nominal / factor to nominal x factor")

    @model_validator(mode="after")
    def _parameters(self):
        kind = self.distribution
        if getattr(self, "range", None) == "preset":
            return self  # the preset gives the distribution
        if kind == "normal" and (self.sd is None) == (self.u is None):
            raise ValueError("a normal distribution needs sd or u (one of them)")
        if kind in ("uniform", "triangular"):
            if self.low is None or self.high is None:
                raise ValueError(f"a {kind} distribution needs low and high")
            if self.low > self.high:
                raise ValueError(f"low ({self.low}) is above high ({self.high})")
            if self.mode is not None and not self.low <= self.mode <= self.high:
                raise ValueError(f"mode ({self.mode}) is outside low-high")
        if kind == "lognormal" and (self.factor is None) == (self.u is None):
            raise ValueError("a lognormal distribution needs factor or u (one of them)")
        return self


class UncertainBase(Selector, Distribution):
    """The base-year emissions of the selected columns (the inventory's own uncertainty): a
    multiplier, nominal 1, held for every year; e.g. u = 7 for +-7 %."""


class UncertainRate(Selector, Distribution):
    """A shift ``delta`` of the yearly rate of the selected columns, nominal 0, held for the
    whole projection: the yearly factor (1 + rate) becomes (1 + rate)(1 + delta); give sd or
    low/high [fraction/yr]."""


class UncertainPath(Distribution):
    """A factor path (the grid path): its change from the base year is scaled by a multiplier,
    nominal 1 (0 = no change from the base year; 1.3 = 30 % more change)."""

    carrier: Carrier = Field(description="the carrier of the path (electricity...)")
    sector: Names | None = Field(None, description="sector name(s); default: every sector")
    facilities: Names | None = Field(None, description="facility id(s); default: all")


class UncertainMeasure(Distribution):
    """A parameter of a measure: its value is drawn (nominal: the value in the file)."""

    measure: str = Field(min_length=1, description="the measure's name (or type, when it has "
                         "no name), as in the results")
    parameter: str = Field(min_length=1, description="what varies: saving, share (prefab); "
                           "mwh, hours, capacity_mw (rooftop PV: the yield); cut (efficiency); "
                           "share, ratio (fuel_switch, electrification); share, mwh "
                           "(green_power); capture (ccus)")
    range: Literal["preset"] | None = Field(None, description="'preset': a triangular "
                                            "distribution over the prefab saving preset's "
                                            "range (low, value, high)")


class UncertainEconomy(Distribution):
    """A shift ``delta`` of the yearly growth of value added, nominal 0, as for growth."""


class Uncertainty(_Model):
    """Distributions for ``parkcarbon scenario FILE --monte-carlo N``."""

    draws: int = Field(1000, ge=2, le=1_000_000, description="draws when the command line "
                       "gives none")
    seed: int | None = Field(0, ge=0, description="seed of the draws (reproducible); the "
                             "command line's --seed wins")
    percentiles: list[Annotated[float, Field(gt=0.0, lt=100.0)]] = Field(
        [2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 97.5], min_length=1,
        description="percentiles of the fan of trajectories [%]")
    base: list[UncertainBase] = Field(default_factory=list, description="base-year emissions")
    growth: list[UncertainRate] = Field(default_factory=list, description="activity growth "
                                        "rates")
    intensity: list[UncertainRate] = Field(default_factory=list, description="energy "
                                           "intensity rates")
    factors: list[UncertainPath] = Field(default_factory=list, description="factor paths (the "
                                         "grid path)")
    measures: list[UncertainMeasure] = Field(default_factory=list, description="measure "
                                             "parameters (prefab saving, PV yield...)")
    economy: UncertainEconomy | None = Field(None, description="value added growth")


class Shapley(_Model):
    exact_max: int = Field(8, ge=1, le=12, description="exact Shapley values up to this many "
                           "measures (2^n runs); above, permutation sampling")
    permutations: int = Field(256, ge=1, le=100_000, description="sampled permutations")
    seed: int = Field(0, description="seed of the sampling")


class Spec(_Model):
    """A parkcarbon scenario file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              title="parkcarbon scenario file")

    name: str | None = Field(None, description="short name (default: the file name)")
    title: str | None = Field(None, description="title for reports and charts")
    description: str | None = Field(None, description="free text")
    extends: str | None = Field(None, description="another scenario file (relative to this one) "
                                "whose keys this one starts from; tables merge, arrays "
                                "(growth, measures...) replace")
    end: Year = Field(2060, description="last projected year (default 2060)")
    scopes: list[Literal[1, 2, 3]] = Field([1, 2, 3], min_length=1,
                                           description="scopes counted in totals, peak and "
                                           "targets (default 1, 2, 3: construction is Scope 3)")
    base: Base = Field(description="the base year")
    economy: Economy | None = Field(None, description="value added and its growth")
    construction: Construction | None = Field(None, description="construction sector")
    growth: list[Driver] = Field(default_factory=list, description="activity growth drivers")
    intensity: list[Driver] = Field(default_factory=list, description="intensity drivers")
    factors: list[FactorPath] = Field(default_factory=list, description="factor paths")
    measures: list[Measure] = Field(default_factory=list, description="measures, in order")
    targets: Targets = Field(default_factory=Targets, description="targets")
    shapley: Shapley = Field(default_factory=Shapley, description="Shapley split settings")
    costs: Costs = Field(default_factory=Costs, description="discount rate, horizon and MACC "
                         "settings")
    optimize: Optimize = Field(default_factory=Optimize, description="least-cost pathway "
                               "settings (--optimize)")
    uncertainty: Uncertainty | None = Field(None, description="distributions for "
                                            "--monte-carlo")

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value):
        return sorted(set(value))

    @model_validator(mode="after")
    def _end(self):
        if self.base.year is not None and self.end <= self.base.year:
            raise ValueError(f"end ({self.end}) must be after the base year ({self.base.year})")
        return self


def json_schema() -> dict:
    """The JSON Schema of a scenario file (``parkcarbon scenario --schema``)."""
    schema = Spec.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
