"""Reports a park office can hand over: one self-contained HTML page per report.

- :func:`park_html`: the park report (:func:`carbon.analytics.report`) with its inventory's
  summary, data quality and factor sources;
- :func:`scenario_html`: one or several scenario results (:mod:`carbon.scenario`);
- :func:`quality_tables`: the data-quality tables (also the sheets of the Excel report);
- :mod:`~carbon.htmlreport.i18n`: every label in English and Chinese (``lang='en'|'zh'``).

The pages load nothing: inline CSS, charts as base64 PNG, no script, every text escaped.
"""

from .i18n import LANGS, label
from .park import park_html
from .quality import confidence_shares, factor_shares, quality_tables
from .scenario import scenario_html, scenario_tables

__all__ = ["LANGS", "confidence_shares", "factor_shares", "label", "park_html",
           "quality_tables", "scenario_html", "scenario_tables"]
