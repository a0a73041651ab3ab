"""planner: bottom-up Monte Carlo financial planning for subscription (SaaS) businesses.

>>> import planner
>>> scenario = planner.load_scenario("scenarios/series_a_midmarket.yaml")
>>> result = planner.simulate(scenario, paths=1000, seed=1)
>>> result.quantiles("arr", [0.1, 0.5, 0.9])[:, -1]   # ARR range at the horizon

The public names are loaded when first used, so ``import planner`` (and ``planner
--help``) does not pay for SciPy and the engine until something is simulated.
"""
from __future__ import annotations

from planner.lazy import lazy_names

#: public name -> the module that defines it
_PUBLIC = {
    "load_scenario": "planner.scenario.loader", "parse_scenario": "planner.scenario.loader",
    "Scenario": "planner.scenario.model",
    "simulate": "planner.simulation", "simulate_plans": "planner.simulation",
    "SimulationResult": "planner.results",
    "simulate_stream": "planner.sweep.stream", "Streamed": "planner.sweep.stream",
    "compare": "planner.sweep.compare", "compare_scenarios": "planner.sweep.compare",
    "Comparison": "planner.analysis.funding", "minimum_raise": "planner.analysis.funding",
    "run_scenario": "planner.run", "Run": "planner.run",
    "ScenarioError": "planner.errors", "PlannerError": "planner.errors",
}

__all__ = list(_PUBLIC)
__version__ = "0.1.0"


__getattr__ = lazy_names("planner", _PUBLIC, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
