"""Funding plans, or scenario files, side by side on common random numbers."""
from __future__ import annotations

from planner.analysis.funding import Comparison, plan_row
from planner.scenario.choices import resolve_plan
from planner.scenario.model import Scenario
from planner.simulation import simulate_plans


COMPARE_KEEP = ("arr", "cash", "cash_if_funded", "equity_raised", "debt_drawn", "operating_cash_flow")


def compare(scenario: Scenario, plans: list[str] | None = None, *, paths: int | None = None,
            seed: int | None = None) -> Comparison:
    """Compare funding plans of one scenario on the same paths (common random numbers).

    Parameters
    ----------
    plans : list of str, optional
        Plan names; None compares all of the scenario's plans.
    """
    names = list(scenario.plan_names if plans is None else plans)
    results = simulate_plans(scenario, names, paths=paths, seed=seed, keep=COMPARE_KEEP,
                             by_segment=False)
    first = results[names[0]]
    return Comparison(scenario.name, first.paths, first.seed,
                      [plan_row(results[n]) for n in names], results)


def compare_scenarios(scenarios: list[Scenario], *, paths: int | None = None,
                      seed: int | None = None) -> Comparison:
    """Compare the default plans of several scenario files with the same seed and paths.

    The draws are common where the files declare the same uncertain inputs in the same
    order (e.g. two variants of one plan); otherwise the comparison is of two independent
    samples of the same size.
    """
    paths = scenarios[0].paths if paths is None else paths
    seed = scenarios[0].seed if seed is None else seed
    rows, results = [], {}
    for sc in scenarios:
        label = f"{sc.name}: {sc.default_plan}"
        result = simulate_plans(sc, [sc.default_plan], paths=paths, seed=seed, keep=COMPARE_KEEP,
                                by_segment=False)[sc.default_plan]
        rows.append(plan_row(result, label))
        results[label] = result
    return Comparison(" vs ".join(s.name for s in scenarios), paths, seed, rows, results)


def compare_files(scenarios: list[Scenario], plans: list[str] | None = None, *,
                  paths: int | None = None, seed: int | None = None) -> Comparison:
    """What ``planner compare`` compares: with one scenario its funding plans (``plans``,
    default all), with several each file's default plan (``plans`` must then be None)."""
    if len(scenarios) == 1:
        for name in plans or []:
            resolve_plan(scenarios[0], name)
        return compare(scenarios[0], plans, paths=paths, seed=seed)
    if plans is not None:
        raise ValueError("plans apply to one scenario; with several each file's default plan is used")
    return compare_scenarios(scenarios, paths=paths, seed=seed)
