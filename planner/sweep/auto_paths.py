"""``--paths auto``: add paths until the headline answers are precise enough."""
from __future__ import annotations

from planner.analysis.mc_error import precise_enough, proportion_interval, quantile_interval
from planner.scenario.model import Scenario
from planner.simulation import simulate


def choose_paths(scenario: Scenario, *, seed: int | None = None, plan: str | None = None,
                 relative: float = 0.01, absolute: float = 0.005, start: int = 4096,
                 max_paths: int = 1_048_576) -> tuple[int, list[dict]]:
    """Double the paths until the ARR P50 and cash-out probability are precise enough.

    A path's numbers do not depend on how many are run, so each round extends the last.

    Returns
    -------
    paths : int
        The first count meeting both targets, or ``max_paths``.
    rounds : list of dict
        ``{paths, arr_end_p50_halfwidth, cash_out_halfwidth}`` per round, for the record.
    """
    rounds, paths = [], start
    while True:
        result = simulate(scenario, paths=paths, seed=seed, plan=plan, keep=["arr", "cash"],
                          by_segment=False)
        arr_end = result.total("arr")[:, -1]
        cash_out = result.cash_out_month() >= 0
        low, high = quantile_interval(arr_end, 0.5)
        p_low, p_high = proportion_interval(int(cash_out.sum()), cash_out.size)
        rounds.append({"paths": paths, "arr_end_p50_halfwidth": (high - low) / 2,
                       "cash_out_halfwidth": (p_high - p_low) / 2})
        if precise_enough(arr_end, cash_out, relative=relative, absolute=absolute) or paths >= max_paths:
            return paths, rounds
        paths = min(2 * paths, max_paths)
