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
    """Compare the default plans of several scenario files on the same number of paths.

    Each file runs on its own ``simulation.seed`` unless ``seed`` is given (then all use
    it); paths default to the first file's. Draws are keyed by input path, so with a
    common seed two variants of one plan share every common input's draws and each
    common segment's process noise exactly (an input's position in the file does not
    matter): their difference is the change, not sampling noise. With different seeds
    the files are independent samples. ``Comparison.seed`` is the common seed, or the
    seeds joined with commas when they differ (each row says its own).
    """
    paths = scenarios[0].paths if paths is None else paths
    rows, results = [], {}
    seeds = []
    for sc in scenarios:
        label = f"{sc.name}: {sc.default_plan}"
        own = sc.seed if seed is None else seed
        result = simulate_plans(sc, [sc.default_plan], paths=paths, seed=own, keep=COMPARE_KEEP,
                                by_segment=False)[sc.default_plan]
        rows.append(plan_row(result, label) | {"seed": own})
        results[label] = result
        seeds.append(own)
    common = seeds[0] if len(set(seeds)) == 1 else ", ".join(str(s) for s in seeds)
    return Comparison(" vs ".join(s.name for s in scenarios), paths, common, rows, results)


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
