"""What ``planner fit`` can be asked for (kept apart so the CLI can list it cheaply)."""
from __future__ import annotations

#: the unit of one age step in a history
PERIODS = ("month", "year")
#: retention models that can be fitted
MODELS = ("sbg",)
