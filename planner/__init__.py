"""planner: bottom-up Monte Carlo financial planning for subscription (SaaS) businesses.

>>> import planner
>>> scenario = planner.load_scenario("scenarios/series_a_midmarket.yaml")
>>> result = planner.simulate(scenario, paths=1000, seed=1)
>>> result.quantiles("arr", [0.1, 0.5, 0.9])[:, -1]   # ARR range at the horizon
"""
from planner.errors import PlannerError, ScenarioError
from planner.results import SimulationResult
from planner.scenario.loader import load_scenario, parse_scenario
from planner.scenario.model import Scenario
from planner.simulate import simulate, simulate_plans
from planner.funding import Comparison, compare, compare_scenarios, minimum_raise
from planner.stream import Streamed, simulate_stream

__all__ = ["load_scenario", "parse_scenario", "simulate", "simulate_plans", "simulate_stream",
           "Streamed", "compare",
           "compare_scenarios", "minimum_raise", "Comparison", "Scenario", "SimulationResult",
           "ScenarioError", "PlannerError"]
__version__ = "0.1.0"
