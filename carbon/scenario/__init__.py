"""Scenarios: project a park from its base-year inventory to 2060, apply measures, find the
peak, test targets and draw the wedges.

>>> import carbon.scenario as cs
>>> result = cs.from_dict({
...     "end": 2030,
...     "base": {"year": 2023, "sectors": [
...         {"sector": "industry", "carrier": "gas", "co2e": 1000.0, "tce": 500.0}]},
...     "growth": [{"rate": 0.05}],
... }).run()
>>> round(float(result.scenario[-1]), 2)   # 1000 t x 1.05**7
1407.1
>>> result.to_dict()["peak_year"] is None   # still rising in 2030
True

Modules: ``spec`` (the file's keys and JSON Schema), ``reading`` (TOML, ``extends``, errors),
``base`` (the base year), ``drivers`` (growth, interpolation, ramps), ``engine`` (the
projection), ``measures``, ``wedges`` (ordered and Shapley splits), ``peak``, ``targets``,
``results``, ``plot`` and ``bundled``.
"""

from .bundled import BUNDLED, bundled_files, run_bundled
from .model import Scenario, from_dict, load
from .peak import find_peak, robust_peak
from .results import ScenarioResult
from .spec import json_schema

__all__ = ["BUNDLED", "Scenario", "ScenarioResult", "bundled_files", "find_peak", "from_dict",
           "json_schema", "load", "robust_peak", "run_bundled"]
