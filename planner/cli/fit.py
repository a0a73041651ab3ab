"""``planner fit``: fit a retention model to a cohort history (a thin layer over planner.fit)."""
from __future__ import annotations

import json

import click

from planner.errors import PlannerError
from planner.fit.choices import MODELS, PERIODS


@click.command("fit")
@click.argument("history", type=click.Path(dir_okay=False))
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
              help="Unit of one age step in the history: month or year.")
@click.option("--model", type=click.Choice(MODELS), default="sbg", show_default=True,
              help="Retention model: sbg = shifted-beta-geometric (Fader & Hardie 2007).")
@click.option("--segment", metavar="NAME", default=None,
              help="Fit only this segment of a history with a 'segment' column.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the fit as one JSON object on stdout instead of the table.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="outputs/fit", show_default=True,
              help="Directory for fit.json, retention.yaml and retention_fit.png.")
def fit_command(history: str, period: str, model: str, segment: str | None, as_json: bool, out_dir: str) -> None:
    """Fit customer retention to your own cohort history (CSV) by maximum likelihood.

    HISTORY is a CSV of active customers by cohort and age, in one of three layouts
    (told apart by the header): long (cohort, age, active[, mrr][, segment]),
    single cohort (age, active[, mrr]) or a wide triangle (cohort, 0, 1, 2, ...).
    Age 0 is acquisition. Prints the sBG parameters with standard errors, fitted vs
    actual survival, a projection, and a scenario `retention:` block carrying the
    parameter uncertainty; writes the same to --out with a chart.
    """
    from planner.fit import fit_retention, format_fit, write_fit_outputs

    try:
        fit = fit_retention(history, period=period, model=model, segment=segment)
    except PlannerError as err:
        raise click.ClickException(str(err)) from err
    try:
        write_fit_outputs(fit, out_dir)
    except OSError as err:
        where = err.filename or out_dir
        raise click.ClickException(f"cannot write the outputs to {where}: {err.strerror or err}") from err
    if as_json:
        click.echo(json.dumps(fit.to_dict()))
    else:
        click.echo(format_fit(fit, out_dir), nl=False)
