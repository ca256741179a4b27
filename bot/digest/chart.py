"""The digest's chart: KPIs as % of target and the team's mood, week by week, as a PNG.

Uses matplotlib's object API on the Agg canvas (no pyplot state, no display), so it is safe in a
server and in a worker thread.
"""

from __future__ import annotations

import io
from functools import cache

from bot.digest.model import Digest, Series


@cache
def has_hangul_font() -> bool:
    from matplotlib import font_manager

    return any("CJK" in f.name or "Nanum" in f.name or "Gothic" in f.name for f in font_manager.fontManager.ttflist)


def _percent_of_target(series: Series) -> list[float | None]:
    """100 = on target for every KPI, whichever direction is better."""
    out: list[float | None] = []
    for _, value in series.points:
        if value is None or not series.target:
            out.append(None)
        elif series.lower_is_better:
            out.append(100 * series.target / value if value else None)
        else:
            out.append(100 * value / series.target)
    return out


def render_png(digest: Digest) -> bytes | None:
    """PNG bytes, or None when there is nothing to draw."""
    # Imported here: matplotlib costs ~80 MB and most requests never draw a chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not digest.has_chart:
        return None
    labels = digest.chart_labels
    panels = [p for p in ("kpis", "mood") if (p == "kpis" and digest.kpi_series) or (p == "mood" and digest.mood)]
    fig = Figure(figsize=(5.5 * len(panels), 3.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "kpis":
            for series in digest.kpi_series:
                weeks = [w.split("-")[-1] for w, _ in series.points]
                ax.plot(weeks, _percent_of_target(series), marker="o", label=series.label)
            ax.axhline(100, color="grey", linestyle="--", linewidth=1)
            ax.set_title(labels.get("kpis", ""))
            ax.set_ylabel(labels.get("kpis_axis", ""))
            ax.legend(fontsize="small", loc="best")
        else:
            mood = digest.mood
            assert mood is not None
            ax.plot([w.split("-")[-1] for w, _ in mood.points], [v for _, v in mood.points], marker="o",
                    color="tab:purple")
            ax.set_ylim(1, 5)
            ax.set_title(labels.get("mood", ""))
        ax.tick_params(axis="x", labelsize="small")
    fig.suptitle(labels.get("title", ""))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
