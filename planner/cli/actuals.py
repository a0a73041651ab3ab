"""``planner track`` and ``planner actuals ...``: thin commands over :mod:`planner.actuals`.

Registered by :mod:`planner.cli`; errors go through :func:`planner.cli.common.user_errors`.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from planner.cli.common import load, user_errors, wrote_line
from planner.cli.options import out_option, plan_option, seed_option, set_option
from planner.errors import Problem, ScenarioError

mapping_option = click.option("--mapping", type=click.Path(dir_okay=False),
                              help="YAML file with the column mapping and reading decisions "
                                   "(columns:, currency:, rates:, plan_segments:, ...; docs/actuals.md).")
as_of_option = click.option("--as-of", "as_of", metavar="YYYY-MM",
                            help="Last closed month (default: the latest month with a start or an end).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON and nothing else.")


def _month(text: str | None, option: str = "--as-of"):
    from planner.scenario.spec import parse_month

    if text is None:
        return None
    month = parse_month(text)
    if month is None:
        raise ScenarioError([Problem(option, None, "", f"must be a month YYYY-MM (got {text!r})")])
    return month


def read_actuals(paths, mapping: str | None, as_of: str | None):
    """Ledgers (combined) or one MRR table -> (CustomerMrr, Ledger or None)."""
    from planner.actuals.readers import read_books

    return read_books(list(paths), mapping, _month(as_of))


@click.command("track")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("actuals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--financials", type=click.Path(dir_okay=False),
              help="Monthly financials CSV (month, revenue, cash, spend by department, headcount).")
@mapping_option
@as_of_option
@click.option("--paths", type=click.IntRange(1, 1_000_000), help="Monte Carlo paths (default: the scenario's).")
@seed_option
@plan_option
@set_option
@click.option("--fiscal-year-start", type=click.IntRange(1, 12),
              help="Month (1-12) the year-to-date sums restart in (default: the scenario's start month).")
@click.option("--charts/--no-charts", default=True, show_default=True, help="Also write the tracking charts (PNG).")
@json_option
@out_option
@user_errors
def track_command(scenario, actuals, financials, mapping, as_of, paths, seed, plan, overrides,
                  fiscal_year_start, charts, as_json, out_dir):
    """Plan vs actual: where each actual month of ACTUALS landed in SCENARIO's range.

    ACTUALS are subscription ledgers (one or more, combined) or one MRR table, told apart
    by their header. Prints, per series and month, the actual, the plan's P10/P50/P90,
    the actual's percentile and the variance (month and year to date), then a
    calibration line; writes tracking.json, tracking.csv, movements.csv and charts to
    --out (default outputs/<scenario name>/).
    """
    from planner import simulate
    from planner.actuals import movements, read_financials, track, tracking_text
    from planner.report.tables import output_dir
    from planner.scenario.choices import resolve_plan

    sc = load(scenario, overrides)
    book, _ = read_actuals(list(actuals), mapping, as_of)
    fin = read_financials(financials) if financials else None
    mv = movements(book)
    result = simulate(sc, paths=paths, seed=seed, plan=resolve_plan(sc, plan, option="--plan"))
    try:
        tracking = track(result, mv, fin, fiscal_year_start=fiscal_year_start)
    except ValueError as err:
        raise ScenarioError([Problem(actuals[0], None, "", str(err))]) from None
    target = output_dir(sc.name, out_dir)
    files = _write_tracking(tracking, mv, target, charts)
    if as_json:
        click.echo(json.dumps(tracking.to_dict(), indent=2, allow_nan=False))
        return
    click.echo(tracking_text(tracking), nl=False)
    click.echo(wrote_line(files))


def _write_tracking(tracking, mv, target: Path, charts: bool) -> list[Path]:
    import csv
    import io

    from planner.io import write_text

    target.mkdir(parents=True, exist_ok=True)
    data = tracking.to_dict()
    write_text(target / "tracking.json", json.dumps(data, indent=2, allow_nan=False) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = ["actual", "p10", "p50", "p90", "percentile", "inside_p10_p90", "variance", "ytd_actual",
            "ytd_p50", "ytd_variance"]
    writer.writerow(["series", "source", "month"] + keys)
    for name, s in data["series"].items():
        for row in s["rows"]:
            writer.writerow([name, s["source"], row["month"]] + ["" if row[k] is None else row[k] for k in keys])
    write_text(target / "tracking.csv", buffer.getvalue())
    mv.to_csv(target / "movements.csv")
    files = [target / "tracking.json", target / "tracking.csv", target / "movements.csv"]
    if charts:
        from planner.actuals.chart import plot_tracking
        from planner.charts.files import save_chart

        for name in ("arr", "customers", "new_mrr", "churned_mrr", "cash"):
            if name in tracking.series:
                files.append(save_chart(plot_tracking(tracking, name), target / f"tracking_{name}.png"))
    return files


@click.group("actuals")
def actuals_group():
    """Read billing actuals: MRR movements, cohorts for planner fit, the opening book."""


@actuals_group.command("movements")
@click.argument("actuals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@mapping_option
@as_of_option
@click.option("--by-segment/--company", default=True, show_default=True,
              help="One bridge per segment, or the company's.")
@json_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also write the bridge as CSV here.")
@user_errors
def movements_command(actuals, mapping, as_of, by_segment, as_json, out_file):
    """MRR movements (new, expansion, reactivation, contraction, churned) per month, reconciled.

    ACTUALS: subscription ledgers or one MRR table.
    """
    from planner.actuals.movements import movements, movements_text

    book, _ = read_actuals(list(actuals), mapping, as_of)
    mv = movements(book)
    if out_file:
        mv.to_csv(out_file, by_segment)
    if as_json:
        click.echo(json.dumps({"currency": mv.currency, "rows": mv.rows(by_segment), "notes": list(mv.notes)}))
        return
    click.echo(movements_text(mv, by_segment), nl=False)
    if out_file:
        click.echo(f"Wrote {out_file}")


@actuals_group.command("cohorts")
@click.argument("actuals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@mapping_option
@as_of_option
@click.option("--period", type=click.Choice(["month", "year"]), default="month", show_default=True,
              help="Age step: months, or years (annual plans; then planner fit --period year).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default="cohorts.csv", show_default=True,
              help="Where to write the history (the long layout planner fit reads).")
@user_errors
def cohorts_command(actuals, mapping, as_of, period, out_file):
    """Cohort retention history (logos and MRR) for planner fit, straight from the ledger."""
    from planner.actuals import cohort_history, write_cohorts

    book, _ = read_actuals(list(actuals), mapping, as_of)
    history = cohort_history(book, period)
    write_cohorts(history, out_file)
    segments = sorted(set(history.segments or ()))
    click.echo(f"Wrote {out_file}: {history.n_cohorts} cohorts, {history.n_customers:,} customers, "
               f"segments {', '.join(segments)}. Next: planner fit {out_file} --segment {segments[0]}"
               + (" --period year" if period == "year" else "") if segments else f"Wrote {out_file}: no cohorts")


@actuals_group.command("opening")
@click.argument("ledgers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="YYYY-MM", required=True, help="The last closed month.")
@mapping_option
@click.option("--financials", type=click.Path(dir_okay=False), help="Financials CSV: opening cash from its as-of month.")
@json_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also write the YAML block here.")
@user_errors
def opening_command(ledgers, as_of, mapping, financials, as_json, out_file):
    """The opening book at the close of --as-of, as scenario YAML (or JSON)."""
    from planner.actuals import read_financials
    from planner.actuals.opening import closing_cash, opening_book, opening_yaml
    from planner.io import write_text

    month = _month(as_of)
    _, ledger = read_actuals(list(ledgers), mapping, as_of)
    if ledger is None:
        raise ScenarioError([Problem(ledgers[0], None, "", "the opening book needs a subscription ledger "
                                     "(billing terms), not an MRR table")])
    book = opening_book(ledger, month)
    cash = None
    if financials:
        cash = closing_cash(read_financials(financials), month)
    if as_json:
        click.echo(json.dumps(book.to_dict() | {"cash": cash}))
        return
    text = opening_yaml(book, cash)
    if out_file:
        write_text(out_file, text)
    click.echo(text, nl=False)
