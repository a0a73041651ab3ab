"""``simulate``: sample the inputs and run the engine over all paths, block by block (``planner.simulate``)."""
from __future__ import annotations

from typing import Iterable

import os

import numpy as np

from planner.arrays import assign
from planner.errors import PlannerError

from planner.engine.blas import one_blas_thread
from planner.engine import lean as lean_engine
from planner.engine.core import (COMPANY_SERIES, FINANCING_SERIES, OPENING, ROLE_SERIES,
                                 SEGMENT_SERIES, finance, run_chunk)
from planner.engine.financing import ARRIVAL_RECORDS, instruments
from planner.engine.sampling import BLOCK, Inputs, draw_inputs
from planner.engine.totals import segment_total
from planner.results import SERIES, WEIGHTED, SimulationResult, base_series, weighted_total
from planner.scenario.model import Scenario


def simulate(scenario: Scenario, *, paths: int | None = None, seed: int | None = None,
             plan: str | None = None, keep: Iterable[str] | None = None,
             by_segment: bool = True, draws=None, progress=None) -> SimulationResult:
    """Run the Monte Carlo simulation of a scenario under one funding plan.

    Parameters
    ----------
    scenario : Scenario
        From :func:`planner.load_scenario`.
    paths : int, optional
        Number of paths; None uses the scenario's ``simulation.paths``.
    seed : int, optional
        Random seed; None uses the scenario's ``simulation.seed``. Same seed, same result.
    plan : str, optional
        Funding plan (``funding.plans``); None uses the scenario's default plan.
    keep : iterable of str, optional
        Series to keep (derived ones such as ``arr`` keep what they need); None keeps all.
        Keeping fewer saves memory on large runs.
    by_segment : bool
        Keep segment series per segment (True) or only their company totals (False).
    draws : ndarray or callable, optional
        The uncertain inputs' values instead of the scenario's own draws (sensitivity,
        Sobol designs): an array of shape (paths, len(scenario.params)), columns in the
        order of ``scenario.params``; or ``draws(block, first_path) -> block``, which gets
        each block's own draws, shape (BLOCK, inputs), and returns the values to use (pin
        a column, say). Process noise keeps its own streams either way.
    progress : callable, optional
        ``progress(paths_done, paths_total)``, called after each block.

    Returns
    -------
    SimulationResult

    Notes
    -----
    Paths are simulated in aligned blocks of :data:`~planner.engine.sampling.BLOCK`
    paths, the unit of random draws too, so path ``i``'s numbers depend only on the
    seed and ``i``: the first 100 paths of a 10,000-path run equal a 100-path run.
    """
    name = scenario.plan(plan).name
    return simulate_plans(scenario, (name,), paths=paths, seed=seed, keep=keep,
                          by_segment=by_segment, draws=draws, progress=progress)[name]


def simulate_plans(scenario: Scenario, plans: Iterable[str], *, paths: int | None = None,
                   seed: int | None = None, keep: Iterable[str] | None = None,
                   by_segment: bool = True, block_when_insolvent: bool = True,
                   draws=None, progress=None, start: int = 0) -> dict[str, SimulationResult]:
    """Simulate several funding plans on the same paths (common random numbers).

    The operating series are computed once and shared (the same arrays) by the results.
    See :func:`simulate` for the parameters; ``block_when_insolvent=False`` lets every
    planned inflow arrive on insolvent paths too (for the exact minimum raise).
    ``start`` (a multiple of ``BLOCK``) simulates paths ``start..start+paths-1`` instead
    of ``0..paths-1`` (for streaming).

    Returns
    -------
    dict of plan name -> SimulationResult
    """
    paths = scenario.paths if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    if paths < 1:
        raise ValueError(f"paths must be >= 1 (got {paths})")
    if start % BLOCK:
        raise ValueError(f"start must be a multiple of {BLOCK} (got {start})")
    if isinstance(draws, np.ndarray) and draws.shape != (paths, len(scenario.params)):
        raise ValueError(f"draws must have shape ({paths}, {len(scenario.params)}) (got {draws.shape})")
    chosen = tuple(scenario.plan(p) for p in plans)
    wanted = base_series(SERIES if keep is None else keep)
    months, n_seg = scenario.horizon, len(scenario.segments)
    _check_memory(paths, months, n_seg, wanted, by_segment, len(chosen), len(scenario.roles))
    # segment series wanted only as company totals are summed in the engine (not stacked);
    # a weighted total needs the segments and their weights
    kept_segment = {n for n in wanted if n in SEGMENT_SERIES}
    totals = set() if by_segment else kept_segment - set(WEIGHTED) - set(WEIGHTED.values())
    rows = -(-paths // BLOCK) * BLOCK  # whole blocks, so each block writes its slice in place
    # a geometric scenario: the same numbers, faster, several blocks at a time
    lean = lean_engine.applies(scenario, wanted)
    by_seg = {n: np.empty((rows, months, n_seg)) for n in SEGMENT_SERIES if n in wanted and by_segment}
    by_role = {n: np.empty((rows, months, len(scenario.roles))) for n in ROLE_SERIES if n in wanted}
    ops_company = {n: np.empty((rows, months)) for n in wanted
                   if n not in by_seg and n not in by_role and n not in _FINANCING}
    opening = {n: np.empty(rows) for n in OPENING}
    used = np.empty((rows, len(scenario.params)))  # the input values of every path
    floor = np.empty(rows)
    fin = {p.name: {n: np.empty((rows, months), dtype=bool if n == "insolvent" else float)
                    for n in wanted if n in _FINANCING} | {"ownership": np.empty(rows)}
           | _arrival_records(scenario, p, rows) for p in chosen}
    step = lean_engine.chunk_paths(scenario) if lean else BLOCK
    money_in = any(instruments(scenario, p) for p in chosen)
    # the lean engine writes company totals of segment series, and the cash of one plan
    # with no money coming in, into the results itself, while it makes them
    totals_into = {n: a for n, a in ops_company.items() if n in lean_engine.SEGMENT} if lean else {}
    cash_into = fin[chosen[0].name]["cash"] if lean and not money_in and len(chosen) == 1 \
        and "cash" in fin[chosen[0].name] else None
    with one_blas_thread():  # the engine's products are tiny: threads only spin-wait
        for offset in range(0, paths, step):
            stop = min(paths, offset + step)
            end = offset + -(-(stop - offset) // BLOCK) * BLOCK
            first = start + offset
            # overflow is checked on the results below, with a message that says what to do
            inputs = Inputs(scenario, _chunk_draws(scenario, seed, start, draws, offset, stop, end))
            into = {name: array[offset:end] for name, array in by_seg.items()}
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if lean:
                    ops = lean_engine.operations(
                        scenario, inputs, wanted, into,
                        {n: a[offset:end] for n, a in totals_into.items()},
                        None if cash_into is None else cash_into[offset:end])
                    # cash the lean engine wrote itself is not added up again from the flows
                    written = ops if cash_into is None else ops | {"operating_cash_flow": None}
                    financing = {p.name: finance(scenario, p, inputs, written,
                                                 block_when_insolvent=block_when_insolvent,
                                                 keep=wanted & _FINANCING,
                                                 cash_into=_rows_of(fin[p.name], "cash", offset, end))
                                 for p in chosen}
                else:
                    ops, financing = run_chunk(scenario, inputs, seed, first, chosen,
                                               block_when_insolvent=block_when_insolvent, into=into,
                                               keep=kept_segment | (wanted & _ROLE), totals=totals,
                                               keep_financing=wanted & _FINANCING)
            _check_finite(ops, financing, first, lean=lean, money_in=money_in)
            used[offset:end] = inputs.draws
            floor[offset:end] = np.broadcast_to(inputs.value(scenario.minimum_cash), (end - offset, 1))[:, 0]
            if progress is not None:
                progress(stop, paths)
            _store(ops, by_seg | by_role, {n: a for n, a in ops_company.items() if n not in totals_into},
                   opening, offset, end)
            for name, arrays in fin.items():
                for key, array in arrays.items():
                    if not np.may_share_memory(array[offset:end], financing[name][key]):
                        assign(array[offset:end], financing[name][key])
    # views of the whole-block arrays: at most BLOCK - 1 padding rows stay allocated
    by_seg, by_role, ops_company, opening, fin = (
        _first(d, paths) for d in (by_seg, by_role, ops_company, opening, fin))
    used, floor = used[:paths], floor[:paths]
    return {p.name: SimulationResult(
        scenario, seed, by_seg, ops_company | {k: v for k, v in fin[p.name].items() if k in _FINANCING},
        {k.removeprefix("opening_"): v for k, v in opening.items()},
        {k: v for k, v in fin[p.name].items() if k not in _FINANCING} | {"minimum_cash": floor},
        p.name, start, by_role, used) for p in chosen}


def _rows_of(arrays: dict, name: str, start: int, stop: int) -> np.ndarray | None:
    """Rows ``start:stop`` of ``arrays[name]``, None if it is not kept."""
    return arrays[name][start:stop] if name in arrays else None


def _arrival_records(scenario: Scenario, plan, paths: int) -> dict[str, np.ndarray]:
    """Empty ``funding_*`` per-path records of a plan's instruments, (paths, instruments)."""
    k = len(instruments(scenario, plan))
    return {f"funding_{n}": np.empty((paths, k), dtype=int if n == "arrival" else float)
            for n in ARRIVAL_RECORDS}


_FINANCING = set(FINANCING_SERIES)
_ROLE = set(ROLE_SERIES)


def _chunk_draws(scenario: Scenario, seed: int, start: int, given, offset: int, stop: int,
                 end: int) -> np.ndarray:
    """The input values of paths ``offset..stop-1`` of the run (path ``start + offset`` on
    of the seed's) padded to whole blocks (``end``), shape (end - offset, inputs): the same
    numbers as :func:`_block_draws` block by block."""
    if given is None:
        return draw_inputs(scenario, seed, start + offset, start + end)
    return np.concatenate([_block_draws(scenario, seed, start + b, given, b, min(stop, b + BLOCK))
                           for b in range(offset, stop, BLOCK)])


def _block_draws(scenario: Scenario, seed: int, first: int, given, offset: int, stop: int) -> np.ndarray:
    """The input values of the block starting at path ``first``, shape (BLOCK, inputs): the
    scenario's draws, or ``given`` (an array, padded with its last row to a whole block;
    or a callable applied to the scenario's draws)."""
    if isinstance(given, np.ndarray):
        block = given[offset:stop]
        return np.concatenate([block, np.repeat(block[-1:], BLOCK - block.shape[0], axis=0)])
    own = draw_inputs(scenario, seed, first, first + BLOCK)
    return own if given is None else np.asarray(given(own, first), dtype=float)


def stored_bytes(paths: int, months: int, segments: int, wanted: set[str], by_segment: bool,
                 plans: int, roles: int = 0) -> int:
    """Bytes the result arrays of a run take (float64)."""
    per_path_month = sum(segments if (n in SEGMENT_SERIES and by_segment) else
                         roles if n in ROLE_SERIES else
                         (plans if n in _FINANCING else 1) for n in wanted)
    return 8 * paths * months * per_path_month


def _check_memory(paths, months, segments, wanted, by_segment, plans, roles) -> None:
    """Refuse, with the figures, a run whose results cannot fit in the free memory."""
    need = stored_bytes(paths, months, segments, wanted, by_segment, plans, roles)
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on Linux
        return
    if need > 0.8 * free:
        raise PlannerError(f"{paths:,} paths x {months} months would need about "
                           f"{need / 2**30:.1f} GB for their results, and {free / 2**30:.1f} GB "
                           f"is free; run fewer paths (or keep fewer series in the library)")


def _check_finite(ops: dict, financing: dict, start: int, *, lean: bool = False,
                  money_in: bool = True) -> None:
    """Stop with a clear message instead of letting inf or NaN reach the outputs: MRR,
    the operating cash flow and every plan's cash are checked, or what they are made of.

    With no money coming in (``money_in`` False) cash is the opening balance plus the
    running sum of the flows, so it is finite only where every flow before it is; the
    lean engine's (``lean``) flows are made of the same month's MRR by products and
    differences, which keep an inf or NaN one (``inf - inf`` and ``0 * inf`` are NaN).
    So a check of cash alone is the same check there, at a third of the cost."""
    # the lean engine checks the cash it accumulates itself, tile by tile (while in cache)
    arrays = [] if ops.get("cash_finite") else [f["cash"] for f in financing.values()]
    if money_in:
        arrays.append(ops["operating_cash_flow"])
    if not lean:
        arrays.append(ops["mrr"])
    if not all(np.isfinite(a).all() for a in arrays):
        raise PlannerError("the simulation overflowed (a result became infinite or not a number) "
                           f"on a path from {start:,} on: check inputs that can explode, such as a "
                           "cac near 0, or growth or expansion rates compounding over a long horizon")


def _first(arrays: dict, paths: int) -> dict:
    """The first ``paths`` rows of each array (nested one level for the plans)."""
    return {k: _first(v, paths) if isinstance(v, dict) else v[:paths] for k, v in arrays.items()}


def _store(ops: dict, by_seg: dict, company: dict, opening: dict, start: int, stop: int) -> None:
    """Write one whole block's operating series into rows ``start:stop`` of the result
    arrays (segment series the engine stacked there already are left as they are)."""
    for name, array in by_seg.items():
        target = array[start:stop]
        if not np.may_share_memory(ops[name], target):
            assign(target, ops[name])
    for name, array in company.items():
        target = array[start:stop]
        if name in COMPANY_SERIES:
            assign(target, ops[name])
        elif name in WEIGHTED:
            assign(target, weighted_total(ops[name], ops[WEIGHTED[name]]))
        elif ops[name].ndim == 2:  # summed in the engine
            assign(target, ops[name])
        else:
            segment_total(ops[name], out=target)
    for name, array in opening.items():
        array[start:stop] = ops[name]
