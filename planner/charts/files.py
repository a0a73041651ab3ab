"""Charts to bytes and files: PNG at 2x for slides, SVG; the standard chart set of a run."""
from __future__ import annotations

import io
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from planner.charts.fans import plot_plan_comparison
from planner.charts.png import png_bytes
from planner.slides import SlideLayout
from planner.charts.parallel import COSTS, run_tasks
from planner.charts.registry import CHARTS, chart_sources, draw_charts
from planner.charts.style import SLIDE_DPI, chart_style
from planner.io import write_bytes

FORMATS = ("png", "svg")


def _figure(drawn) -> Figure:
    """The figure of what a ``plot_*`` function returned (Axes, array of Axes or Figure)."""
    if isinstance(drawn, Figure):
        return drawn
    first = drawn.flat[0] if hasattr(drawn, "flat") else drawn
    return first.figure


def release(drawn) -> None:
    """Free a drawn chart's figure (its artists) once it has been saved."""
    _figure(drawn).clear()


def figure_bytes(drawn, fmt: str = "png", dpi: int = SLIDE_DPI) -> bytes:
    """Render a chart to PNG or SVG bytes.

    Parameters
    ----------
    drawn : Axes, ndarray of Axes or Figure
        What a ``plot_*`` function returned.
    fmt : {"png", "svg"}
    dpi : int
        PNG resolution; the default 200 is 2x a 100-dpi slide (a 10-inch chart is
        2,000 pixels wide). Ignored for SVG (vector).

    Returns
    -------
    bytes
        Reproducible: no date in the metadata, stable SVG ids.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    fig = _figure(drawn)
    buf = io.BytesIO()
    if fmt == "svg":
        with chart_style(), _laid_out(fig):
            FigureCanvasSVG(fig).print_figure(buf, format="svg", dpi=dpi, facecolor="white",
                                              metadata={"Date": None, "Creator": "planner"})
        return buf.getvalue()
    canvas = FigureCanvasAgg(fig)
    with chart_style(), _laid_out(fig):
        # the pixels as matplotlib renders them for a PNG, encoded by planner.charts.png
        canvas.print_figure(buf, format="rgba", dpi=dpi, facecolor="white")
    renderer = canvas.renderer  # the one it drew with, at ``dpi``
    rgba = np.frombuffer(buf.getbuffer(), dtype=np.uint8).reshape(int(renderer.height), int(renderer.width), 4)
    return png_bytes(rgba, dpi, {"Software": "planner"})


@contextmanager
def _laid_out(fig: Figure):
    """The figure with its slide layout applied and the engine set aside while it prints:
    ``print_figure`` draws a figure with a layout engine twice (once to lay it out), and
    :class:`~planner.slides.SlideLayout` needs no drawing to lay it out."""
    engine = fig.get_layout_engine()
    if not isinstance(engine, SlideLayout):
        yield
        return
    engine.execute(fig)
    fig._layout_engine = None  # private, but set_layout_engine(None) cannot restore it after
    try:
        yield
    finally:
        fig._layout_engine = engine


def save_chart(drawn, path: str | Path, fmt: str | None = None, dpi: int = SLIDE_DPI) -> Path:
    """Write a chart to ``path`` atomically, PNG or SVG (from the suffix unless ``fmt``).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower() or "png"
    write_bytes(path, figure_bytes(drawn, fmt, dpi))
    return path


def _draw_and_save(kinds: list[str], source, out_dir: Path, fmt: str) -> list[Path]:
    """Draw ``kinds`` of one source (cohort models built once for them) and write them."""
    files = []
    for kind, drawn in draw_charts(source, kinds):
        files.append(save_chart(drawn, out_dir / f"{kind}.{fmt}", fmt))
        release(drawn)
    return files


def standard_chart_tasks(result, out_dir: str | Path, fmt: str = "png", kinds=None, detail=None):
    """The work of :func:`write_standard_charts` as independent tasks.

    Returns
    -------
    list of (list of str, callable)
        Chart kinds and a zero-argument function that draws and writes them, returning
        the files; a source's cohort charts are one task (they share cohort models).
    """
    out_dir = Path(out_dir)
    tasks, grouped = [], {}
    for kind, source in chart_sources(result, kinds, detail):
        if CHARTS[kind].cohorts:
            if id(source) in grouped:
                grouped[id(source)].append(kind)
                continue
            grouped[id(source)] = [kind]
            group = grouped[id(source)]
        else:
            group = [kind]
        tasks.append((group, partial(_draw_and_save, group, source, out_dir, fmt)))
    return tasks


def task_cost(kinds) -> float:
    """Expected cost of drawing ``kinds`` (:data:`planner.charts.parallel.COSTS`)."""
    return float(sum(COSTS.get(kind, 1.0) for kind in kinds))


def write_standard_charts(result, out_dir: str | Path, fmt: str = "png", kinds=None, detail=None,
                          workers: int | None = None) -> list[Path]:
    """Draw the charts a result supports and write them as ``<out_dir>/<kind>.<fmt>``.

    Parameters
    ----------
    result : SimulationResult
    out_dir : path-like
        Created if missing; files are written atomically.
    fmt : {"png", "svg"}
    kinds : iterable of str, optional
        Chart names of :data:`planner.charts.CHARTS`; None draws every chart the results
        have the series for (:func:`planner.charts.available_charts`). Asking for one they
        lack raises :class:`~planner.errors.PlannerError` naming what is missing.
    detail : SimulationResult, optional
        The same scenario's first paths with every series by segment (a run's
        :attr:`~planner.run.Run.detail`): draws the charts ``result`` lacks the series for
        (MRR bridge, unit economics, P&L) and the cohort charts (see
        :func:`~planner.charts.registry.chart_sources`).
    workers : int, optional
        Processes to draw with; None: two when a second core is free
        (:func:`planner.charts.parallel.chart_workers`), 1: all in this process.

    Returns
    -------
    list of Path
        The files written, in chart order.
    """
    tasks = standard_chart_tasks(result, out_dir, fmt, kinds, detail)
    return run_tasks([task for _, task in tasks], [task_cost(k) for k, _ in tasks], workers)


def write_comparison_chart(comparison, out_dir: str | Path, fmt: str = "png") -> Path:
    """Draw :func:`planner.charts.plot_plan_comparison` to ``<out_dir>/plan_comparison.<fmt>``."""
    drawn = plot_plan_comparison(comparison)
    path = save_chart(drawn, Path(out_dir) / f"plan_comparison.{fmt}", fmt)
    release(drawn)
    return path
