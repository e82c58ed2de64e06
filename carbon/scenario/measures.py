"""Measures: compiled from the scenario file into :class:`~carbon.scenario.engine.Op` and
applied to a state.

Each ``apply_*`` takes the state the measures before it left and returns a new one; amounts
scale with the measure's ramp (the fraction of its full effect reached in each year). Only
fuel switching and electrification can raise emissions (a carrier with a higher factor); every
other measure only lowers activity, factors or the share of emissions counted.

=================  ==========================================================================
type               effect on the targeted columns, in year t with ramp r(t)
=================  ==========================================================================
prefab             factor x (1 - p(t) s) / (1 - p0 s), p(t) = p0 + (share - p0) r(t):
                   construction only (embodied emissions of new floor area)
rooftop_pv         electricity activity minus mwh r(t) x 0.1229 tce/MWh, pro rata, never below 0
fuel_switch        share r(t) of the ``from`` carrier's tce moves to ``to`` (x ratio)
efficiency         activity x (1 - cut r(t))
electrification    fuel_switch from each fuel to electricity (x ratio, default 0.92)
green_power        share of electricity counted at zero rises by mwh r(t) (or share r(t))
ccus               capture share of direct CO2 -> 1 - (1 - capture_before)(1 - capture r(t))
=================  ==========================================================================
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .conversions import tce_per_mwh
from .drivers import ramp as ramp_path
from .engine import Engine, Op, State
from .presets import preset
from .reading import problem
from .select import mask as select
from .spec import DIRECT_CARRIERS, ENERGY_CARRIERS

__all__ = ["APPLY", "compile_measure", "prefab_saving"]

#: What an efficiency measure cuts when its target names no carrier: energy use.
_ENERGY_USE = (*ENERGY_CARRIERS, "other")


# -- the arithmetic ---------------------------------------------------------------------------
def apply_efficiency(state: State, op: Op, engine: Engine):
    cut = op.params["cut"] * op.ramp
    state.activity[:, op.mask] *= (1.0 - cut)[:, None]
    return state, {}


def _displace(state: State, op: Op, amount: np.ndarray):
    """Take ``amount`` [tce per year] out of the masked columns' activity, pro rata."""
    part = state.activity[:, op.mask]
    available = part.sum(axis=1)
    used = np.minimum(amount, available)
    fraction = np.divide(used, available, out=np.zeros_like(used), where=available > 0)
    state.activity[:, op.mask] = part * (1.0 - fraction)[:, None]
    return used


def apply_pv(state: State, op: Op, engine: Engine):
    wanted = op.params["mwh"] * op.ramp
    used = _displace(state, op, wanted * tce_per_mwh()) / tce_per_mwh()
    return state, {"unused_mwh": wanted - used}


def apply_green(state: State, op: Op, engine: Engine):
    if op.params.get("share") is not None:
        fraction = op.params["share"] * op.ramp
        unused = np.zeros_like(fraction)
    else:
        wanted = op.params["mwh"] * op.ramp * tce_per_mwh()
        grey = (state.activity * (1.0 - state.green))[:, op.mask].sum(axis=1)
        used = np.minimum(wanted, grey)
        fraction = np.divide(used, grey, out=np.zeros_like(used), where=grey > 0)
        unused = (wanted - used) / tce_per_mwh()
    green = state.green[:, op.mask]
    state.green[:, op.mask] = 1.0 - (1.0 - green) * (1.0 - fraction)[:, None]
    return state, {"unused_mwh": unused}


def apply_switch(state: State, op: Op, engine: Engine):
    share = op.params["share"] * op.ramp
    for source, target in op.params["pairs"]:
        moved = state.activity[:, source] * share[:, None]
        state.activity[:, source] -= moved
        state.activity[:, target] += moved * op.params["ratio"]
    return state, {}


def apply_ccus(state: State, op: Op, engine: Engine):
    rate = op.params["capture"] * op.ramp
    before = state.capture[:, op.mask]
    state.capture[:, op.mask] = 1.0 - (1.0 - before) * (1.0 - rate)[:, None]
    return state, {}


def apply_prefab(state: State, op: Op, engine: Engine):
    p0, share, saving = op.params["baseline_share"], op.params["share"], op.params["saving"]
    prefab = p0 + (share - p0) * op.ramp
    state.factor[:, op.mask] *= ((1.0 - prefab * saving) / (1.0 - p0 * saving))[:, None]
    return state, {}


APPLY = {"efficiency": apply_efficiency, "rooftop_pv": apply_pv, "green_power": apply_green,
         "fuel_switch": apply_switch, "electrification": apply_switch, "ccus": apply_ccus,
         "prefab": apply_prefab}


# -- compiling --------------------------------------------------------------------------------
def prefab_saving(value: float | str) -> dict:
    """The saving of a prefab measure with its range and source (a preset or a number)."""
    if isinstance(value, str):
        found = preset("prefab_saving", value)
        return {"preset": value, **found}
    return {"preset": None, "value": float(value), "low": None, "high": None,
            "confidence": "user", "source": "given in the scenario file"}


def compile_measure(measure, index: int, name: str, years: np.ndarray, columns, file: str,
                    construction_sector: str | None) -> Op:
    """An :class:`Op` for the measure at ``measures[index + 1]``."""
    key = f"measures[{index + 1}]"
    base_year = int(years[0])
    if isinstance(measure.ramp, dict):
        first = min(measure.ramp)
        if first <= base_year:
            raise InputError([problem(file, f"{key}.ramp", "the ramp table starts in or before "
                                      "the base year", first, f"years after {base_year}")])
    elif measure.start <= base_year:
        raise InputError([problem(file, f"{key}.start", "a measure must start after the base "
                                  "year (the base year is the inventory)", measure.start,
                                  f"a year from {base_year + 1}")])
    ramp = ramp_path(years, measure.ramp, measure.start, measure.full)
    target = measure.target
    kind = measure.type
    params: dict = {}
    may_raise = False

    def pick(default, allowed=None):
        if allowed is not None and target is not None and target.carrier is not None:
            bad = [c for c in target.carrier if c not in allowed]
            if bad:
                raise InputError([problem(file, f"{key}.target.carrier", f"a {kind} measure "
                                          f"cannot act on {bad[0]}", bad[0],
                                          f"{', '.join(allowed)}")])
        return select(columns, target, file, f"{key}.target", default)

    if kind == "efficiency":
        chosen = pick(_ENERGY_USE)
        params["cut"] = measure.cut
    elif kind in ("rooftop_pv", "green_power"):
        chosen = pick(("electricity",), ("electricity",))
        params["mwh"] = measure.generation if kind == "rooftop_pv" else measure.mwh
        params["share"] = getattr(measure, "share", None) if kind == "green_power" else None
    elif kind == "ccus":
        chosen = pick(DIRECT_CARRIERS, DIRECT_CARRIERS)
        chosen &= (columns["scope"] == 1).to_numpy()
        params["capture"] = measure.capture
    elif kind == "prefab":
        if construction_sector is None:
            raise InputError([problem(file, key, "a prefab measure needs a [construction] "
                                      "table (new floor area and embodied intensity)",
                                      accepted="[construction] floor_area = ..., embodied = ...")])
        chosen = pick(("embodied",), ("embodied",))
        params.update(share=measure.share, baseline_share=measure.baseline_share,
                      saving=prefab_saving(measure.saving)["value"],
                      saving_detail=prefab_saving(measure.saving))
    else:  # fuel_switch, electrification
        if target is not None and target.carrier is not None:
            raise InputError([problem(file, f"{key}.target.carrier", "set the carriers with "
                                      "from and to, not target.carrier", target.carrier,
                                      "target.sector, target.facilities")])
        sources = [measure.from_] if kind == "fuel_switch" else list(measure.from_)
        to = measure.to if kind == "fuel_switch" else "electricity"
        chosen = select(columns, target, file, f"{key}.target", sources)
        params.update(share=measure.share, ratio=measure.ratio, to=to,
                      pairs=_pairs(columns, chosen, sources, to))
        may_raise = True
    if not chosen.any():
        raise InputError([problem(file, f"{key}.target", f"the {kind} measure {name!r} acts on "
                                  "nothing: no emissions match its target", accepted="a target "
                                  "(sector, carrier, facilities) that matches some base-year "
                                  "emissions")])
    return Op(name=name, kind=kind, ramp=ramp, mask=chosen, apply=APPLY[kind], params=params,
              may_raise=may_raise)


def _pairs(columns, chosen: np.ndarray, sources: list[str], to: str) -> list:
    """(from columns, to columns) index arrays per source carrier: same sector and group."""
    lookup = {(s, f, c): i for i, (s, f, c) in enumerate(
        zip(columns["sector"], columns["facility"], columns["carrier"], strict=True))}
    pairs = []
    for source in sources:
        found = np.flatnonzero(chosen & (columns["carrier"] == source).to_numpy())
        if not len(found):
            continue
        targets = np.array([lookup[(columns["sector"].iat[i], columns["facility"].iat[i], to)]
                            for i in found])
        pairs.append((found, targets))
    return pairs
