"""``planner watch``: run a scenario again on every save and say what the edit changed.

The loop a CFO iterates in: edit an assumption, save, read the change in the headline
numbers. :func:`rerun` is one turn of it, testable without watching files: load the
scenario, simulate it on the previous run's draws (same seed, same paths unless the
file changed them), rewrite the outputs and the HTML report, and describe the change of
each :data:`HEADLINES` number. A save that does not validate changes nothing on disk:
its problems come back in the ``planner validate`` format and the last good outputs
stay as they were (each file is written atomically, so none is ever half-written).

:func:`watch` drives :func:`rerun` from the `watchfiles <https://watchfiles.helpmanual.io>`_
library (Rust ``notify``: inotify, FSEvents, ReadDirectoryChangesW, polling as a
fallback), watching the scenario's folder so that editors which save by writing a new
file and renaming it over the old one are followed too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from planner.errors import PlannerError, ScenarioError
from planner.format import money, plural

#: headline number -> (label, unit, how to read it from a run summary); unit is "money",
#: "probability" (a change in points) or "months"
HEADLINES: dict[str, tuple[str, str, Callable[[dict], float | None]]] = {
    "arr_end": ("ARR at the end, P50", "money", lambda s: s["arr_end"]["p50"]),
    "cash_trough": ("Cash trough, P50", "money", lambda s: s["cash_trough"]["p50"]),
    "cash_end": ("Cash at the end, P50", "money", lambda s: s["cash_end"]["p50"]),
    "cash_out": ("Cash runs out (share of paths)", "probability",
                 lambda s: s["cash_out"]["probability"]),
    "runway": ("Runway, P50 (months)", "months",
               lambda s: _dig(s, "funding", "runway_months", "p50")),
    "minimum_raise": ("Minimum raise", "money",
                      lambda s: _dig(s, "funding", "minimum_raise", "amount")),
}


def _dig(data: dict, *keys):
    for key in keys:
        if not isinstance(data, dict) or data.get(key) is None:
            return None
        data = data[key]
    return data


@dataclass
class WatchState:
    """The last good run of a watched scenario.

    Attributes
    ----------
    summary : dict
        Its summary (what summary.json holds).
    headline : dict of str -> float or None
        Its :data:`HEADLINES` numbers.
    seed, paths : int
        The draws it was simulated on; the next run uses the same seed.
    files : list of Path
        The files it wrote.
    runs : int
        Good runs so far, this one included.
    durations : dict of str -> float
        Seconds each phase took (a progress display's expected lengths for the next run).
    """

    summary: dict
    headline: dict
    seed: int
    paths: int
    files: list = field(default_factory=list)
    runs: int = 1
    durations: dict = field(default_factory=dict)


def headline_numbers(summary: dict) -> dict[str, float | None]:
    """The :data:`HEADLINES` numbers of a run summary (None where it has none)."""
    out = {}
    for key, (_, _, read) in HEADLINES.items():
        try:
            value = read(summary)
        except (KeyError, TypeError):
            value = None
        out[key] = None if value is None else float(value)
    return out


def _shown(value: float | None, unit: str, currency: str, censored: float | None = None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "money":
        return money(value, currency)
    if unit == "probability":
        return f"{100 * value:.1f}%"
    if censored is not None and value >= censored:
        return f">{censored:.0f}"
    return f"{value:.1f}"


def _change(before: float | None, now: float | None, unit: str, currency: str) -> str:
    if before is None or now is None or not (math.isfinite(before) and math.isfinite(now)):
        return ""
    delta = now - before
    if delta == 0:
        return "unchanged"
    sign = "+" if delta > 0 else "-"
    if unit == "money":
        relative = f" ({delta / abs(before):+.1%})" if before else ""
        return f"{sign}{money(abs(delta), currency)}{relative}"
    if unit == "probability":
        return f"{100 * delta:+.1f} points"
    return f"{delta:+.1f}"


def change_text(summary: dict, previous: WatchState | None) -> str:
    """The headline numbers of ``summary`` and, after a previous run, their change.

    Returns
    -------
    str
        A header naming the draws (and whether they are the previous run's), then one
        line per :data:`HEADLINES` number: before, now, change.
    """
    now = headline_numbers(summary)
    currency = summary.get("currency", "USD")
    censored = _dig(summary, "funding", "runway_months", "censored_at")
    draws = f"{plural(summary['paths'], 'path')}, seed {summary['seed']}"
    if previous is not None:
        same = previous.seed == summary["seed"] and previous.paths == summary["paths"]
        draws += (", the same draws as the previous run" if same else
                  f"; not the previous run's draws ({previous.paths:,} paths, seed {previous.seed})")
    lines = [f"{summary['scenario']}: {draws}"]
    if previous is None:
        lines += [f"  {label:<32}{_shown(now[key], unit, currency, censored):>12}"
                  for key, (label, unit, _) in HEADLINES.items()]
        return "\n".join(lines)
    lines.append(f"  {'':<32}{'before':>12}{'now':>12}   change")
    for key, (label, unit, _) in HEADLINES.items():
        before = previous.headline.get(key)
        lines.append(f"  {label:<32}{_shown(before, unit, currency, censored):>12}"
                     f"{_shown(now[key], unit, currency, censored):>12}   "
                     f"{_change(before, now[key], unit, currency)}".rstrip())
    return "\n".join(lines)


def problems_text(err: ScenarioError, kept: WatchState | None) -> str:
    """A save that does not validate: its problems (the ``planner validate`` lines) and
    what is kept."""
    lines = [str(p) for p in err.problems] or [str(err)]
    count = plural(len(err.problems), "problem") if err.problems else "a problem"
    kept_text = ("the last good outputs are kept" if kept is not None and kept.files
                 else "nothing was written")
    lines.append(f"{count} found; {kept_text}; fix the file and save again")
    return "\n".join(lines)


def error_text(err: Exception, kept: WatchState | None) -> str:
    """A run that failed for another reason than the file's problems (an output folder
    that cannot be written, say): what went wrong and what is kept."""
    if isinstance(err, OSError):
        where = f" to {err.filename}" if err.filename else ""
        what = f"cannot write the outputs{where}: {err.strerror or err}"
    else:
        what = str(err)
    kept_text = ("the last good outputs are kept" if kept is not None and kept.files
                 else "no complete outputs were written")
    return f"Error: {what}; {kept_text}"


def rerun(path: str | Path, previous: WatchState | None, *, out_dir: str | Path | None = None,
          overrides: tuple[str, ...] = (), paths: int | None = None, seed: int | None = None,
          charts: bool = True, report: bool = True, progress=None,
          **question) -> tuple[WatchState | None, str]:
    """Run the scenario at ``path`` again, on the previous run's draws.

    Parameters
    ----------
    path : path-like
        The scenario file.
    previous : WatchState or None
        The last good run (None: this is the first).
    out_dir : path-like, optional
        Output folder (default ``outputs/<scenario name>/``).
    overrides : tuple of str
        ``--set`` edits applied on every run.
    paths, seed : int, optional
        Fixed paths and seed (default: the file's). Draws are keyed by seed and input, so
        while the file's seed and paths stay as they are, each run is on the previous
        run's draws and a change is what the edit did; the text says when they are not.
    charts, report : bool
        Also write the standard charts, and the HTML report (``report.html``).
    progress : optional
        A progress hook (:func:`planner.run.run_scenario`); also told ``"report"``.
    **question
        Other keyword arguments of :func:`planner.run.run_scenario` (plan, raise_month...).

    Returns
    -------
    state : WatchState or None
        The new run, or ``previous`` unchanged when the file does not validate.
    text : str
        The change in the headline numbers, or the file's problems.
    """
    from planner.report.tables import output_dir
    from planner.run import ChartsAhead, run_scenario, stage, write_outputs
    from planner.scenario.loader import load_scenario

    try:
        scenario = load_scenario(str(path), tuple(overrides))
    except ScenarioError as err:
        return previous, problems_text(err, previous)
    target = output_dir(scenario.name, out_dir)
    # the charts start with the simulations (run_scenario's own checks come before them)
    ahead = ChartsAhead(target) if charts else None
    try:
        try:
            run = run_scenario(scenario, paths=paths, seed=seed, progress=progress, on_simulated=ahead, **question)
        except ScenarioError as err:
            return previous, problems_text(err, previous)
        files = write_outputs(run, target, charts=charts, progress=progress, ahead=ahead)
    finally:
        if ahead is not None:
            ahead.close()
    if report:
        from planner.io import write_manifest
        from planner.report import write_report

        stage(progress, "report")
        files = files[:-1] + write_report(run, target, workbook=False)  # manifest last, again
        files.append(write_manifest(target, run.result.seed, scenario.source, files))
    text = change_text(run.summary, previous)
    warnings = [f"Warning: {w}" for w in scenario.warnings]
    state = WatchState(run.summary, headline_numbers(run.summary), run.result.seed,
                       int(run.summary["paths"]), files,
                       runs=(previous.runs + 1) if previous is not None else 1)
    return state, "\n".join(warnings + [text])


def saves(path: str | Path, *, debounce_ms: int = 300, stop_event=None,
          rust_timeout_ms: int = 5_000) -> Iterator[Path]:
    """Yield ``path`` each time it is saved (changed, replaced or created again), until
    ``stop_event`` is set.

    Saves closer together than ``debounce_ms`` come as one; saves made while the caller
    is busy with the previous one come as one more (watchfiles keeps them meanwhile).
    The folder is watched, not the file, so a save by rename is seen.
    """
    from watchfiles import watch as watch_files  # a compiled library: only when watching

    target = Path(path).resolve()

    def is_target(change, changed: str) -> bool:
        return Path(changed).resolve() == target

    for changes in watch_files(target.parent, watch_filter=is_target, debounce=debounce_ms,
                               step=50, stop_event=stop_event, rust_timeout=rust_timeout_ms,
                               recursive=False, raise_interrupt=False):
        if changes and target.exists():  # a save by delete-then-create comes back once created
            yield target


def watch(path: str | Path, *, on_run: Callable[[WatchState | None, str, bool], None],
          max_runs: int | None = None, stop_event=None, debounce_ms: int = 300,
          make_progress=None, **options) -> WatchState | None:
    """Run ``path`` now and again on every save.

    Parameters
    ----------
    on_run : callable
        ``on_run(state, text, wrote)`` after each run: the last good state, the run's
        text (:func:`rerun`), and whether this run wrote new outputs.
    max_runs : int, optional
        Stop after this many runs, good or broken (the first included); None: until
        ``stop_event`` is set or Ctrl-C.
    stop_event : threading.Event, optional
        Set it to stop watching.
    debounce_ms : int
        Saves closer together than this are one run.
    make_progress : callable, optional
        ``make_progress(state)`` -> a progress hook for the next run, or None; after the
        run it is closed and its ``durations`` kept in the new state.
    **options
        Passed to :func:`rerun`.

    Returns
    -------
    WatchState or None
        The last good run.
    """
    state, runs = None, 0

    def one() -> None:
        nonlocal state, runs
        hook = make_progress(state) if make_progress is not None else None
        before = state
        try:
            state, text = rerun(path, state, progress=hook, **options)
        except (PlannerError, OSError) as err:  # e.g. an output folder gone: keep watching
            text = error_text(err, state)
        finally:
            if hook is not None and hasattr(hook, "close"):
                hook.close()
        wrote = state is not before and state is not None
        if wrote and hook is not None:
            state.durations = dict(getattr(hook, "durations", {}))
        runs += 1
        on_run(state, text, wrote)

    one()
    if max_runs is not None and runs >= max_runs:
        return state
    for _ in saves(path, debounce_ms=debounce_ms, stop_event=stop_event):
        one()
        if max_runs is not None and runs >= max_runs:
            break
    return state
