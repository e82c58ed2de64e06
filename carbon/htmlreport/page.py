"""The building blocks of a self-contained HTML page: escaped text, figures, tables, the page.

Every piece of text that reaches the page goes through :func:`html.escape` here (facility
names, sector ids, sources, notes: anything a user typed). Figures carry their exact value in a
``data-value`` attribute and their name in ``data-key`` (the JSON path of the same figure), so
a program reading the page gets the numbers the JSON report has, and the text shows them
rounded for a planner. The page links to nothing: the style sheet is inline and the charts are
``data:`` URIs (:mod:`~carbon.htmlreport.charts_inline`).
"""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from .i18n import label

__all__ = ["Column", "esc", "figure_text", "num", "page", "section", "table"]

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"Helvetica Neue",Arial,sans-serif;color:#1d2a33;margin:0;background:#f4f6f8;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.7em;margin:0 0 4px;color:#0b4f3c}
h2{font-size:1.25em;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid #0b4f3c;
color:#0b4f3c}
h3{font-size:1.05em;margin:20px 0 6px}
.meta{color:#52606d;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px;background:#f8fbfa}
.card .what{font-size:.82em;color:#52606d}
.card .num{font-size:1.35em;font-weight:600;color:#102a43}
.card .unit{font-size:.8em;color:#52606d;margin-left:4px}
table{border-collapse:collapse;margin:6px 0 14px;font-size:.86em;max-width:100%}
caption{text-align:left;font-weight:600;padding:4px 0;color:#243b53}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 8px;vertical-align:top}
th{background:#eef2f5;text-align:left}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
td.nw{white-space:nowrap}
h3.source{font-size:.9em;font-weight:600;margin:16px 0 2px;color:#334e68}
.ok{color:#0b7a3e;font-weight:600}.bad{color:#b42318;font-weight:600}.na{color:#7b8794}
figure{margin:10px 0 18px}figure img{max-width:100%;height:auto;border:1px solid #e4e7eb}
figcaption{font-size:.82em;color:#52606d}
pre{white-space:pre-wrap;word-break:break-word}
nav ol{columns:2;font-size:.9em;margin:0;padding-left:20px}
nav a{color:#0b4f3c}
.note{font-size:.88em;color:#334e68}
.small{font-size:.8em;color:#52606d;word-break:break-word}
footer{margin-top:32px;font-size:.8em;color:#7b8794}
@media print{body{background:#fff}main{padding:0}h2{break-after:avoid}
figure,table{break-inside:avoid}}
"""


def esc(value: object) -> str:
    """Text for the page: ``str(value)`` with ``& < > " '`` escaped; missing as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def figure_text(value: object, kind: str = "t", lang: str = "en") -> str:
    """A figure as a planner reads it: ``t`` (whole units, spaced thousands), ``pct``
    (a fraction as %), ``change`` (signed %), ``ratio`` (4 decimals), ``sig`` (6 significant
    digits), ``int`` or ``text``.

    >>> figure_text(958188.665935), figure_text(0.0954, "pct"), figure_text(89.001000002, "sig")
    ('958\u202f189', '9.5 %', '89.001')
    """
    if kind == "text":
        return esc(value)
    number = _finite(value)
    if number is None:
        return label("not_computable", lang)
    if kind == "pct":
        return f"{number * 100:.1f} %"
    if kind == "change":
        return f"{number * 100:+.1f} %"
    if kind == "ratio":
        return f"{number:.4f}"
    if kind == "int":
        return f"{number:.0f}"
    if kind == "sig":
        return f"{number:.6g}"
    return f"{number:,.0f}".replace(",", "\u202f")  # narrow no-break space


def num(value: object, key: str | None = None, kind: str = "t", lang: str = "en") -> str:
    """A figure in a ``<span class="num">`` with its exact value in ``data-value``."""
    number = _finite(value)
    attributes = f' data-key="{esc(key)}"' if key else ""
    if number is not None:
        attributes += f' data-value="{number!r}"'
    return f'<span class="num"{attributes}>{figure_text(value, kind, lang)}</span>'


@dataclass(frozen=True)
class Column:
    """One column of an HTML table: the DataFrame column, its header, how to show it, and
    (optionally) the ``data-key`` of each cell from its row."""

    name: str
    header: str
    kind: str = "text"
    key: Callable[[dict], str | None] | None = None


def _status_class(text: str) -> str:
    lowered = text.lower()
    if lowered.startswith(("met", "on track", "已达成", "passed", "通过")) or lowered == "true":
        return ' class="ok"'
    if lowered.startswith(("missed", "off track", "未达成", "not passed", "未通过")):
        return ' class="bad"'
    return ""


def table(frame: pd.DataFrame | None, columns: Sequence[Column], caption: str,
          lang: str = "en", limit: int | None = None, key: str | None = None) -> str:
    """An HTML table of ``frame``'s ``columns`` (those it has), every cell escaped.

    A column's ``kind`` is ``text``, ``nowrap`` (text kept on one line), ``bool`` (yes / no)
    or a kind of :func:`figure_text`.
    """
    if frame is None:
        return ""
    shown = [c for c in columns if c.name in frame.columns]
    head = "".join(("<th>" if c.kind in ("text", "bool", "nowrap") else '<th class="n">')
                   + f"{esc(c.header)}</th>" for c in shown)
    rows = []
    records = frame.astype(object).to_dict("records")
    for record in records[:limit] if limit is not None else records:
        cells = []
        for c in shown:
            value = record.get(c.name)
            if c.kind == "bool":
                text = esc(label({True: "yes", False: "no"}.get(value, ""), lang)
                           if isinstance(value, bool) else value)
                cells.append(f"<td>{text}</td>")
            elif c.kind == "nowrap":
                cells.append(f'<td class="nw">{esc(value)}</td>')
            elif c.kind == "text":
                text = esc(value)
                cells.append(f"<td{_status_class(text)}>{text}</td>")
            else:
                key_ = c.key(record) if c.key else None
                cells.append(f'<td class="n">{num(value, key_, c.kind, lang)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    attribute = f' data-table="{esc(key)}"' if key else ""
    caption = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f"<table{attribute}>{caption}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def section(anchor: str, title: str, body: str) -> str:
    """A ``<section>`` with an ``<h2>`` the table of contents links to (``#anchor``)."""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def contents(sections: Sequence[tuple[str, str]], lang: str) -> str:
    """The table of contents: in-page links only."""
    items = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in sections)
    return f"<nav><h3>{esc(label('contents', lang))}</h3><ol>{items}</ol></nav>"


def page(title: str, header: str, body: str, lang: str) -> str:
    """The whole document: inline style, no script, no external resource."""
    from .. import __version__

    footer = label("generated", lang, version=__version__,
                   date=datetime.date.today().isoformat())
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{esc(title)}</title><style>{STYLE}</style></head><body>'
            f"<main><header><h1>{esc(title)}</h1>{header}</header>{body}"
            f"<footer>{esc(footer)}</footer></main></body></html>\n")
