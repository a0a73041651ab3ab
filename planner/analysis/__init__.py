"""SimulationResult -> numbers: per-path outcomes, funding answers, unit economics, cohort
views, the funnel by plan year, Monte Carlo error. Pure functions of results: nothing
here draws inputs or runs the engine (that is :mod:`planner.sweep`)."""
