"""What drives the range, in words, HTML, workbook tables and files.

- :func:`drivers_text`: the lines ``planner run`` prints (the cheap rank-correlation
  estimate in ``summary["drivers"]``);
- :func:`sensitivity_text`: what ``planner sensitivity`` prints;
- :func:`report_sensitivity`: the report's own analysis (a tornado and Sobol indices on a
  modest number of paths), drawn by :mod:`planner.report.html` and tabled by
  :mod:`planner.report.workbook`;
- :func:`sensitivity_tables`: the workbook sheet's rows;
- :func:`write_sensitivity`: sensitivity.json and the charts.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from planner.format import percent, value_text
from planner.io import write_text
from planner.sweep.sensitivity import make_statistic, sensitivity, uncertain_inputs

#: paths and base samples of the report's own analysis (a few seconds for a typical plan)
REPORT_PATHS = 512
REPORT_BASE_SAMPLES = 512


#: the outcomes of the run's drivers estimate, in the order printed
DRIVER_OUTCOMES = (("arr_end", "ARR at the horizon"), ("cash_trough", "Cash trough"))


def drivers_text(drivers: dict, currency: str, width: int = 100) -> str:
    """The top drivers of ARR at the horizon and of the cash trough as one table: an input
    a row (those in either top list, by their largest share), per outcome its share of
    the rank "contribution to variance" and its signed rank correlation; within
    ``width`` columns (a long key path is shortened in the middle)."""
    head = "  What drives the range (squared Spearman rank correlation; more: planner sensitivity):"
    by_input: dict[str, dict[str, dict]] = {}
    for key, _ in DRIVER_OUTCOMES:
        for r in drivers[key]:
            by_input.setdefault(r["input"], {})[key] = r
    if not by_input:
        return head + "\n    no input moves ARR at the horizon or the cash trough"
    order = sorted(by_input, key=lambda name: -max(r["share"] for r in by_input[name].values()))
    cell_w = max(len(label) for _, label in DRIVER_OUTCOMES) + 2
    name_w = min(max(len(n) for n in order), width - 4 - cell_w * len(DRIVER_OUTCOMES))
    lines = [head, "    " + " " * name_w + "".join(f"{label:>{cell_w}}" for _, label in DRIVER_OUTCOMES)]
    for name in order:
        cells = []
        for key, _ in DRIVER_OUTCOMES:
            r = by_input[name].get(key)
            text = "-" if r is None else f"{percent(r['share'])} {r['rank_correlation']:+.2f}"
            cells.append(f"{text:>{cell_w}}")
        lines.append(f"    {_shorten(name, name_w):<{name_w}}" + "".join(cells))
    return "\n".join(lines)


def _shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut in the middle (``segments...cac``)."""
    if len(text) <= width:
        return text
    keep = width - 3
    return text[: keep - keep // 2] + "..." + text[len(text) - keep // 2:]


def sensitivity_text(results: dict) -> str:
    """What ``planner sensitivity`` prints for the analyses in ``results``."""
    parts = []
    if "tornado" in results:
        t = results["tornado"]
        v = lambda x: value_text(x, t.unit, t.currency)  # noqa: E731
        lo, hi = (round(100 * p) for p in t.percentiles)
        parts.append(f"Tornado: {t.statistic} (base {v(t.base)}), each input from its P{lo} to its "
                     f"P{hi}; {t.paths:,} paths, seed {t.seed}, plan {t.plan}")
        parts.append(f"  {'input':<58}{'low':>12}{'high':>12}{'at low':>14}{'at high':>14}{'swing':>14}")
        for r in t.rows:
            name = r.input + (" (given)" if r.kind == "varied" else "")
            parts.append(f"  {name:<58}{r.low:>12,.4g}{r.high:>12,.4g}{v(r.at_low):>14}"
                         f"{v(r.at_high):>14}{v(r.swing):>14}")
        parts += [f"  Note: {n}." for n in t.notes]
    if "spider" in results:
        s = results["spider"]
        head = "".join(f"{'P' + format(100 * p, 'g'):>12}" for p in s.percentiles)
        parts.append(f"Spider: {s.statistic} with each input at its percentiles")
        parts.append(f"  {'input':<58}{head}")
        for r in s.rows:
            parts.append(f"  {r['input']:<58}" + "".join(f"{value_text(x, s.unit, s.currency):>12}"
                                                           for x in r["statistic"]))
    if "sobol" in results:
        parts.append(_sobol_text(results["sobol"]))
    return "\n".join(parts)


def _sobol_text(s) -> str:
    level = round(100 * s.confidence)
    names = [r.name if r.kind == "input" else f"{r.name} [{r.kind}]" for r in s.rows]
    w = max([16] + [len(n) + 2 for n in names])
    lines = [f"Sobol indices of {s.outcome}: share of its variance, {s.base_samples:,} base samples "
             f"({s.evaluations:,} paths), {level}% bootstrap intervals",
             f"  {'input or group':<{w}}{'first order':>24}{'total order':>24}"]
    for name, r in zip(names, s.rows):
        cell = lambda x, ci: f"{x:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"  # noqa: E731
        lines.append(f"  {name:<{w}}{cell(r.first, r.first_ci):>24}{cell(r.total, r.total_ci):>24}")
    lines.append(f"  First-order indices add up to {s.first_order_sum:.3f}: the rest "
                 f"({max(0.0, 1 - s.first_order_sum):.3f}) is interactions between inputs.")
    lines += [f"  Note: {n}." for n in s.notes]
    return "\n".join(lines)


def to_json(results: dict) -> dict:
    """The analyses as plain data (``--json``, sensitivity.json); NaN (an index of an
    outcome that does not vary) and infinities become null."""
    return _plain({k: v.to_dict() for k, v in results.items()})


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_sensitivity(results: dict, out_dir, fmt: str = "png", charts: bool = True) -> list[Path]:
    """Write sensitivity.json and, with ``charts``, tornado/spider/sobol charts to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "sensitivity.json"]
    write_text(files[0], json.dumps(to_json(results), indent=2, allow_nan=False) + "\n")
    if charts:
        from planner.charts.files import save_chart  # matplotlib: only when drawing
        from planner.charts.sensitivity import plot_sobol, plot_spider, plot_tornado

        for key, plot in (("tornado", plot_tornado), ("spider", plot_spider), ("sobol", plot_sobol)):
            if key in results:
                files.append(save_chart(plot(results[key]), out_dir / f"{key}.{fmt}"))
    return files


def report_sensitivity(result, *, paths: int = REPORT_PATHS, base_samples: int = REPORT_BASE_SAMPLES
                       ) -> dict | None:
    """The report's analysis: a tornado of P50 ARR at the horizon and the Sobol indices of ARR
    at the horizon, on the result's scenario, plan and seed (None without uncertain inputs)."""
    if not uncertain_inputs(result.scenario, result.plan or None):
        return None
    statistic = make_statistic(result.scenario, "arr", "P50")
    return sensitivity(result.scenario, statistic, methods=("tornado", "sobol"),
                       paths=min(paths, result.paths), seed=result.seed, plan=result.plan or None,
                       base_samples=base_samples)


def sensitivity_tables(results: dict) -> dict[str, list[list]]:
    """Rows (header first) of the workbook's sensitivity sheet: ``tornado`` and ``sobol``."""
    out = {}
    if "tornado" in results:
        t = results["tornado"]
        out["tornado"] = [["Input", "Kind", "Low", "High", f"{t.statistic} at low", f"{t.statistic} at high",
                           "Swing"]] + [[r.input, r.kind, r.low, r.high, r.at_low, r.at_high, r.swing]
                                        for r in t.rows]
    if "sobol" in results:
        s = results["sobol"]
        out["sobol"] = [["Input or group", "Kind", "First order", "First order interval", "Total order",
                         "Total order interval"]] + [
            [r.name, r.kind, r.first, f"{r.first_ci[0]:.3f} to {r.first_ci[1]:.3f}", r.total,
             f"{r.total_ci[0]:.3f} to {r.total_ci[1]:.3f}"] for r in s.rows]
    return out
