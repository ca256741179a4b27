"""The digest's chart: KPIs as % of target and the team's mood, week by week, as a PNG.

Uses matplotlib's object API on the Agg canvas (no pyplot state, no display). The bot draws in a child process
(`draw`): once imported, matplotlib would stay in a long-running bot for good after the first weekly digest
(bench/soak.py: RSS +24 MB the minute a digest went out), and drawing would hold the GIL while people wait for
their acks.

Korean labels need a Hangul font, which a fresh machine does not have: the package depends on
`koreanize-matplotlib` only for the NanumGothic file it ships (SIL Open Font License). Its module is never
imported: importing it changes matplotlib's global settings (and it needs `distutils`, gone in Python 3.12).
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import pickle
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from bot.digest.model import Digest, Series

FONT_PACKAGE, FONT_FILE = "koreanize_matplotlib", "fonts/NanumGothic.ttf"


def font_file() -> Path:
    """The Hangul-capable font that ships with the package's dependencies."""
    spec = importlib.util.find_spec(FONT_PACKAGE)  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{FONT_PACKAGE} is not installed: reinstall OneTeam (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / FONT_FILE


@cache
def font_families() -> tuple[str, ...]:
    """NanumGothic first (Hangul and Latin), then matplotlib's own font for any other symbol."""
    from matplotlib import font_manager

    path = font_file()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=path).get_name(), "DejaVu Sans"


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
    family = list(font_families())
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
            ax.set_title(labels.get("kpis", ""), fontfamily=family)
            ax.set_ylabel(labels.get("kpis_axis", ""), fontfamily=family)
            ax.legend(prop={"family": family, "size": "small"}, loc="best")
        else:
            mood = digest.mood
            assert mood is not None
            ax.plot([w.split("-")[-1] for w, _ in mood.points], [v for _, v in mood.points], marker="o",
                    color="tab:purple")
            ax.set_ylim(1, 5)
            ax.set_title(labels.get("mood", ""), fontfamily=family)
        ax.tick_params(axis="x", labelsize="small")
    fig.suptitle(labels.get("title", ""), fontfamily=family)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


async def draw(digests: Sequence[Digest]) -> list[bytes | None]:
    """The charts of `digests` (None where there is nothing to draw), drawn by one child process: this module
    run as a script, given the digests pickled on its stdin (the bot's own data, to its own code)."""
    if not any(d.has_chart for d in digests):
        return [None] * len(digests)
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await child.communicate(pickle.dumps(list(digests)))
    if child.returncode:
        raise RuntimeError(f"drawing the charts failed: {err.decode(errors='replace')[-2000:]}")
    charts: list[bytes | None] = pickle.loads(out)
    return charts


if __name__ == "__main__":
    sys.stdout.buffer.write(pickle.dumps([render_png(d) for d in pickle.load(sys.stdin.buffer)]))
