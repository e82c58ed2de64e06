"""Park analytics: dual control, targets, views, benchmarking, base year, profile comparison.

Park administrations report the "dual control" of energy and carbon (totals and intensities,
by sector and enterprise, against a base year and targets) and pick enterprises to cultivate
as green factories. This subpackage computes all of it from an
:class:`~carbon.inventory.Inventory`; :func:`report` runs everything and returns a
:class:`ParkReport` of DataFrames (``.to_dict()`` for JSON).

Modules, one concern each (no module shares its name with a function exported here):

- :mod:`~carbon.analytics.territory`: the inventory's rows with intra-park transfers netted,
  equal-value energy and non-fossil electricity;
- :mod:`~carbon.analytics.money` and :mod:`~carbon.analytics.value_added`: value added
  (currency units, by year) and output;
- :mod:`~carbon.analytics.dual_control`: totals, intensities and their changes per year;
- :mod:`~carbon.analytics.targets`: targets files (TOML), met or missed, pro-rating;
- :mod:`~carbon.analytics.views`: breakdowns, the energy -> emissions flow, top emitters;
- :mod:`~carbon.analytics.benchmarking`: ranks within sectors and green-factory candidates;
- :mod:`~carbon.analytics.base_year`: base-year recalculation for boundary changes;
- :mod:`~carbon.analytics.compare`: the same activities under two profiles;
- :mod:`~carbon.analytics.charts`: PNG charts (matplotlib, imported when used);
- :mod:`~carbon.analytics.park_report`: all of the above in one :class:`ParkReport`.
"""

from .base_year import BaseYear, read_membership, track_base_year
from .benchmarking import GreenFactoryRule, benchmark, green_factories
from .compare import ProfileComparison, compare_inventories, compare_profiles
from .dual_control import INDICATORS, dual_control_table, indicator_values
from .park_report import ParkReport, report
from .targets import Target, TargetSet, check_targets, read_targets
from .territory import Territory
from .value_added import Denominators, denominators, read_value_added

__all__ = [
    "INDICATORS",
    "BaseYear",
    "Denominators",
    "GreenFactoryRule",
    "ParkReport",
    "ProfileComparison",
    "Target",
    "TargetSet",
    "Territory",
    "benchmark",
    "check_targets",
    "compare_inventories",
    "compare_profiles",
    "denominators",
    "dual_control_table",
    "green_factories",
    "indicator_values",
    "read_membership",
    "read_targets",
    "read_value_added",
    "report",
    "track_base_year",
]
