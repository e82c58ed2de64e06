"""Marginal abatement cost curves and least-cost pathways (DESIGN.md module ``optimize``).

The measures of a scenario file carry ``capex`` [CNY], ``opex`` and ``savings`` [CNY/yr],
``lifetime`` [yr] and ``discount_rate``; :mod:`.costs` turns them into levelised costs per
t CO2e abated, :func:`macc` into a marginal abatement cost curve built on the scenario's ordered
wedges, and :func:`least_cost` into the measure levels that meet the scenario's targets at the
least discounted cost (``scipy.optimize.milp``), with the binding constraints, their shadow
prices, and the shortfall of a target no levels can meet.

>>> round(crf(0.05, 10) * 1_000_000, 2)   # capital recovery factor: 1 M CNY, 10 yr, 5 %
129504.57
"""

from .costs import MeasureCost, crf, levelised_cost, measure_costs
from .macc import MACC, macc
from .pathway import Pathway, least_cost
from .plot import plot_macc, plot_pathway

__all__ = ["MACC", "MeasureCost", "Pathway", "crf", "least_cost", "levelised_cost", "macc",
           "measure_costs", "plot_macc", "plot_pathway"]
