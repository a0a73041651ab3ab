"""One workflow for every output.

A :class:`Run` is a scenario simulated once under one funding plan, with everything
derived from it: the headline summary (all paths), the unit economics and funnel (the
first paths, by segment) and, when asked, the funding plans compared. ``planner run``,
``report``, ``chart`` and ``compare`` all build one with :func:`run_scenario`, so the
terminal, JSON, CSV, charts, HTML and XLSX of one scenario and seed always agree.

>>> import planner
>>> from planner.run import run_scenario, write_outputs
>>> run = run_scenario(planner.load_scenario("scenarios/series_a_midmarket.yaml"),
...                    raise_month="2027-06")
>>> run.summary["arr_end"]["p50"]
>>> write_outputs(run, "outputs/series-a")        # CSV, JSON and the standard charts
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.analysis.funnel import FUNNEL_SUMMARY_SERIES, funnel_summary
from planner.analysis.sampling import sampling_report
from planner.analysis.targets import needs, parse_targets
from planner.analysis.unit_economics import UNIT_ECONOMICS_SERIES
from planner.errors import PlannerError
from planner.io import write_manifest
from planner.report.summary import run_series, summarise
from planner.report.tables import write_metric_series, write_run_outputs
from planner.report.unit_economics import unit_economics_summary
from planner.results import SimulationResult, base_series
from planner.scenario.choices import resolve_month, resolve_plan
from planner.scenario.model import Scenario
from planner.simulation import simulate
from planner.sweep.auto_paths import choose_paths
from planner.sweep.compare import Comparison, compare
from planner.sweep.sensitivity import run_drivers
from planner.sweep.stream import SAMPLE_PATHS, simulate_stream

#: paths of a run's detail result (series by segment, for unit economics, the funnel,
#: cohorts and the charts that need segments): its cohort arithmetic is memory-hungry
DETAIL_PATHS = 2_000
#: cost of the monthly unit-economics table in chart cost units
#: (:data:`planner.charts.parallel.COSTS`): about two unit-economics charts
METRIC_SERIES_COST = 8.0
#: above this many paths a run streams (see :mod:`planner.sweep.stream`)
STREAM_ABOVE = 50_000


@dataclass
class Run:
    """A scenario simulated once, and everything derived from it.

    Attributes
    ----------
    result : SimulationResult
        Every path, the company series of :func:`planner.report.summary.run_series` (for
        a streamed run: an evenly spaced sample of paths; ``summary`` is of all paths).
    detail : SimulationResult
        The first ``min(paths, DETAIL_PATHS)`` paths with the series by segment; the same
        paths as the first of ``result`` (a path depends only on the seed and its index).
    summary : dict
        :func:`planner.report.summary.summarise` (``funding_events`` and
        ``ownership_after`` included) plus ``unit_economics`` (computed once, on
        :attr:`detail`; its period arrays: :meth:`unit_economics_periods`), ``funnel``
        (with a funnel), ``sampling`` and ``warnings``: what summary.json holds.
    comparison : Comparison or None
        The scenario's funding plans side by side, when asked for.
    closed : ClosedMonths or None
        A reforecast's actual months before its start
        (:func:`planner.actuals.reforecast.reforecast`): its ARR and cash charts draw them.
    """

    result: SimulationResult
    detail: SimulationResult
    summary: dict
    comparison: Comparison | None = None
    closed: object | None = None

    @property
    def scenario(self) -> Scenario:
        return self.result.scenario

    @property
    def unit_economics(self) -> dict:
        return self.summary["unit_economics"]

    def unit_economics_periods(self, freq: str = "quarter", **options):
        """Every unit-economics metric per path and period of :attr:`detail`
        (:func:`planner.analysis.unit_economics.period_metrics`), computed once per
        frequency and options and shared by the summary, workbook, charts and targets
        (the summary's yearly ones are the first)."""
        from planner.analysis.unit_economics import period_metrics

        return period_metrics(self.detail, freq, **options)

    @property
    def unit_economics_result(self) -> SimulationResult:
        """Deprecated name of :attr:`detail`."""
        return self.detail


def run_scenario(scenario: Scenario, *, paths: int | str | None = None, seed: int | None = None,
                 plan: str | None = None, raise_month: int | str | None = 0,
                 confidence: float = 0.9, until: str = "horizon",
                 fiscal_year_start: int | None = None, cac_lag_months: int = 0,
                 with_comparison: bool = False, stream_above: int = STREAM_ABOVE,
                 sample_paths: int = SAMPLE_PATHS, detail_paths: int = DETAIL_PATHS,
                 progress=None, targets=(), on_simulated=None) -> Run:
    """Simulate a scenario once and derive everything its outputs show.

    Parameters
    ----------
    paths : int, "auto" or None
        None: the scenario's. ``"auto"`` doubles the paths until the ARR P50 is known to
        1% and the cash-out probability to 0.5 points (95% confidence).
    plan : str, optional
        Funding plan (default: the scenario's).
    raise_month : int or "YYYY-MM"
        Month of the extra raise the minimum-raise answer is for (default: the first).
    confidence, until
        The minimum-raise question (see :func:`planner.analysis.funding.minimum_raise`).
    fiscal_year_start, cac_lag_months
        For the unit economics.
    with_comparison : bool
        Also compare every funding plan of the scenario on the same draws.
    stream_above, sample_paths : int
        Above ``stream_above`` paths, simulate in chunks: exact per-path outcomes, monthly
        series from an evenly spaced sample of about ``sample_paths`` paths.
    detail_paths : int
        Paths of :attr:`Run.detail`.
    progress : callable, optional
        ``progress(done, total)`` after each block of paths. When it also has a
        ``stage(name)`` method, that is called as each phase starts: ``"simulate"``,
        ``"unit economics"`` (the detail paths and what is computed on them) and, with
        ``with_comparison``, ``"comparison"`` (see :func:`stage`).
    targets : sequence of str or Target
        ``P50(arr@2031-12) >= 50M`` ... (:mod:`planner.analysis.targets`), evaluated into
        ``summary["targets"]``: on every path when the outcome is company-level, else on
        the detail paths.
    on_simulated : callable, optional
        Called with a :class:`Run` of the simulations alone (empty summary, no comparison)
        as soon as they exist, before the summary is computed: :class:`ChartsAhead` starts
        the charts there.
    """
    targets = parse_targets(targets, scenario) if targets else []
    plan = resolve_plan(scenario, plan)
    month = resolve_month(scenario, raise_month)
    rounds = None
    stage(progress, "simulate")
    if paths == "auto":
        paths, rounds = choose_paths(scenario, seed=seed, plan=plan)
    total = scenario.paths if paths is None else int(paths)
    question = {"raise_month": month, "confidence": confidence, "until": until}
    run_keep = run_series(scenario) + _company_needs(targets)
    detail_keep = detail_series(scenario) + needs(targets)[0]
    if total > stream_above:
        result, summary = _streamed(scenario, total, seed, plan, question, sample_paths, progress)
    elif total <= detail_paths:
        # every path is a detail path: one simulation by segment, viewed both ways
        both = simulate(scenario, paths=total, seed=seed, plan=plan, keep=run_keep + detail_keep,
                        progress=progress)
        result, detail = view(both, run_keep, by_segment=False), view(both, detail_keep)
        summary = summarise(result, **question)
    else:
        result = simulate(scenario, paths=total, seed=seed, plan=plan, keep=run_keep,
                          by_segment=False, progress=progress)
        summary = summarise(result, **question)
    stage(progress, "unit economics")
    if total > detail_paths:
        detail = simulate(scenario, paths=detail_paths, seed=result.seed, plan=plan, keep=detail_keep)
    if on_simulated is not None:
        on_simulated(Run(result, detail, {}, None))
    summary |= _detail_summary(detail, fiscal_year_start, cac_lag_months)
    if targets:
        summary["targets"] = evaluate_targets(targets, result, detail)
    summary["sampling"] = sampling_report(result)
    summary["drivers"] = run_drivers(result)
    summary["warnings"] = list(scenario.warnings)
    if rounds is not None:
        summary["monte_carlo_error"]["auto_paths"] = rounds
    comparison = None
    if with_comparison:
        stage(progress, "comparison")
        comparison = compare(scenario, paths=total, seed=result.seed)
    return Run(result, detail, summary, comparison)


def stage(progress, name: str) -> None:
    """Tell a progress hook that phase ``name`` starts, if it listens for phases.

    A hook is any callable ``progress(done, total)``; one with a ``stage(name)`` method
    is also told the phases (``planner.cli.progress.Progress`` draws both). The library
    prints nothing itself.
    """
    listener = getattr(progress, "stage", None)
    if listener is not None:
        listener(name)


def detail_series(scenario: Scenario) -> tuple[str, ...]:
    """The series :attr:`Run.detail` keeps by segment."""
    keep = UNIT_ECONOMICS_SERIES + (FUNNEL_SUMMARY_SERIES if scenario.has_funnel else ())
    if any(role.driver is not None for role in scenario.roles):
        keep += ("role_headcount",)  # the headcount chart: driven roles have no dated plan
    return keep


def view(result: SimulationResult, keep, *, by_segment: bool = True) -> SimulationResult:
    """The result ``simulate(..., keep=keep, by_segment=by_segment)`` would give, from
    ``result`` (same scenario, seed, plan and paths, keeping at least ``keep``).

    Arrays are shared, not copied, except company totals of segment series when
    ``by_segment`` is False: summed over segments as :func:`planner.simulate` sums
    them, so the numbers are the same to the last bit.
    """
    wanted = base_series(keep)
    by_seg = {n: a for n, a in result.by_segment.items() if n in wanted and by_segment}
    by_role = {n: a for n, a in result.by_role.items() if n in wanted}
    company = {n: result.total(n) for n in wanted if n not in by_seg and n not in by_role}
    return SimulationResult(result.scenario, result.seed, by_seg, company, result.opening,
                            result.per_path, result.plan, result.first_path, by_role, result.draws)


def _company_needs(targets) -> tuple[str, ...]:
    """Series company-level targets need on every path."""
    return needs([t for t in targets if not t.outcome.by_segment])[0]


def evaluate_targets(targets, result: SimulationResult, detail: SimulationResult) -> list[dict]:
    """Each target on ``result`` (company-level outcomes it keeps) or ``detail``, JSON-ready."""
    out = []
    for t in targets:
        on_all = not t.outcome.by_segment and set(t.outcome.keep) <= set(result.names)
        out.append(t.evaluate(result if on_all else detail).to_dict()
                   | {"evaluated_on": "run" if on_all else "detail"})
    return out


def _streamed(scenario, total, seed, plan, question, sample_paths, progress
              ) -> tuple[SimulationResult, dict]:
    streamed = simulate_stream(scenario, paths=total, seed=seed, plan=plan, keep=run_series(scenario),
                               raise_month=question["raise_month"], until=question["until"],
                               sample_paths=sample_paths, progress=progress)
    result = streamed.sample
    summary = summarise(result, outcomes=streamed.outcomes, paths=total, **question)
    summary["sample_paths"] = result.paths
    summary["approximations"] = [
        f"monthly P10/P50/P90 tables, yearly revenue and EBITDA, ARR after 12 months and the "
        f"funding events "
        f"are computed on every {_ordinal(streamed.every)} path ({result.paths:,} paths); all "
        f"other figures on all {total:,} paths"]
    return result, summary


def _detail_summary(detail: SimulationResult, fiscal_year_start, cac_lag_months) -> dict:
    """The parts of the summary computed on the detail paths: unit economics and funnel."""
    out = {}
    if detail.scenario.has_funnel:
        out["funnel"] = funnel_summary(detail)
    out["unit_economics"] = unit_economics_summary(
        detail, fiscal_year_start=fiscal_year_start, cac_lag_months=cac_lag_months)
    out["unit_economics"]["paths"] = detail.paths
    return out


def write_outputs(run: Run, out_dir: str | Path, *, charts: bool = True, fmt: str = "png",
                  progress=None, ahead: ChartsAhead | None = None) -> list[Path]:
    """Write a run's tables (projection.csv, unit_economics.csv, summary.json), with
    ``charts`` its standard charts (:func:`write_charts`), and last ``manifest.json`` (the
    seed, the scenario and a content hash of each file: :func:`planner.io.write_manifest`).
    A ``progress`` hook is told the phases ``"tables"``, ``"charts"`` and ``"files"``
    (:func:`stage`). ``ahead``: the charts (and the monthly unit-economics table) were
    started as the run's simulations finished (:class:`ChartsAhead`); they are finished here.

    Returns
    -------
    list of Path
        The files written.
    """
    drawing = ahead.drawing if ahead is not None and charts else None
    try:
        stage(progress, "tables")
        files = write_run_outputs(run.result, out_dir, run.summary)
    except BaseException:
        if drawing is not None:
            drawing.close()
        raise
    if charts:
        stage(progress, "charts")
        # the monthly unit-economics table is drawn with the charts: on a free core, beside them
        drawn = (drawing or chart_drawing(run, out_dir, fmt, extra=[metric_table(run, out_dir)])).finish()
        files = files[:1] + drawn[:1] + files[1:] + drawn[1:]
    else:
        files = files[:1] + metric_table(run, out_dir)[0]() + files[1:]
    stage(progress, "files")
    # written last: which run each file belongs to, should a later run be interrupted
    files.append(write_manifest(out_dir, run.result.seed, run.scenario.source, files))
    return files


def metric_table(run: Run, out_dir: str | Path):
    """Writing unit_economics.csv as a ``(task, cost)`` pair for :func:`chart_drawing`."""
    return (lambda: [write_metric_series(run.detail, out_dir)]), METRIC_SERIES_COST


class ChartsAhead:
    """Draw a run's charts, and write its monthly unit-economics table, while the run is
    still being summarised.

    Pass it as ``run_scenario(..., on_simulated=ahead)``: once the simulations exist, the
    drawing starts (on a second core when one is free: :class:`planner.charts.parallel.Drawing`),
    and :func:`write_outputs` (``ahead=ahead``) finishes it. The charts and the table
    read only the simulations (and a reforecast's ``closed`` months), not the summary, so
    they are the same files either way.
    """

    def __init__(self, out_dir: str | Path, fmt: str = "png", workers: int | None = None, closed=None):
        self.out_dir, self.fmt, self.workers, self.closed = out_dir, fmt, workers, closed
        self.drawing = None

    def __call__(self, run: Run) -> None:
        run.closed = self.closed  # a reforecast's closed months: its fans start with them
        self.drawing = chart_drawing(run, self.out_dir, self.fmt, extra=[metric_table(run, self.out_dir)],
                                     workers=self.workers)

    def close(self) -> None:
        """Stop the drawing (the run failed): the helper finishes the chart it is on."""
        if self.drawing is not None:
            self.drawing.close()


def default_charts(run: Run) -> list[str]:
    """The charts a run draws by default: every chart its results have the series for,
    and the plan comparison when it has one."""
    from planner.charts import chart_sources  # matplotlib: only when drawing

    kinds = [kind for kind, _ in chart_sources(run.result, None, run.detail)]
    return kinds + (["plan_comparison"] if run.comparison is not None else [])


def write_charts(run: Run, out_dir: str | Path, fmt: str = "png", kinds=None,
                 workers: int | None = None, extra=()) -> list[Path]:
    """Draw ``kinds`` (default :func:`default_charts`) to ``<out_dir>/<kind>.<fmt>``.

    Each chart is drawn once; with ``workers`` None they are drawn on two processes when
    a second core is free (:func:`planner.charts.parallel.chart_workers`), 1 draws all
    here. ``extra`` (``(task, cost)`` pairs: a zero-argument function returning the files
    it wrote, and its cost in :data:`planner.charts.parallel.COSTS` units) is other
    writing shared out with the charts; its files come first.

    Raises
    ------
    PlannerError
        For a chart the run cannot draw (``plan_comparison`` without a comparison, or a
        chart whose series it lacks), naming what is missing.
    """
    return chart_drawing(run, out_dir, fmt, kinds, workers, extra).finish()


def chart_drawing(run: Run, out_dir: str | Path, fmt: str = "png", kinds=None,
                  workers: int | None = None, extra=()):
    """:func:`write_charts`' work, started: a :class:`planner.charts.parallel.Drawing`
    whose ``finish()`` returns the files."""
    from planner.charts.files import standard_chart_tasks, task_cost, write_comparison_chart  # matplotlib
    from planner.charts.parallel import Drawing

    kinds = default_charts(run) if kinds is None else list(dict.fromkeys(kinds))
    plain = [k for k in kinds if k != "plan_comparison"]
    if "plan_comparison" in kinds and run.comparison is None:
        raise PlannerError("the plan comparison chart needs a run with its plans compared "
                           "(run_scenario(..., with_comparison=True))")
    work = [task for task, _ in extra]
    costs = [cost for _, cost in extra]
    if run.closed is not None:  # a reforecast: its fans start with the actual months
        from planner.actuals.chart import REFORECAST_CHARTS, write_reforecast_charts

        drawn = [k for k in plain if k in REFORECAST_CHARTS]
        work.append(lambda: write_reforecast_charts(run.result, run.closed, out_dir, fmt, drawn, run.detail))
        costs.append(task_cost(drawn))
        plain = [k for k in plain if k not in drawn]
    tasks = standard_chart_tasks(run.result, out_dir, fmt, kinds=plain, detail=run.detail)
    if "plan_comparison" in kinds:
        tasks.append((["plan_comparison"], lambda: [write_comparison_chart(run.comparison, out_dir, fmt)]))
    return Drawing(work + [task for _, task in tasks], costs + [task_cost(k) for k, _ in tasks], workers)


def _ordinal(n: int) -> str:
    """2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
