"""Charts: what each plot_* function draws (series, labels, titles, legends), rendered with Agg.

Figures are created without pyplot and styled inside an rc_context, so the tests also
check that drawing leaves matplotlib's global state alone.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import planner
from planner.charts import (CHARTS, available_charts, draw_chart, figure_bytes, plot_arr_fan, plot_cash_fan,
                            plot_cohort_layers, plot_funnel, plot_headcount, plot_mrr_bridge, plot_mrr_waterfall,
                            plot_plan_comparison, plot_pnl, plot_retention, plot_unit_economics, save_chart,
                            write_comparison_chart, write_standard_charts)
from planner.charts.cohort_charts import cohort_layers
from planner.charts.costs import department_headcount
from planner.charts.fans import cash_out_curve
from planner.charts.style import MoneyFormatter
from planner.errors import PlannerError
from planner.report.summary import RUN_SERIES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def midmarket():
    sc = planner.load_scenario(SCENARIOS / "series_a_midmarket.yaml")
    return planner.simulate(sc, paths=200, seed=3)


@pytest.fixture(scope="module")
def seed_stage():
    sc = planner.load_scenario(SCENARIOS / "seed_selfserve_smb.yaml")
    return planner.simulate(sc, paths=200, seed=3)


def _title(ax: Axes) -> str:
    return " ".join(ax.get_title(loc="left").split())      # titles wrap to narrow panels


def _subtitle(ax: Axes) -> str:
    return " ".join(next(t.get_text() for t in ax.texts if t.get_gid() == "subtitle").split())


def _legend(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    return [" ".join(t.get_text().split()) for t in legend.get_texts()] if legend else []


def _ticks(ax: Axes, axis: str = "y") -> list[str]:
    ax.figure.canvas.draw() if hasattr(ax.figure.canvas, "draw") else None
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def _render(drawn) -> None:
    """Draw on an Agg canvas so tick labels exist."""
    figure_bytes(drawn, "png", dpi=40)


def test_arr_fan_draws_bands_median_and_target(midmarket):
    ax = plot_arr_fan(midmarket, target=30e6)
    _render(ax)
    assert len(ax.collections) == 2                      # P10-P90 and P25-P75 bands
    p50 = next(line for line in ax.lines if line.get_label() == "ARR P50")
    np.testing.assert_allclose(p50.get_ydata(), midmarket.quantiles("arr", 0.5)[0])
    assert "Target" in _legend(ax) and {"ARR P10-P90", "ARR P25-P75", "ARR P50"} <= set(_legend(ax))
    assert "ARR" in _title(ax) and "series-a-midmarket" in _subtitle(ax)
    assert all(t.startswith("$") and t[-1] in "0KMB" for t in _ticks(ax))
    assert isinstance(ax.yaxis.get_major_formatter(), MoneyFormatter)
    assert _ticks(ax, "x")[0] == "Jan 2027"


def test_cash_fan_has_zero_minimum_and_cash_out_axis(seed_stage):
    ax = plot_cash_fan(seed_stage)
    _render(ax)
    labels = _legend(ax)
    assert "Zero cash" in labels and "Minimum cash $250K" in labels
    assert "Paths out of cash (right axis)" in labels
    right = ax.right_ax
    np.testing.assert_allclose(right.lines[0].get_ydata(), cash_out_curve(seed_stage))
    assert 0 < cash_out_curve(seed_stage)[-1] <= right.get_ylim()[1]
    # $0 on the left and 0% on the right sit at the same height
    (lo, hi), (rlo, rhi) = ax.get_ylim(), right.get_ylim()
    assert lo < 0 and (0 - lo) / (hi - lo) == pytest.approx((0 - rlo) / (rhi - rlo))
    assert _ticks(right)[0] == "0%" and _ticks(right)[-1].endswith("%")
    assert "plan no_new_money" in _subtitle(ax) and "cash runs out by 2029-12 on" in _subtitle(ax)


def test_cash_fan_without_cash_out_has_no_right_axis(midmarket):
    ax = plot_cash_fan(midmarket)
    assert cash_out_curve(midmarket)[-1] == 0
    assert ax.right_ax is None and len(ax.figure.axes) == 1
    assert not any("out of cash" in label for label in _legend(ax))
    assert "cash runs out on no path" in _subtitle(ax)


def test_mrr_bridge_reconciles_to_the_change_in_mean_mrr(midmarket):
    ax = plot_mrr_bridge(midmarket)
    assert _legend(ax) == ["Net new MRR", "New", "Expansion", "Contraction", "Churned"]
    quarters = len(midmarket.months) // 3
    assert len(ax.patches) == 4 * quarters
    net = ax.lines[0].get_ydata()
    mrr = midmarket.total("mrr").mean(axis=0)
    opening = (mrr[0] - (midmarket.total("new_mrr") + midmarket.total("expansion_mrr")
                         - midmarket.total("contraction_mrr") - midmarket.total("churned_mrr"))[:, 0].mean())
    np.testing.assert_allclose(net.sum(), mrr[-1] - opening, rtol=1e-9)
    assert "(mean)" in _title(ax) and "by quarter" in _title(ax)
    assert "P50" in _title(plot_mrr_bridge(midmarket, stat="p50", freq="month"))


def test_mrr_waterfall_closes_at_the_mean_mrr(midmarket):
    ax = plot_mrr_waterfall(midmarket)
    closing = ax.patches[-1].get_height()
    assert closing == pytest.approx(midmarket.total("mrr")[:, -1].mean(), rel=1e-9)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Start", "FY2027", "FY2028", "FY2029", "FY2030", "FY2031", "End"]


def test_cohort_layers_add_up_to_mean_arr(midmarket):
    labels, layers, opening = cohort_layers(midmarket)
    assert labels[0] == "FY2027 Q1" and len(labels) == 20
    np.testing.assert_allclose(layers.sum(axis=0) + opening, midmarket.total("arr").mean(axis=0), rtol=1e-9)
    assert (layers[1:, :3] == 0).all()                   # Q2's cohorts are not won in Q1
    ax = plot_cohort_layers(midmarket)
    assert len(ax.collections) == 1 + 20
    assert _legend(ax) == ["Opening book", "FY2027 cohorts", "FY2028 cohorts", "FY2029 cohorts", "FY2030 cohorts",
                           "FY2031 cohorts"]


def test_retention_panels(midmarket):
    left, right = plot_retention(midmarket)
    assert left.figure is right.figure
    assert {"smb: customers", "smb: MRR", "enterprise: MRR"} <= set(_legend(left))
    assert left.lines[0].get_ydata()[0] == pytest.approx(1.0)
    image = right.images[0].get_array()
    assert image.shape == (20, 60)
    assert np.ma.is_masked(image[-1, -1]) and image[0, 0] == pytest.approx(1.0)   # after the plan: blank
    assert "Revenue retention" in _title(right)


def test_unit_economics_panels_have_benchmark_bands(midmarket):
    axes = plot_unit_economics(midmarket)
    assert [_title(ax).split(" by")[0] for ax in axes] == ["LTV:CAC", "CAC payback", "Burn multiple"]
    band_labels = [t.get_text().replace("\n", " ") for t in axes[1].texts if t.get_gid() == "band"]
    assert "excellent" in band_labels and "problematic" in band_labels
    assert len(axes[2].patches) == 5                     # five burn-multiple bands
    assert any("P50" in text for text in _legend(axes[0]))


def test_headcount_counts_the_hiring_plan(midmarket):
    ax = plot_headcount(midmarket)
    counts = department_headcount(midmarket.scenario)
    simulated = department_headcount(midmarket)             # from role_headcount: the plan on every path
    assert list(simulated) == list(counts)
    for dept in counts:
        np.testing.assert_array_equal(simulated[dept], counts[dept])
    total = sum(counts.values())
    assert _legend(ax) == ["Sales", "Marketing", "R&D", "Customer success", "G&A"]
    tops = np.array([p.get_y() + p.get_height() for p in ax.patches[-len(total):]])
    np.testing.assert_allclose(tops, total)
    assert f"{total[-1]:,.0f} at 2031-12" in _subtitle(ax)


def test_pnl_stack_and_revenue(midmarket):
    ax = plot_pnl(midmarket)
    assert _legend(ax)[:2] == ["Revenue", "EBITDA"]
    assert {"COGS", "Sales & marketing", "R&D", "Customer success", "G&A"} <= set(_legend(ax))
    revenue = ax.lines[0].get_ydata()
    assert revenue[0] == pytest.approx(midmarket.total("revenue")[:, :3].sum(axis=1).mean())


def test_plan_comparison_cash_per_plan_and_ownership_agree_with_the_table(seed_stage):
    comparison = planner.compare(seed_stage.scenario, paths=200, seed=3)
    drawn = plot_plan_comparison(comparison)
    names = [row["plan"] for row in comparison.rows]
    assert len(drawn) == len(names) + 1                              # a cash panel per plan, then ownership
    for ax, row in zip(drawn, comparison.rows):
        result = comparison.results[row["plan"]]
        p50 = next(line for line in ax.lines if line.get_label() == "P50")
        # paths out of cash count with their simulated cash, as in the table (not as 0)
        np.testing.assert_allclose(p50.get_ydata(), np.quantile(result.total("cash"), 0.5, axis=0))
        assert _title(ax).startswith(f"{row['plan']}: trough P10 ")
        assert planner.format.money(row["cash_trough_p10"], "USD") in _title(ax)
        assert " = " not in _title(ax)
    assert len({ax.get_ylim() for ax in drawn[:-1]}) == 1            # one cash scale for every plan
    own = drawn[-1]
    assert [t.get_text() for t in own.get_yticklabels()] == names
    widths = [bar.get_width() for bar in own.patches]
    assert widths == pytest.approx([row["ownership_after"]["p50"] for row in comparison.rows])
    shown = [t.get_text() for t in own.texts]
    assert all(f"{row['dilution']['p50']:.1%} dilution" in text for row, text in zip(comparison.rows, shown))
    assert any("same draws" in t.get_text() for t in drawn[0].figure.texts)


def test_ownership_labels_clear_the_whiskers_and_bars_stay_inside_the_frame(seed_stage):
    """Review finding 14: the P10-P90 whisker covered the word "dilution", and a plan that
    keeps 100% ran its bar into the frame."""
    comparison = planner.compare(seed_stage.scenario, paths=200, seed=3)
    own = plot_plan_comparison(comparison)[-1]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(own.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = [t.get_window_extent(renderer) for t in own.texts]
    from matplotlib.transforms import Bbox

    whiskers = [Bbox(own.transData.transform(seg)) for c in own.collections for seg in c.get_segments()]
    whiskers += [line.get_window_extent(renderer) for line in own.lines]   # the caps
    assert whiskers  # some plan has a P10-P90 range
    for label in labels:
        assert not any(label.overlaps(w) for w in whiskers)
    frame = own.get_window_extent(renderer)
    for bar in own.patches:
        assert bar.get_window_extent(renderer).x1 < frame.x1 - 2          # a gap before the frame
    assert own.get_xlim()[1] > 1.0 and max(own.get_xticks()) == pytest.approx(1.0)


def test_funnel_without_a_funnel_is_a_clean_error(midmarket):
    assert "leads" in midmarket.names and not midmarket.total("leads").any()   # the series exist, all zero
    with pytest.raises(PlannerError, match="this scenario has no funnel"):
        plot_funnel(midmarket)
    with pytest.raises(PlannerError, match="no funnel"):
        draw_chart("funnel", midmarket)
    assert "funnel" not in available_charts(midmarket)


def test_draws_on_given_axes_and_leaves_global_state_alone(midmarket):
    before = dict(matplotlib.rcParams)
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_arr_fan(midmarket, ax=ax) is ax
    axes = fig.subplots(1, 2)
    assert list(plot_retention(midmarket, axes=axes)) == list(axes)
    assert dict(matplotlib.rcParams) == before
    from matplotlib._pylab_helpers import Gcf
    assert Gcf.get_all_fig_managers() == []


@pytest.mark.parametrize("values, expected", [
    ([0, 250e3, 5e5, 75e4, 1e6], ["$0", "$0.25M", "$0.50M", "$0.75M", "$1.00M"]),
    ([0, 2e6, 4e6], ["$0", "$2M", "$4M"]),
    ([-5e5, 0, 5e5, 1e6], ["-$0.5M", "$0", "$0.5M", "$1.0M"]),
    ([-5e5, 0, 5e5], ["-$500K", "$0", "$500K"]),
    ([0, 2e4, 4e4], ["$0", "$20K", "$40K"]),
])
def test_money_axis_labels_share_one_unit(values, expected):
    formatter = MoneyFormatter("USD")
    formatter.set_locs(values)
    assert [formatter(v, i) for i, v in enumerate(values)] == expected
    assert formatter(1234567) == "$1.2M"
    other = MoneyFormatter("CHF")
    other.set_locs([0, 1e6])
    assert other(1e6, 1) == "1M CHF"


def test_png_at_2x_and_svg_are_reproducible(midmarket, tmp_path):
    ax = plot_arr_fan(midmarket)
    png = figure_bytes(ax, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    assert Image.open(io.BytesIO(png)).size == (2000, 1125)      # 10 x 5.625 in at 200 dpi
    svg = figure_bytes(plot_arr_fan(midmarket), "svg")
    assert b"<svg" in svg and figure_bytes(plot_arr_fan(midmarket), "svg") == svg   # same chart, same bytes
    path = save_chart(plot_arr_fan(midmarket), tmp_path / "arr.svg")
    assert path.read_bytes() == svg
    with pytest.raises(ValueError, match="format"):
        figure_bytes(ax, "gif")


def test_standard_charts_of_a_full_and_of_a_run_result(midmarket, tmp_path):
    files = write_standard_charts(midmarket, tmp_path / "full")
    assert [f.stem for f in files] == available_charts(midmarket)
    assert "funnel" not in available_charts(midmarket) and "plan_comparison" not in available_charts(midmarket)
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in files)
    run = planner.simulate(midmarket.scenario, paths=200, seed=3, keep=RUN_SERIES, by_segment=False)
    assert "unit_economics" not in available_charts(run) and "mrr_bridge" in available_charts(run)
    with pytest.raises(PlannerError, match="chart 'unit_economics' needs series this result does not keep"):
        draw_chart("unit_economics", run)
    both = write_standard_charts(run, tmp_path / "run", "svg", detail=midmarket)
    assert {f.stem for f in both} == set(available_charts(midmarket))
    path = write_comparison_chart(planner.compare(midmarket.scenario, paths=50, seed=3), tmp_path / "run")
    assert path.name == "plan_comparison.png"
    assert set(CHARTS) == set(available_charts(midmarket)) | {"funnel", "plan_comparison"}


def test_charts_drawn_on_two_processes_are_the_same_files(midmarket, tmp_path):
    serial = write_standard_charts(midmarket, tmp_path / "one", workers=1)
    parallel = write_standard_charts(midmarket, tmp_path / "two", workers=2)
    assert [f.name for f in parallel] == [f.name for f in serial] == [f"{k}.png" for k in available_charts(midmarket)]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(serial, parallel))


def test_drawing_shares_tasks_between_two_processes_and_keeps_their_order():
    """Each task runs once, costliest first, on this process or the forked helper; results
    come back in task order."""
    import os
    from planner.charts.parallel import Drawing, chart_workers

    tasks = [lambda i=i: [(i, os.getpid())] for i in range(6)]
    drawing = Drawing(tasks, [1, 1, 5, 1, 1, 1], workers=2)
    for _ in range(2000):  # this process is busy elsewhere until the helper has begun
        if drawing._next.value > 0:
            break
        time.sleep(0.005)
    out = drawing.finish()
    assert [i for i, _ in out] == list(range(6))
    pids = dict(out)
    assert pids[2] != os.getpid()  # the helper took the costliest at once
    assert Drawing(tasks, [1] * 6, workers=1).finish() == [[(i, os.getpid())][0] for i in range(6)]
    assert chart_workers(1, 100.0) == 1 and chart_workers(None, 0.5) == 1 and chart_workers(3, 0.5) == 3


def test_drawing_closed_early_stops_handing_out_tasks():
    from planner.charts.parallel import Drawing

    ran = []
    drawing = Drawing([lambda i=i: ran.append(i) or [i] for i in range(4)], [1] * 4, workers=1)
    drawing.close()
    assert ran == []


def test_chart_png_has_the_pixels_matplotlib_saves(midmarket):
    """figure_bytes encodes matplotlib's own rendering (planner.charts.png): the pixels of
    savefig's PNG at the slide resolution, every one."""
    from PIL import Image
    from planner.charts.files import _laid_out
    from planner.charts.style import SLIDE_DPI, chart_style
    drawn = draw_chart("arr_fan", midmarket)
    ours = np.asarray(Image.open(io.BytesIO(figure_bytes(drawn, "png"))))
    fig, buf = drawn.figure, io.BytesIO()
    with chart_style(), _laid_out(fig):
        fig.savefig(buf, format="png", dpi=SLIDE_DPI, facecolor="white")
    np.testing.assert_array_equal(ours, np.asarray(Image.open(buf)))


def test_every_chart_is_one_slide_size_and_drawn_once(midmarket, monkeypatch):
    """2,000 x 1,125 px for every chart, multi-panel ones too; each figure drawn once."""
    from PIL import Image
    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: (draws.append(self), original(self, renderer))[1])
    for kind in available_charts(midmarket):
        drawn = draw_chart(kind, midmarket)
        draws.clear()
        png = figure_bytes(drawn, "png")
        assert Image.open(io.BytesIO(png)).size == (2000, 1125), kind
        assert len(draws) == 1, kind


def test_cash_fan_marks_dated_and_triggered_funding_events():
    from planner.analysis.funding_events import funding_events
    sc = planner.load_scenario(SCENARIOS / "series_a_midmarket.yaml")
    result = planner.simulate(sc, paths=200, seed=3, plan="staged")
    events = funding_events(result)
    dated = [e for e in events if e.month is not None]
    triggered = [e for e in events if e.month is None and e.months is not None]
    assert dated and triggered
    ax = plot_cash_fan(result)
    lines = [a for a in ax.lines if a.get_gid() == "funding_event"]
    x = planner.charts.style.month_dates(result.months)
    assert [line.get_xdata()[0] for line in lines] == [x[e.month] for e in dated]
    spans = [p for p in ax.patches if p.get_gid() == "funding_event"]
    assert len(spans) == len(triggered)
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "funding_event_label"]
    assert len(labels) == len(dated) + len(triggered)
    assert any(f"{triggered[0].probability:.0%} of paths" in text for text in labels)
    assert {"Funding event", "Triggered round, P10-P90 month"} <= set(_legend(ax))
    assert plot_cash_fan(result, events=[]).texts and not [t for t in plot_cash_fan(result, events=[]).texts
                                                          if t.get_gid() == "funding_event_label"]


def test_cash_fan_p50_jumps_at_a_dated_round_like_its_band():
    """Review finding 15: at a funding month the band broke but the P50 was drawn as a
    one-month ramp. Now both have a gap just before the round's month."""
    sc = planner.load_scenario(SCENARIOS / "series_a_midmarket.yaml")
    result = planner.simulate(sc, paths=200, seed=3)
    from planner.analysis.funding_events import funding_events
    [t] = [e.month for e in funding_events(result) if e.month is not None]
    ax = plot_cash_fan(result)
    p50 = next(line for line in ax.lines if line.get_label() == "Cash P50")
    y = np.asarray(p50.get_ydata(), dtype=float)
    q50 = np.quantile(result.total("cash"), 0.5, axis=0)
    assert np.isnan(y[t]) and np.isnan(y).sum() == 1            # the gap sits before the round's month
    np.testing.assert_allclose(np.delete(y, t), q50)              # every month's P50, unchanged
    x = planner.charts.style.month_dates(result.months)
    assert p50.get_xdata()[t - 1] == x[t - 1] and p50.get_xdata()[t + 1] == x[t]
    band = ax.collections[0].get_paths()                          # P10-P90: one polygon each side of the gap
    assert len(band) == 2
    assert len(plot_cash_fan(result, events=[]).collections[0].get_paths()) == 1


def test_month_axis_is_the_same_on_every_chart(midmarket):
    """Fixed ticks: 'Jan 2027' every 12 months on a 5-year plan, minor ticks every quarter."""
    from matplotlib.ticker import FixedLocator
    for kind in ("arr_fan", "cash_fan", "mrr_bridge", "headcount", "pnl", "cohort_layers"):
        ax = draw_chart(kind, midmarket)
        _render(ax)
        assert isinstance(ax.xaxis.get_major_locator(), FixedLocator), kind
        assert _ticks(ax, "x") == ["Jan 2027", "Jan 2028", "Jan 2029", "Jan 2030", "Jan 2031"], kind
        assert len(ax.xaxis.get_minorticklocs()) == 15, kind


def test_unit_economics_chart_says_what_it_draws(midmarket):
    axes = plot_unit_economics(midmarket)
    # a blend has the company's payback bands, not the enterprise tier's
    payback_bands = [t.get_text().replace("\n", " ") for t in axes[1].texts if t.get_gid() == "band"]
    assert not any("enterprise" in label for label in payback_bands)
    # a formula line that lies on the cohort line is not drawn, and the legend says so
    for ax in axes[:2]:
        legend = " ".join(_legend(ax))
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert bool(dashed) == ("formula within 5%" not in legend)
        assert bool(dashed) == ("formula" in legend.replace("formula within 5%", ""))
    # quarters without burn have no burn multiple (not 0 in the "amazing" band)
    from planner.charts.economics import unit_economics_quantiles
    _, q = unit_economics_quantiles(midmarket, ["burn_multiple"])
    p50 = next(line for line in axes[2].get_lines() if line.get_marker() == "o").get_ydata()
    no_burn = q["burn_multiple"][1] == 0
    assert no_burn.any() and np.isnan(np.asarray(p50, float)[no_burn]).all()
    assert any("no burn" in text for text in _legend(axes[2]))


def test_free_cores_reads_the_tasks_runnable_now(monkeypatch):
    """/proc/loadavg's runnable count (this process among them), not the 1-minute load."""
    import io as _io
    from planner.charts import parallel
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    for line, free in (("1.90 1.2 1.0 1/80 9", 2), ("0.10 0.1 0.1 2/80 9", 1), ("0.1 0.1 0.1 5/80 9", 1)):
        monkeypatch.setattr(parallel, "open", lambda *a, line=line: _io.StringIO(line), raising=False)
        assert parallel.free_cores() == free, line
