"""``simulate``: sample the inputs and run the engine over all paths, chunk by chunk."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from planner.engine.core import COMPANY_SERIES, SEGMENT_SERIES, simulate_chunk
from planner.engine.sampling import BLOCK
from planner.results import SERIES, SimulationResult, base_series
from planner.scenario.model import Scenario


def simulate(scenario: Scenario, *, paths: int | None = None, seed: int | None = None,
             keep: Iterable[str] | None = None, by_segment: bool = True) -> SimulationResult:
    """Run the Monte Carlo simulation of a scenario.

    Parameters
    ----------
    scenario : Scenario
        From :func:`planner.load_scenario`.
    paths : int, optional
        Number of paths; None uses the scenario's ``simulation.paths``.
    seed : int, optional
        Random seed; None uses the scenario's ``simulation.seed``. Same seed, same result.
    keep : iterable of str, optional
        Series to keep (derived ones such as ``arr`` keep what they need); None keeps all.
        Keeping fewer saves memory on large runs.
    by_segment : bool
        Keep segment series per segment (True) or only their company totals (False).

    Notes
    -----
    Paths are simulated in aligned blocks of :data:`~planner.engine.sampling.BLOCK`
    paths, the unit of random draws too, so path ``i``'s numbers depend only on the
    seed and ``i``: the first 100 paths of a 10,000-path run equal a 100-path run.

    Returns
    -------
    SimulationResult
    """
    paths = scenario.paths if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    if paths < 1:
        raise ValueError(f"paths must be >= 1 (got {paths})")
    wanted = base_series(SERIES if keep is None else keep)
    by_seg = {n: np.empty((paths, scenario.horizon, len(scenario.segments)))
              for n in SEGMENT_SERIES if n in wanted and by_segment}
    company = {n: np.empty((paths, scenario.horizon)) for n in wanted if n not in by_seg}
    opening = {n: np.empty(paths) for n in ("cash", "deferred_revenue", "receivables")}
    for start in range(0, paths, BLOCK):
        stop = min(paths, start + BLOCK)
        out = simulate_chunk(scenario, seed, start, start + BLOCK)  # whole block, always
        n = stop - start
        for name, array in by_seg.items():
            array[start:stop] = out[name][:n]
        for name, array in company.items():
            array[start:stop] = (out[name] if name in COMPANY_SERIES else out[name].sum(axis=2))[:n]
        for name, array in opening.items():
            array[start:stop] = out[f"opening_{name}"][:n]
    return SimulationResult(scenario, seed, by_seg, company, opening)
