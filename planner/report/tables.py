"""Write a run's tables to files (atomically): the monthly projection CSV and summary JSON."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from planner.io import write_text
from planner.results import SimulationResult
from planner.report.summary import projection_table
from planner.report.unit_economics import metric_series_table


def projection_csv(result: SimulationResult) -> str:
    """The monthly P10/P50/P90 table as CSV text (money rounded to cents)."""
    header, rows = projection_table(result)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[0]] + [f"{v:.2f}" for v in row[1:]])
    return buf.getvalue()


#: paths behind the monthly unit-economics table (its cohort arithmetic is memory-hungry)
METRIC_SERIES_PATHS = 2_000


def metric_series_csv(result: SimulationResult) -> str:
    """Monthly P10/P50/P90 of the unit-economics metrics as CSV (empty cell: undefined),
    on the first :data:`METRIC_SERIES_PATHS` paths."""

    header, rows = metric_series_table(result.head(METRIC_SERIES_PATHS))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[0]] + ["" if v is None else f"{v:.6g}" for v in row[1:]])
    return buf.getvalue()


def write_run(run, out_dir: str | Path) -> list[Path]:
    """Write a :class:`planner.run.Run`: projection.csv, unit_economics.csv, summary.json."""
    files = write_run_outputs(run.result, out_dir, run.summary)
    return files[:1] + [write_metric_series(run.detail, out_dir)] + files[1:]


def write_metric_series(detail: SimulationResult, out_dir: str | Path) -> Path:
    """Write ``unit_economics.csv`` (:func:`metric_series_csv` of a run's detail paths)."""
    target = Path(out_dir) / "unit_economics.csv"
    write_text(target, metric_series_csv(detail))
    return target


def write_run_outputs(result: SimulationResult, out_dir: str | Path,
                      summary: dict) -> list[Path]:
    """Write ``projection.csv`` and ``summary.json`` into ``out_dir``.

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    files = [out_dir / "projection.csv", out_dir / "summary.json"]
    write_text(files[0], projection_csv(result))
    write_text(files[1], json.dumps(summary, indent=2) + "\n")
    return files


def comparison_csv(comparison: dict) -> str:
    """The plan comparison as CSV: one row per plan, quantiles flattened into columns."""
    rows = [_flatten(row) for row in comparison["plans"]]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _flatten(row: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}_")
        else:
            out[f"{prefix}{key}"] = value
    return out


def write_comparison(comparison: dict, out_dir: str | Path) -> list[Path]:
    """Write ``comparison.csv`` and ``comparison.json`` into ``out_dir``."""
    out_dir = Path(out_dir)
    files = [out_dir / "comparison.csv", out_dir / "comparison.json"]
    write_text(files[0], comparison_csv(comparison))
    write_text(files[1], json.dumps(comparison, indent=2) + "\n")
    return files


def output_dir(scenario_name: str, out: str | Path | None = None) -> Path:
    """Where a run writes: ``out`` if given, else ``outputs/<scenario name>/`` (a safe folder name)."""
    if out is not None:
        return Path(out)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in scenario_name).strip("-.")
    return Path("outputs") / (safe or "scenario")
