"""Charts inside the page: a matplotlib figure as a base64 PNG ``data:`` URI.

The page must open offline from an e-mail attachment, so an image is never a link: it is the
PNG itself, base64-encoded in the ``src`` attribute. Chinese titles are drawn only when a font
with Chinese glyphs is installed; otherwise the chart keeps its English title rather than
showing empty boxes.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["figure_html", "png_data_uri", "set_title"]


def png_data_uri(figure: Figure, dpi: int = 110) -> str:
    """The figure as ``data:image/png;base64,...`` [PNG at ``dpi`` dots per inch]."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a glyph missing from the fallback font is not an error
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def set_title(figure: Figure, title: str, axis: int = 0) -> None:
    """Replace the title of one axes with ``title`` when it can be drawn (Chinese needs a CJK
    font; without one the English title stays)."""
    from ..scenario.plot import cjk_font

    axes = figure.get_axes()
    if not axes or axis >= len(axes):
        return
    if title.isascii():
        axes[axis].set_title(title)
        return
    font = cjk_font()
    if font is not None:
        axes[axis].set_title(title, fontproperties=font)


def figure_html(figure: Figure, caption: str, key: str) -> str:
    """A ``<figure>`` with the embedded PNG, its caption as alt text and as ``figcaption``."""
    text = html.escape(caption)
    return (f'<figure data-chart="{html.escape(key)}"><img alt="{text}" '
            f'src="{png_data_uri(figure)}"><figcaption>{text}</figcaption></figure>')
