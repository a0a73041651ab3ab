"""Options shared by several commands, declared once (sqlite-utils style).

:func:`run_options` is the bundle every command that simulates takes, so ``planner run``,
``report``, ``chart`` and ``compare`` ask the same questions the same way.
"""
from __future__ import annotations

import click


class PathsType(click.ParamType):
    """A number of paths (1 to 10 million) or ``auto``."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        try:
            number = int(str(value).replace("_", "").replace(",", ""))
        except ValueError:
            self.fail(f"{value!r} is not a whole number or 'auto'", param, ctx)
        if not 1 <= number <= 10_000_000:
            self.fail(f"{number} is not between 1 and 10,000,000", param, ctx)
        return number


seed_option = click.option("--seed", type=click.IntRange(0),
                           help="Random seed (default: the scenario's).")
plan_option = click.option("--plan", help="Funding plan from funding.plans "
                                          "(default: funding.plan or the first).")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False),
                          help="Output folder (default: outputs/<scenario name>/).")
set_option = click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                          help="Override one input, e.g. --set segments.smb.price.arpa=450 "
                               "(repeatable).")
sampling_option = click.option("--sampling",
                               type=click.Choice(["monte_carlo", "latin_hypercube", "sobol"]),
                               help="Sampling method (default: the scenario's simulation.sampling).")
paths_option = click.option(
    "--paths", type=PathsType(), help="Monte Carlo paths (default: the scenario's), or 'auto': add "
    "paths until ARR P50 is known to 1% and the cash-out probability to 0.5 points (95% confidence).")

quiet_option = click.option("--quiet", "-q", is_flag=True,
                             help="Print only the headline block and no progress.")
verbose_option = click.option("--verbose", "-v", is_flag=True,
                              help="Show the progress with each phase's time (also when not on a "
                                   "terminal) and list every file written.")


def display_options(func):
    """``--quiet`` and ``--verbose``: how much a command prints besides its answer."""
    return quiet_option(verbose_option(func))


_QUESTION_OPTIONS = (
    click.option("--raise-month", metavar="YYYY-MM", help="Month of the extra raise the "
                 "minimum-raise answer is for (default: the first month)."),
    click.option("--confidence", type=click.FloatRange(0.01, 1.0), default=0.9, show_default=True,
                 help="Share of paths the minimum raise must keep above funding.minimum_cash."),
    click.option("--until", type=click.Choice(["horizon", "breakeven"]), default="horizon",
                 show_default=True, help="Keep cash above the minimum through the horizon, or only "
                 "until each path's cash-flow breakeven."),
    click.option("--fiscal-year-start", type=click.IntRange(1, 12), help="Month (1-12) fiscal years "
                 "start in, for the unit economics (default: the scenario's start month)."),
    click.option("--cac-lag", type=click.IntRange(0, 24), default=0, show_default=True,
                 help="Months between S&M spend and the wins it buys, for CAC."),
    click.option("--target", "targets", multiple=True, metavar="T",
                 help="A target to check, e.g. 'P50(arr@2031-12) >= 50M' or 'P(cash_out by "
                      "2029-12) <= 10%' (repeatable; docs/targets.md)."),
)


def run_options(func):
    """SCENARIO and every option of a run: paths, seed, plan, out, set, sampling and the
    funding and unit-economics questions (passed on to :func:`planner.run.run_scenario`)."""
    options = (click.argument("scenario", required=False, type=click.Path()), paths_option,
               seed_option, plan_option, out_option, set_option, sampling_option) + _QUESTION_OPTIONS
    for option in reversed(options):
        func = option(func)
    return func


def question(options: dict) -> dict:
    """The keyword arguments of :func:`planner.run.run_scenario` among a command's options."""
    return {"paths": options["paths"], "seed": options["seed"], "plan": options["plan"],
            "raise_month": options["raise_month"], "confidence": options["confidence"],
            "until": options["until"], "fiscal_year_start": options["fiscal_year_start"],
            "cac_lag_months": options["cac_lag"], "targets": options.get("targets", ())}
