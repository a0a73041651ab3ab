"""A simple model four ways: planner's `simulate()`, a numpy month loop, squigglepy, monaco.

The model (benchmarks/simple_model.yaml): one segment with an opening book, monthly
contracts, constant churn (uncertain, uniform 2%-4% a month), expansion and contraction,
new customers bought with a $60K monthly budget at an uncertain CAC (lognormal, median
$900, P90 $1,400), COGS a share of revenue, dated hires, cash from an opening balance.

Usage: python benchmarks/simple_model.py [--paths N] [--repeat R] [--planner-allocator]

Prints the time of each way (min of R runs), the ratio to the numpy loop, and checks:
the loop on planner's own draws equals `simulate()` path by path; each way's mean and
P10/P90 of ARR and cash at the horizon agree with `simulate()`'s within Monte Carlo
error (4 standard errors). squigglepy and monaco are optional (`pip install
'planner[bench]'`); a way whose package is missing is skipped. Not a test: nothing is
asserted, the verdicts are printed.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

MODEL = Path(__file__).with_suffix(".yaml")
MONTHS, OPENING_CASH, BUDGET, ARPA, HOSTING = 60, 6_000_000.0, 60_000.0, 100.0, 0.15
OPENING_CUSTOMERS, OPENING_MRR = 400.0, 40_000.0
EXPANSION, CONTRACTION = 0.01, 0.003
CAC_MEDIAN, CAC_P90, CHURN_LOW, CHURN_HIGH = 900.0, 1_400.0, 0.02, 0.04
Z90 = 1.2815515655446004
#: (monthly cost of one person, people at the start, {month index: hires})
ROLES = ((150_000 * 1.2 / 12, 4, {6: 2, 12: 2}), (70_000 * 1.2 / 12, 1, {12: 1}))


def payroll(months: int = MONTHS) -> np.ndarray:
    """Monthly payroll of the dated hires, shape (months,)."""
    total = np.zeros(months)
    for cost, start, hires in ROLES:
        changes = np.zeros(months)
        for month, count in hires.items():
            changes[month] += count
        total += cost * (start + np.cumsum(changes))
    return total


def numpy_loop(cac: np.ndarray, churn: np.ndarray, months: int = MONTHS) -> tuple[np.ndarray, np.ndarray]:
    """The model as a month loop vectorised over paths.

    Parameters
    ----------
    cac, churn : ndarray, shape (paths,)
        Each path's CAC ($) and monthly churn.

    Returns
    -------
    arr, cash : ndarray, shape (paths, months)
    """
    growth = (1.0 - churn) * (1.0 + EXPANSION - CONTRACTION)  # MRR kept and grown a month
    new = BUDGET / cac
    pay = payroll(months)
    mrr = np.full(cac.shape, OPENING_MRR)
    cash = np.full(cac.shape, OPENING_CASH)
    arr, balance = np.empty((cac.size, months)), np.empty((cac.size, months))
    for t in range(months):
        mrr = mrr * growth + new * ARPA
        cash = cash + mrr * (1.0 - HOSTING) - pay[t] - BUDGET
        arr[:, t], balance[:, t] = 12.0 * mrr, cash
    return arr, balance


def own_draws(paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """CAC and churn drawn with numpy (the loop's own inputs)."""
    rng = np.random.default_rng(seed)
    cac = CAC_MEDIAN * np.exp(np.log(CAC_P90 / CAC_MEDIAN) / Z90 * rng.standard_normal(paths))
    return cac, rng.uniform(CHURN_LOW, CHURN_HIGH, paths)


def planner_way(paths: int, seed: int, scenario=None):
    """`simulate()` keeping ARR and cash: (arr, cash) at every month, the result.
    ``scenario``: the model loaded already (None: loaded here)."""
    import planner

    scenario = planner.load_scenario(MODEL) if scenario is None else scenario
    result = planner.simulate(scenario, paths=paths, seed=seed, keep=("arr", "cash"), by_segment=False)
    return result.total("arr"), result.total("cash"), result


def squigglepy_way(paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """squigglepy's distributions sampled as arrays (its vectorised use), then the same
    numpy month loop: what squigglepy adds is its sampling."""
    import squigglepy as sq

    sq.set_seed(seed)
    cac = sq.sample(sq.lognorm(CAC_MEDIAN ** 2 / CAC_P90, CAC_P90, credibility=80), n=paths)
    churn = sq.sample(sq.uniform(CHURN_LOW, CHURN_HIGH), n=paths)
    return numpy_loop(np.asarray(cac, dtype=float), np.asarray(churn, dtype=float))


def monaco_way(paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The model as a monaco simulation: a preprocess/run/postprocess function per case."""
    from monaco import Sim
    from scipy.stats import lognorm, uniform

    pay = payroll()

    def preprocess(case):
        return (case.invals["cac"].val, case.invals["churn"].val)

    def run(cac, churn):
        growth = (1.0 - churn) * (1.0 + EXPANSION - CONTRACTION)
        mrr, cash = OPENING_MRR, OPENING_CASH
        arr, balance = [], []
        for t in range(MONTHS):
            mrr = mrr * growth + BUDGET / cac * ARPA
            cash = cash + mrr * (1.0 - HOSTING) - pay[t] - BUDGET
            arr.append(12.0 * mrr)
            balance.append(cash)
        return (arr, balance)

    def postprocess(case, arr, balance):
        case.addOutVal("arr_end", arr[-1])
        case.addOutVal("cash_end", balance[-1])

    sim = Sim("simple", ndraws=paths, fcns={"preprocess": preprocess, "run": run,
                                            "postprocess": postprocess},
              firstcaseismedian=False, seed=seed, singlethreaded=True, verbose=False,
              savecasedata=False, savesimdata=False)
    sim.addInVar("cac", lognorm, {"s": np.log(CAC_P90 / CAC_MEDIAN) / Z90, "scale": CAC_MEDIAN})
    sim.addInVar("churn", uniform, {"loc": CHURN_LOW, "scale": CHURN_HIGH - CHURN_LOW})
    sim.runSim()
    arr_end = np.array(sim.outvars["arr_end"].nums, dtype=float)
    cash_end = np.array(sim.outvars["cash_end"].nums, dtype=float)
    return arr_end[:, None], cash_end[:, None]


def timed(fn, repeat: int):
    """(min seconds over ``repeat`` runs, last value)."""
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def agrees(a: np.ndarray, b: np.ndarray) -> bool:
    """Mean, P10 and P90 of two samples within 4 standard errors of their difference."""
    se_mean = np.sqrt(a.var() / a.size + b.var() / b.size)
    ok = abs(a.mean() - b.mean()) <= 4 * se_mean
    for q in (0.1, 0.9):
        # standard error of a quantile ~ sqrt(q(1-q)/n) / density; density from a bin
        spread = np.quantile(b, min(q + 0.05, 1)) - np.quantile(b, max(q - 0.05, 0))
        se_q = np.sqrt(q * (1 - q) * (1 / a.size + 1 / b.size)) * spread / 0.1
        ok &= abs(np.quantile(a, q) - np.quantile(b, q)) <= 4 * se_q
    return bool(ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--planner-allocator", action="store_true",
                        help="set this process's allocator as the planner command sets its own "
                             "(planner.cli.allocator), for every way alike")
    args = parser.parse_args()
    if args.planner_allocator:
        from planner.cli.allocator import keep_freed_pages

        keep_freed_pages()
    paths, seed = args.paths, args.seed
    print(comparison(paths, seed, args.repeat, "planner's allocator setting" if args.planner_allocator
                     else "the default allocator"))


def in_turn(ways: dict, repeat: int) -> dict:
    """``{name: (seconds of each round, last value)}`` of ``ways`` (name: function), run
    in turn, one call of each per round, ``repeat`` rounds: a drift in the machine's
    speed (30% within minutes on a shared machine) reaches every way alike. Each way's
    last value stays alive while the others run, as a caller's would."""
    seconds = {name: [] for name in ways}
    values = dict.fromkeys(ways)
    for _ in range(repeat):
        for name, fn in ways.items():
            t = time.perf_counter()
            values[name] = fn()
            seconds[name].append(time.perf_counter() - t)
    return {name: (np.array(seconds[name]), values[name]) for name in ways}


def comparison(paths: int, seed: int, repeat: int, allocator: str = "the default allocator") -> str:
    """The Markdown table of the four ways and the checks (``allocator``: how this
    process's allocator is set, for the heading). The numpy loop, ``simulate()`` and
    squigglepy run in turn (:func:`in_turn`); monaco, a thousand times slower, once."""
    import planner

    loading, scenario = timed(lambda: planner.load_scenario(MODEL), repeat)
    planner_way(200, seed, scenario)  # warm-up: imports, first-use caches
    numpy_loop(*own_draws(200, seed))
    ways = {"loop": lambda: numpy_loop(*own_draws(paths, seed + 1)),
            "planner": lambda: planner_way(paths, seed, scenario)}
    try:
        squigglepy_way(200, seed)
        ways["squigglepy"] = lambda: squigglepy_way(paths, seed + 2)
    except ImportError as error:
        missing = error.name
    runs = in_turn(ways, repeat)
    loop, base = runs["loop"][0].min(), runs["planner"][0].min()
    arr, cash, result = runs["planner"][1]
    draws = dict(zip(result.input_names, result.draws.T))
    same = numpy_loop(draws["segments.smb.acquisition.cac"], draws["segments.smb.retention.monthly_churn"])
    exact = max(float(np.max(np.abs(same[0] - arr) / np.abs(arr).max())),
                float(np.max(np.abs(same[1] - cash) / np.abs(cash).max())))
    paired = np.median(runs["planner"][0] / runs["loop"][0])
    lines = [f"simple model, {paths:,} paths x {MONTHS} months (min of {repeat} rounds, the ways "
             f"in turn; {allocator})", "",
             "| way | seconds | x numpy loop | ARR and cash at the horizon agree with simulate() |",
             "|---|---:|---:|---|",
             f"| numpy month loop, vectorised over paths | {loop:.4f} | x1.0 | "
             f"{_verdict(runs['loop'][1], arr, cash)} |",
             f"| planner `simulate(keep=('arr', 'cash'))` | {base:.4f} | x{base / loop:.1f} | (reference) |"]
    if "squigglepy" in runs:
        seconds = runs["squigglepy"][0].min()
        lines.append(f"| squigglepy | {seconds:.4f} | x{seconds / loop:.1f} | "
                     f"{_verdict(runs['squigglepy'][1], arr, cash)} |")
    else:
        lines.append(f"| squigglepy | skipped ({missing} not installed) | | |")
    try:
        seconds, out = timed(lambda: monaco_way(paths, seed + 2), 1)
        lines.append(f"| monaco | {seconds:.4f} | x{seconds / loop:.1f} | {_verdict(out, arr, cash)} |")
    except ImportError as error:
        lines.append(f"| monaco | skipped ({error.name} not installed) | | |")
    lines += ["", f"simulate() / numpy loop, the median of the {repeat} rounds' ratios: x{paired:.2f}; "
                  f"numpy loop on simulate()'s own draws vs simulate(): largest difference "
                  f"{exact:.1e} of the series' scale; loading the scenario file (once, not in "
                  f"the times above): {loading:.4f} s"]
    return "\n".join(lines)


def _verdict(out, arr: np.ndarray, cash: np.ndarray) -> str:
    ok = agrees(out[0][:, -1], arr[:, -1]) and agrees(out[1][:, -1], cash[:, -1])
    return "yes" if ok else "NO"


if __name__ == "__main__":
    main()
