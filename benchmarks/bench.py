"""Speed and memory of the engine and of `planner run`, on the three-segment examples.

Usage: python benchmarks/bench.py [--quick] [--million] [--scenario PATH ...] [--variance]
       python benchmarks/bench.py --sensitivity
       python benchmarks/bench.py --engine [--million]   (engine speed and memory only)
       python benchmarks/bench.py --cli

By default two scenarios: the Series A example (acquisition given per month) and the
same company planned bottom-up with the go-to-market funnel switched on. Then the
variance reduction of keyed draws (common random numbers) when comparing two variants
of the Series A example; ``--variance`` runs only that.

Each case runs in a fresh Python process, so its peak resident memory (ru_maxrss) is
its own. Prints a Markdown table for the README. Not a test: nothing here is asserted.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (ROOT / "scenarios" / "series_a_midmarket.yaml", ROOT / "scenarios" / "bottom_up_funnel.yaml")

ENGINE_CASE = """
import json, resource, time, planner
sc = planner.load_scenario({scenario!r})
planner.simulate(sc, paths=200)                      # warm-up: imports, FFT plans
best = float("inf")
for _ in range({repeat}):
    t = time.perf_counter()
    r = planner.simulate(sc, paths={paths}, keep={keep})
    best = min(best, time.perf_counter() - t)
    del r  # else the next repeat is built while this one is alive: a peak of two results
print(json.dumps({{"seconds": best, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

NOISE_CASE = """
import dataclasses, json, resource, time, planner
sc = dataclasses.replace(planner.load_scenario({scenario!r}), process_noise=True)
planner.simulate(sc, paths=200)
t = time.perf_counter()
planner.simulate(sc, paths={paths})
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

REFERENCE_CASE = """
import json, time, planner
from planner.engine.reference import simulate_reference
sc = planner.load_scenario({scenario!r})
t = time.perf_counter()
simulate_reference(sc, seed=1, paths={paths})
print(json.dumps({{"seconds_per_path": (time.perf_counter() - t) / {paths}}}))
"""


def python_case(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


CLI_CASE = """
import json, resource, time
from planner.cli import main
t = time.perf_counter()
main(["run", {scenario!r}, "--paths", "{paths}", "--out", {out!r}, "--json"], standalone_mode=False)
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def cli_case(scenario: Path, paths: int, out_dir: Path) -> dict:
    """`planner run` in its own process (imports and file writing included)."""
    return python_case(CLI_CASE.format(scenario=str(scenario), paths=paths, out=str(out_dir)))


#: variants of the Series A example that differ in one input, for the variance reduction
EDITS = (("SMB ARPA +10% (420 -> 462)", "segments.smb.price.arpa=462"),
         ("SMB ARPA made uncertain (90% range 420 to 504)", "segments.smb.price.arpa=420 to 504"))


def _p50_arr(scenario, seed: int, paths: int) -> float:
    import numpy as np
    import planner

    arr = planner.simulate(scenario, paths=paths, seed=seed, keep=["arr"], by_segment=False).total("arr")
    return float(np.median(arr[:, -1]))


def variance_reduction(seeds: int = 20, paths: int = 2_000) -> None:
    """Print the standard error of the P50 ARR-at-horizon difference between two variants.

    For each edit and sampling method, ``seeds`` estimates of P50(B) - P50(A), each from
    ``paths`` paths: with keyed draws (B on the same seed as A: every input B shares
    with A keeps its draws) and with independent draws (B on another seed). The standard
    error is the spread of the estimates across seeds; the ratio is independent / keyed.
    """
    import numpy as np
    import planner

    example = SCENARIOS[0]
    print(f"\nvariance reduction of keyed draws: {example.name}, P50 of ARR at the horizon, "
          f"{seeds} seeds x {paths:,} paths per estimate\n")
    print("| variant B | sampling | mean P50(B) - P50(A) | SE keyed | SE independent | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for method in ("monte_carlo", "latin_hypercube", "sobol"):
        a = planner.load_scenario(example, overrides=(f"simulation.sampling={method}",))
        base = [_p50_arr(a, s, paths) for s in range(seeds)]
        for label, edit in EDITS:
            b = planner.load_scenario(example, overrides=(f"simulation.sampling={method}", edit))
            keyed = np.array([_p50_arr(b, s, paths) for s in range(seeds)]) - base
            independent = np.array([_p50_arr(b, 1_000 + s, paths) for s in range(seeds)]) - base
            se_keyed, se_independent = keyed.std(ddof=1), independent.std(ddof=1)
            ratio = se_independent / se_keyed if se_keyed > 0 else float("inf")
            print(f"| {label} | {method} | ${keyed.mean():,.0f} | ${se_keyed:,.0f} | "
                  f"${se_independent:,.0f} | x{ratio:,.1f} |")


def cli_timings(repeat: int = 10) -> None:
    """The commands a CFO types between edits, each its own process: wall-clock and CPU
    seconds (min of ``repeat``), with the load average. Target (issue 17): under 0.3 s."""
    import os
    import resource
    import time

    example = str(ROOT / "scenarios" / "series_a_midmarket.yaml")
    cases = (("planner --help", ["--help"]), ("planner validate FILE", ["validate", example]),
             ("planner schema", ["schema"]))
    print(f"\nCLI start-up, min of {repeat} runs (load average {os.getloadavg()[0]:.2f}):\n")
    print("| command | wall s | CPU s |\n|---|---:|---:|")
    for label, args in cases:
        walls, cpus = [], []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "planner", *args], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        print(f"| `{label}` | {min(walls):.2f} | {min(cpus):.2f} |")
    print(f"\n(load average after: {os.getloadavg()[0]:.2f})")


RUN_CASE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run([sys.executable, "-m", "planner", *{args!r}], check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)  # the run and its chart helper
print(json.dumps({{"seconds": seconds, "cpu": use.ru_utime + use.ru_stime, "rss_mb": use.ru_maxrss / 1024}}))
"""


def run_timings(scenarios, repeat: int = 5) -> None:
    """`planner run` as typed, each its own process: the scenario's paths, charts on and off.
    Wall and CPU seconds (the run and its chart helper) min of ``repeat``, peak RSS of the
    larger of the two, and the load average. Targets (issue 17):
    under 2.5 s and 400 MB (Series A), under 3.5 s (bottom-up funnel)."""
    import os
    import tempfile

    print(f"\n`planner run`, min of {repeat} runs (load average {os.getloadavg()[0]:.2f}):\n")
    print("| scenario | charts | wall s | CPU s | peak RSS (MB) |\n|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as out:
        for scenario in scenarios:
            for charts in ("--charts", "--no-charts"):
                walls, cpus, peak = [], [], 0.0
                for _ in range(repeat):
                    args = ["run", str(scenario), charts, "--out", out, "--quiet"]
                    r = python_case(RUN_CASE.format(args=args))
                    walls.append(r["seconds"])
                    cpus.append(r["cpu"])
                    peak = max(peak, r["rss_mb"])
                print(f"| {scenario.name} | {charts.lstrip('-')} | {min(walls):.2f} | {min(cpus):.2f} | "
                      f"{peak:.0f} |")
    print(f"\n(load average after: {os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100k cases")
    parser.add_argument("--solve", action="store_true", help="only the goal-seek timings")
    parser.add_argument("--million", action="store_true",
                        help="also time `planner run --paths 1000000` (about a minute)")
    parser.add_argument("--scenario", action="append", type=Path,
                        help="scenario file (repeatable; default: the two examples)")
    parser.add_argument("--variance", action="store_true",
                        help="only the variance reduction of keyed draws (about a minute)")
    parser.add_argument("--actuals", action="store_true",
                        help="also time reading a 1,000,000-row ledger into monthly MRR")
    parser.add_argument("--actuals-only", action="store_true", help="only the actuals benchmark")
    parser.add_argument("--engine", action="store_true",
                        help="only the engine: memory against its floor, process noise against "
                             "expected values, the simple model; with --million the streamed million")
    parser.add_argument("--sensitivity", action="store_true",
                        help="only the speed of Sobol indices and the tornado (a few minutes)")
    parser.add_argument("--cli", action="store_true",
                        help="only the start-up of --help, validate and schema (min of 10)")
    parser.add_argument("--run", action="store_true",
                        help="only `planner run` of the examples as typed, charts on and off (min of 5)")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    if args.actuals_only:
        bench_actuals()
        return
    if args.cli:
        cli_timings()
        return
    if args.run:
        run_timings(args.scenario or SCENARIOS)
        return
    if args.solve:
        goal_seek()
        return
    if args.sensitivity:
        sensitivity_speed()
        return
    if args.engine:
        bench_engine(args.scenario or SCENARIOS)
        if args.million:
            bench_million(args.scenario or SCENARIOS)
        return
    if not args.variance:
        for scenario in args.scenario or SCENARIOS:
            bench_scenario(scenario, args.quick, args.million)
    variance_reduction()
    if args.actuals:
        bench_actuals()


def bench_scenario(scenario: Path, quick: bool, million: bool) -> None:
    """Print the Markdown table of one scenario."""
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    print(f"\nscenario: {scenario.name}\n")
    ref = python_case(REFERENCE_CASE.format(scenario=str(scenario), paths=20))
    print("| case | paths | seconds | peak RSS (MB) | paths/s |")
    print("|---|---:|---:|---:|---:|")
    per_path = None
    for paths in sizes:
        # 100,000 paths of every series by segment would be several GB: keep what run keeps
        keep = None if paths <= 10_000 else ("arr", "cash", "revenue", "ebitda", "customers")
        r = python_case(ENGINE_CASE.format(scenario=str(scenario), paths=paths,
                                           repeat=3 if paths <= 10_000 else 1, keep=keep))
        if paths == 10_000:
            per_path = r["seconds"] / paths
        label = "all series" if keep is None else "5 series"
        print(f"| simulate(), {label} | {paths:,} | {r['seconds']:.2f} | {r['rss_mb']:.0f} | "
              f"{paths / r['seconds']:,.0f} |")
    noise = python_case(NOISE_CASE.format(scenario=str(scenario), paths=10_000))
    print(f"| simulate(), process noise on | 10,000 | {noise['seconds']:.2f} | {noise['rss_mb']:.0f} | "
          f"{10_000 / noise['seconds']:,.0f} |")
    out = ROOT / "outputs" / "_bench"
    for cli_paths in (10_000,) + (() if quick else (100_000,)) + ((1_000_000,) if million else ()):
        c = cli_case(scenario, cli_paths, out)
        print(f"| `planner run --paths {cli_paths:,}` (whole process) | {cli_paths:,} | "
              f"{c['seconds']:.2f} | {c['rss_mb']:.0f} | {cli_paths / c['seconds']:,.0f} |")
    print(f"\nscalar reference: {ref['seconds_per_path'] * 1000:.1f} ms per path; "
          f"vectorised engine at 10,000 paths: {per_path * 1e6:.0f} us per path; "
          f"speed-up x{ref['seconds_per_path'] / per_path:,.0f}")

MEMORY_CASE = """
import gc, json, resource, time, planner
sc = planner.load_scenario({scenario!r})
planner.simulate(sc, paths=200)                      # warm-up: imports, first-use caches
gc.collect()
warm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
best = float("inf")
for _ in range({repeat}):
    t = time.perf_counter()
    r = planner.simulate(sc, paths={paths})
    best = min(best, time.perf_counter() - t)
    kept = (sum(a.nbytes for part in (r.by_segment, r.company, r.opening, r.per_path, r.by_role)
                for a in part.values()) + r.draws.nbytes) / 2**20
    del r
print(json.dumps({{"seconds": best, "warm_mb": warm, "warm_peak_mb": before, "kept_mb": kept,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

NOISE_RATIO_CASE = """
import dataclasses, json, time, planner
smooth = planner.load_scenario({scenario!r})
noisy = dataclasses.replace(smooth, process_noise=True)
for sc in (smooth, noisy):
    planner.simulate(sc, paths=200)
best = {{}}
# the two engines alternate, so a change in the machine's load falls on both; CPU
# seconds too: on a shared machine they move much less than wall time
for _ in range({repeat}):
    for name, sc in (("expected", smooth), ("noise", noisy)):
        t, c = time.perf_counter(), time.process_time()
        planner.simulate(sc, paths={paths})
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        best[name] = min(best.get(name, wall), wall)
        best[name + "_cpu"] = min(best.get(name + "_cpu", cpu), cpu)
print(json.dumps(best))
"""


def load() -> str:
    """The 1-, 5- and 15-minute load averages, for reading the timings."""
    import os

    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def bench_engine(scenarios, paths: int = 10_000, repeat: int = 3) -> None:
    """The engine (issue 17.3-4): speed and peak memory of `simulate()` keeping every series
    by segment against its warm floor, and process noise against expected values."""
    print(f"\nengine: simulate(), {paths:,} paths, every series by segment (min of {repeat} runs; "
          f"load {load()})\n")
    print("| scenario | seconds | warm process (MB) | kept outputs (MB) | floor (MB) | peak RSS (MB) "
          "| peak / floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for scenario in scenarios:
        r = python_case(MEMORY_CASE.format(scenario=str(scenario), paths=paths, repeat=repeat))
        floor = r["warm_mb"] + r["kept_mb"]
        print(f"| {Path(scenario).name} | {r['seconds']:.2f} | {r['warm_mb']:.0f} | {r['kept_mb']:.0f} | "
              f"{floor:.0f} | {r['peak_mb']:.0f} | x{r['peak_mb'] / floor:.2f} |")
    print(f"\nprocess noise against expected values, {paths:,} paths, every series (min of {repeat}; "
          f"load {load()})\n")
    print("| scenario | expected values (s) | process noise (s) | ratio | ratio of CPU seconds |")
    print("|---|---:|---:|---:|---:|")
    for scenario in scenarios:
        r = python_case(NOISE_RATIO_CASE.format(scenario=str(scenario), paths=paths, repeat=repeat))
        print(f"| {Path(scenario).name} | {r['expected']:.2f} | {r['noise']:.2f} | "
              f"x{r['noise'] / r['expected']:.1f} | x{r['noise_cpu'] / r['expected_cpu']:.1f} |")
    for setting in ([], ["--planner-allocator"]):  # a process each: the setting is for good
        table = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "simple_model.py"),
                                "--paths", str(paths), "--repeat", "21", *setting],
                               check=True, capture_output=True, text=True).stdout
        print(f"\n{table.strip()}\n(load {load()})")


MILLION_CASE = """
import json, resource, time, planner
from planner.cli.allocator import keep_freed_pages
from planner.report.summary import run_series
from planner.sweep.stream import simulate_stream
if {keep_pages}:
    keep_freed_pages()  # as the planner command does for its process
sc = planner.load_scenario({scenario!r})
simulate_stream(sc, paths=2048, keep=run_series(sc), workers={workers})
seconds = cpu = float("inf")
for _ in range({repeat}):
    t, c = time.perf_counter(), time.process_time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = simulate_stream(sc, paths={paths}, keep=run_series(sc), workers={workers},
                        processes={processes})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (time.process_time() - c + after.ru_utime + after.ru_stime
            - before.ru_utime - before.ru_stime)  # worker processes' CPU too
    seconds, cpu = min(seconds, time.perf_counter() - t), min(cpu, used)
    spilled = s.sample.company.nbytes()
    del s
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "sample": {paths} // -(-{paths} // 50_000),
                  "spilled_mb": spilled / 2**20,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": worker}}))
"""


MILLION_CLI_CASE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run([sys.executable, "-m", "planner", "run", {scenario!r}, "--paths", "{paths}",
                "--no-charts", "--out", {out!r}], check=True, capture_output=True)
used = resource.getrusage(resource.RUSAGE_CHILDREN)  # this process's one child
print(json.dumps({{"seconds": time.perf_counter() - t, "cpu": used.ru_utime + used.ru_stime,
                  "rss_mb": used.ru_maxrss / 1024}}))
"""


def million_cli(scenario: Path, paths: int, out_dir: Path) -> dict:
    """`planner run --paths N --no-charts` as a process of its own: wall and CPU seconds,
    peak RSS."""
    return python_case(MILLION_CLI_CASE.format(scenario=str(scenario), paths=paths, out=str(out_dir)))


def bench_million(scenarios, paths: int = 1_000_000, repeat: int = 2) -> None:
    """`simulate_stream` of a million paths (issue 17.5): one worker, two threads, two
    processes, with and without freed pages kept (min of ``repeat`` runs; CPU seconds of
    the workers too: on a shared machine they move much less than wall time), then
    `planner run --paths 1000000 --no-charts` as a whole process."""
    print(f"\nstreamed: simulate_stream(), {paths:,} paths, the series `planner run` keeps "
          f"(min of {repeat})\n")
    print("| scenario | workers | freed pages kept | seconds | CPU seconds | sampled paths "
          "| sample on disk (MB) | peak RSS (MB): this process + each worker | load |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    cases = ((1, False, True), (2, False, True), (2, True, False), (2, True, True))
    for scenario in scenarios:
        for workers, processes, keep_pages in cases:
            r = python_case(MILLION_CASE.format(scenario=str(scenario), paths=paths, workers=workers,
                                                repeat=repeat, keep_pages=keep_pages,
                                                processes=processes))
            kind = "1" if workers == 1 else f"{workers} {'processes' if processes else 'threads'}"
            memory = f"{r['rss_mb']:.0f}" + (f" + {r['worker_rss_mb']:.0f}" if processes else "")
            print(f"| {Path(scenario).name} | {kind} | {'yes' if keep_pages else 'no'} | "
                  f"{r['seconds']:.1f} | {r['cpu']:.1f} | {r['sample']:,} | "
                  f"{r['spilled_mb']:.0f} | {memory} | {load()} |")
    print(f"\n`planner run --paths {paths:,} --no-charts`, whole process (one run each)\n")
    print("| scenario | seconds | CPU seconds | peak RSS (MB) | load |")
    print("|---|---:|---:|---:|---|")
    for scenario in scenarios:
        r = million_cli(Path(scenario), paths, ROOT / "outputs" / "_bench_million")
        print(f"| {Path(scenario).name} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:.0f} | "
              f"{load()} |")


SENSITIVITY_CASE = """
import json, time, planner
from planner.sweep.runner import local_executor
from planner.sweep.sensitivity import make_setup, make_statistic, uncertain_inputs
from planner.sweep.sobol import sobol_indices
from planner.sweep.tornado import tornado
sc = planner.load_scenario({scenario!r})
stat = make_statistic(sc, "arr", "P50")
executor = local_executor({workers}) if {dask} is False else None
if {dask}:
    import distributed
    cluster = distributed.LocalCluster(n_workers={workers}, threads_per_worker=1, dashboard_address=None)
    client = distributed.Client(cluster)
    executor = client.get_executor()
    client.wait_for_workers({workers})
setup = make_setup(sc, stat.outcome, paths={paths}, executor=executor)
sobol_indices(make_setup(sc, stat.outcome, executor=executor), base_samples=16)  # warm-up: workers, imports
t = time.perf_counter()
if {method!r} == "sobol":
    r = sobol_indices(setup, base_samples={samples})
    variants, evaluated = r.evaluations // {samples}, r.evaluations
else:
    r = tornado(setup, stat)
    variants, evaluated = 2 * len(r.rows) + 1, (2 * len(r.rows) + 1) * {paths}
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "inputs": len(uncertain_inputs(sc)), "variants": variants,
                   "paths": evaluated}}))
"""

#: key paths made uncertain (triangular, +-20% around the value) for the 20-input tornado
EXTRA_INPUTS = ("segments.smb.price.arpa", "segments.smb.expansion.contraction_monthly_rate",
                "segments.midmarket.price.arpa", "segments.midmarket.expansion.monthly_rate",
                "segments.midmarket.expansion.contraction_monthly_rate", "segments.enterprise.price.arpa",
                "segments.enterprise.expansion.monthly_rate",
                "segments.midmarket.acquisition.new_customers.annual_growth",
                "segments.smb.acquisition.marketing_budget.start", "costs.cogs.hosting_pct_of_revenue",
                "costs.headcount.0.salary", "costs.headcount.1.salary", "costs.headcount.2.salary",
                "costs.headcount.4.salary", "costs.headcount.5.salary")


def twenty_inputs(out: Path) -> Path:
    """The Series A example with 15 more inputs made uncertain: 20 the default plan uses."""
    import yaml

    data = yaml.safe_load(SCENARIOS[0].read_text())
    for key in EXTRA_INPUTS:
        node, parts = data, [int(p) if p.isdigit() else p for p in key.split(".")]
        for part in parts[:-1]:
            node = node[part]
        v = float(node[parts[-1]])
        node[parts[-1]] = {"dist": "triangular", "low": 0.8 * v, "mode": v, "high": 1.2 * v}
    out.mkdir(parents=True, exist_ok=True)
    path = out / "series_a_20_inputs.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def sensitivity_speed(dask: bool = True) -> None:
    """Time Sobol indices (4,096 base samples) and the tornado of 20 inputs, 1 and 2 workers."""
    print("\nsensitivity (planner sensitivity), ARR at the horizon\n")
    print("| analysis | scenario | inputs | variants | paths simulated | workers | seconds | ms per 1,000 paths |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    twenty = twenty_inputs(ROOT / "outputs" / "_bench")
    cases = [("sobol", s, 4096, 2000) for s in SCENARIOS] + [("tornado", twenty, 0, p) for p in (500, 2000)]
    for method, scenario, samples, paths in cases:
        for workers, on_dask in ((1, False), (2, False)) + (((2, True),) if dask else ()):
            r = python_case(SENSITIVITY_CASE.format(scenario=str(scenario), workers=workers, dask=on_dask,
                                                    method=method, samples=samples or 1, paths=paths))
            label = f"{workers}" + (" (Dask)" if on_dask else "")
            print(f"| {method}{f' N={samples:,}' if samples else f', {paths:,} paths per variant'} | "
                  f"{scenario.name} | {r['inputs']} | {r['variants']} | {r['paths']:,} | {label} | "
                  f"{r['seconds']:.2f} | {1000 * r['seconds'] / r['paths'] * 1000:.0f} |")


SOLVE_CASE = """
import json, time, planner
from planner.sweep.runner import local_executor
from planner.sweep.solve import solve
sc = planner.load_scenario({scenario!r})
planner.simulate(sc, paths=200)                      # warm-up: imports, FFT plans
executor = local_executor({workers})
t = time.perf_counter()
s = solve(sc, {vary!r}, {target!r}, paths=2_000, executor=executor)
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "trials": len(s.trials), "status": s.status,
                  "value": None if s.value is None else s.show(s.value)}}))
"""
#: typical goal seeks on the Series A example: one input each, 2,000 paths
SOLVES = (("segments.smb.price.arpa", "P50(arr@2031-12) >= 40M"),
          ("segments.smb.acquisition.cac", "P50(arr@2031-12) >= 40M"),
          ("segments.smb.acquisition.marketing_budget", "P(arr@2030-12 >= 25M) >= 50%"))


def goal_seek(workers: int = 2) -> None:
    """Trials and wall time of typical `planner solve` searches (``--solve``)."""
    scenario = SCENARIOS[0]
    print(f"\ngoal seek (planner solve): {scenario.name}, 2,000 paths, {workers} workers\n")
    print("| --vary | --target | answer | trials | seconds |")
    print("|---|---|---:|---:|---:|")
    for vary, target in SOLVES:
        r = python_case(SOLVE_CASE.format(scenario=str(scenario), vary=vary, target=target,
                                          workers=workers))
        print(f"| {vary} | `{target}` | {r['value']} ({r['status']}) | {r['trials']} | "
              f"{r['seconds']:.1f} |")


ACTUALS_CASE = """
import json, resource, time
started = time.perf_counter()
from planner.actuals import movements, read_ledger
t, c = time.perf_counter(), time.process_time()
ledger = read_ledger({path!r})
read, read_cpu = time.perf_counter() - t, time.process_time() - c
book = ledger.monthly_mrr()
to_mrr, to_mrr_cpu = time.perf_counter() - t, time.process_time() - c
mv = movements(book)
total, total_cpu = time.perf_counter() - t, time.process_time() - c
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"cpu": usage.ru_utime + usage.ru_stime, "read_cpu": read_cpu, "to_mrr_cpu": to_mrr_cpu,
                  "movements_cpu": total_cpu, "rows": int(len(ledger.start)), "customers": int(len(ledger.customers)),
                  "months": int(len(book.months)), "read": read, "to_mrr": to_mrr, "movements": total,
                  "process": time.perf_counter() - started,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def bench_actuals(rows: int = 1_000_000) -> None:
    """A ``rows``-row synthetic Stripe-shaped ledger: read, monthly MRR, movements (fresh process)."""
    import tempfile

    from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger

    segments = (SyntheticSegment("smb", 9_800, 100.0), SyntheticSegment("midmarket", 2_150, 2_400.0, alpha=1.0, beta=12.0),
                SyntheticSegment("enterprise", 430, 60_000.0, "year", alpha=1.0, beta=4.0))
    frame, _ = synthetic_ledger(segments, 60, start="2023-01", seed=7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.csv"
        frame.head(rows).to_csv(path, index=False)
        size = path.stat().st_size / 2**20
        r = python_case(ACTUALS_CASE.format(path=str(path)))
    print(f"\nactuals: {min(rows, len(frame)):,}-row ledger ({size:.0f} MB CSV; {r['rows']:,} rows counted, "
          f"{r['customers']:,} customers, {r['months']} months)\n")
    print("| step | seconds (cumulative) | CPU seconds (cumulative) |")
    print("|---|---:|---:|")
    print(f"| read and check the ledger | {r['read']:.2f} | {r['read_cpu']:.2f} |")
    print(f"| ... and each customer's MRR at every month end | {r['to_mrr']:.2f} | {r['to_mrr_cpu']:.2f} |")
    print(f"| ... and the MRR movements per segment and month | {r['movements']:.2f} | {r['movements_cpu']:.2f} |")
    print(f"| whole process, imports included | {r['process']:.2f} | {r['cpu']:.2f} |")
    print(f"\npeak RSS: {r['rss_mb']:.0f} MB (wall-clock seconds grow when other jobs share the "
          "cores; CPU seconds much less so)")


if __name__ == "__main__":
    main()
