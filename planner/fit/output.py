"""A retention fit for people and files: the table ``planner fit`` prints, fit.json,
retention.yaml (a scenario ``retention:`` block) and the fit chart."""
from __future__ import annotations

import json
import os
from pathlib import Path

from planner.fit.chart import render_retention_png
from planner.fit.model import RetentionFit
from planner.format import plural
from planner.io import write_bytes, write_text


def format_fit(fit: RetentionFit, out_dir: str | os.PathLike | None = None) -> str:
    """The fit as readable text for a terminal: parameters, fitted vs actual, projection, YAML.

    Parameters
    ----------
    fit : RetentionFit
    out_dir : path-like, optional
        Where the output files went, to say so under the scenario block.
    """
    unit = f"{fit.period}s"
    last = int(fit.observed.ages[-1])
    where = f"{fit.source}" + (f", segment {fit.segment}" if fit.segment else "")
    lines = [
        f"sBG retention fit ({where})",
        f"  {plural(fit.n_cohorts, 'cohort')}, {plural(fit.n_customers, 'customer')}, "
        f"ages 0-{last} {unit} observed",
        "",
        f"  alpha           {fit.alpha:<10.4g} SE {fit.se_alpha:.3g}",
        f"  beta            {fit.beta:<10.4g} SE {fit.se_beta:.3g}",
        f"  log-likelihood  {fit.loglik:.2f}",
        "",
        "Fitted vs actual (active customers of the cohorts observed at each age)",
        f"  {'age':>4} {'cohorts':>8} {'acquired':>10} {'active':>10} {'expected':>10} {'actual':>8} {'fitted':>8}",
    ]
    for row in fit.table():
        lines.append(f"  {row['age']:>4} {row['cohorts']:>8} {row['customers']:>10,.0f} {row['active']:>10,.0f} "
                     f"{row['expected']:>10,.1f} {row['actual_survival']:>8.1%} {row['fitted_survival']:>8.1%}")
    lines += ["", f"Projected survival ({unit}; 80% interval from the parameter uncertainty)"]
    steps = (3, 6, 12, 24, 60) if fit.period == "month" else (1, 2, 5, 10, 20)
    step = next((s for s in steps if fit.horizon / s <= 8), steps[-1])
    for row in fit.projection()[(last // step + 1) * step::step]:
        lines.append(f"  age {row['age']:>3}: {row['survival']:6.1%}  ({row['lower']:.1%} - {row['upper']:.1%})")
    if fit.revenue is not None:
        lines += ["", "Revenue retention (pooled across cohorts, weighted by starting MRR)",
                  f"  {'age':>4} {'cohorts':>8} {'NRR':>8} {'MRR per customer':>17}"]
        for row in fit.revenue.rows():
            nrr, per = (f"{v:.1%}" if v is not None else "-" for v in (row["nrr"], row["mrr_per_customer"]))
            lines.append(f"  {row['age']:>4} {row['cohorts']:>8} {nrr:>8} {per:>17}")
    if fit.notes:
        lines += [""] + [f"Note: {note}" for note in fit.notes]
    where = f" (also in {Path(out_dir) / 'retention.yaml'})" if out_dir is not None else ""
    lines += ["", f"Scenario block{where}:", fit.scenario_block().rstrip("\n")]
    return "\n".join(lines) + "\n"


def write_fit_outputs(fit: RetentionFit, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``fit.json``, ``retention.yaml`` and ``retention_fit.png`` atomically.

    Parameters
    ----------
    fit : RetentionFit
    out_dir : path-like
        Output directory (created if missing).

    Returns
    -------
    list of Path
        The files written.
    """

    out = Path(out_dir)
    name = fit.segment or "NAME"
    yaml_text = (f"# sBG retention fitted by `planner fit` from {fit.source}"
                 + (f" (segment {fit.segment})" if fit.segment else "")
                 + f": {fit.n_cohorts} cohorts, {fit.n_customers} customers\n"
                 + f"# Paste under segments.{name}: in a scenario\n" + fit.retention_block())
    if fit.revenue is not None:
        yaml_text += (f"# Paste under segments.{name}.expansion: (replaces monthly_rate and "
                      "contraction_monthly_rate)\n" + fit.revenue.scenario_block())
    files = [out / "fit.json", out / "retention.yaml", out / "retention_fit.png"]
    write_text(files[0], json.dumps(fit.to_dict(), indent=2) + "\n")
    write_text(files[1], yaml_text)
    write_bytes(files[2], render_retention_png(fit))
    return files
