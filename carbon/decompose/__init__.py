"""Decomposition of emission changes by LMDI-I (DESIGN.md module ``decompose``).

Generic engine
    :func:`lmdi` decomposes the change of any identity V = Σ_i Π_j x_ij between years
    (additive ΔV = Σ_j ΔV_xj or multiplicative D = Π_j D_xj, exact, zero values handled by
    their analytical limits); :func:`multilevel` splits the structure effect over the levels
    of a hierarchy (sector → subsector), in the parallel or the hierarchical formulation.
The park's Kaya identity
    :func:`decompose_park` and :func:`decompose_inventories` build
    C = Σ_i Σ_k Q · (Q_i/Q) · (E_i/Q_i) · (E_ik/E_i) · (C_ik/E_ik) from inventories (value
    added Q, energy E in tce, emissions C in t CO2e, sector i, carrier k) and decompose it,
    with emissions not tied to energy as a separate ``non_energy`` term.
Chart
    :func:`waterfall` draws the additive effects (matplotlib, no global state touched).
"""

from .core import Decomposition, lmdi, logmean
from .levels import multilevel
from .park import DecompositionWarning, decompose_inventories, decompose_park, kaya_table
from .plot import waterfall

__all__ = [
    "Decomposition",
    "DecompositionWarning",
    "decompose_inventories",
    "decompose_park",
    "kaya_table",
    "lmdi",
    "logmean",
    "multilevel",
    "waterfall",
]
