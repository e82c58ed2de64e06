"""Waterfall chart of additive decomposition effects (matplotlib, object API only).

No pyplot and no rcParams: the figure is a plain :class:`matplotlib.figure.Figure`, so a
caller's global matplotlib state is never touched and no GUI backend is needed; save it with
``ax.figure.savefig(path)`` (rendered by Agg for PNG).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["waterfall"]

INCREASE, DECREASE, TOTAL = "#c8553d", "#3a7d44", "#7f7f7f"


def waterfall(decomposition, *, ax=None, title: str | None = None, labels: dict | None = None,
              digits: int = 0):
    """Draw the additive effects as a waterfall from the first year's value to the last's.

    Parameters
    ----------
    decomposition : Decomposition
        Any method: the chart always shows additive effects [unit of V], summed over the
        pairs of a chained decomposition (which telescope to V_last − V_first).
    ax : matplotlib Axes, optional
        Where to draw; default: a new 9 × 5 in Figure.
    title : str, optional
    labels : dict, optional
        Names of the factors on the axis; default: ``decomposition.labels``.
    digits : int
        Decimals of the value written on each bar.

    Returns
    -------
    matplotlib.axes.Axes
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the waterfall chart needs matplotlib: pip install matplotlib") from exc
    if not hasattr(decomposition, "additive"):
        raise ParameterError("decomposition", "waterfall", "a Decomposition", decomposition)
    effects = decomposition.additive.sum(axis=0)
    totals = decomposition.totals
    start, end = float(totals["value_from"].iloc[0]), float(totals["value_to"].iloc[-1])
    first, last = totals.index[0][0], totals.index[-1][1]
    names = labels or decomposition.labels or {}

    steps = effects.to_numpy(dtype=float)
    level = start + np.concatenate([[0.0], np.cumsum(steps)])
    bottoms = np.concatenate([[0.0], np.minimum(level[:-1], level[1:]), [0.0]])
    heights = np.concatenate([[start], np.abs(steps), [end]])
    colors = [TOTAL, *(INCREASE if s > 0 else DECREASE for s in steps), TOTAL]
    ticks = [str(first), *(names.get(f, f) for f in effects.index), str(last)]

    if ax is None:
        ax = Figure(figsize=(9, 5), layout="constrained").add_subplot()
    x = np.arange(len(heights))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.7, edgecolor="none")
    for i in range(len(steps) + 1):  # connectors at the running level
        ax.plot([x[i] + 0.35, x[i + 1] - 0.35], [level[i]] * 2, color="#555555", linewidth=0.6)
    signed = np.concatenate([[start], steps, [end]])
    for xi, bottom, height, value in zip(x, bottoms, heights, signed, strict=True):
        text = f"{value:+,.{digits}f}" if 0 < xi < len(x) - 1 else f"{value:,.{digits}f}"
        ax.annotate(text.replace(",", " "), (xi, bottom + height), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(decomposition.unit or "value")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " ")))
    ax.axhline(0, color="#555555", linewidth=0.6)
    how = "chained year on year" if len(totals) > 1 else "direct"
    ax.set_title(title or f"Decomposition of the change {first}–{last} (LMDI-I, additive, "
                 f"{how})")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
