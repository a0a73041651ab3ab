"""Fitting retention models to cohort history (``planner fit``).

:mod:`~planner.fit.history` reads a cohort history (long, single-cohort or triangle CSV),
:mod:`~planner.fit.model` fits the shifted-beta-geometric model by maximum likelihood,
:mod:`~planner.fit.output` writes the table, JSON, scenario block and
:mod:`~planner.fit.chart` the chart.

>>> from planner.fit import fit_retention
>>> fit = fit_retention("history.csv")
>>> fit.alpha, fit.beta
"""
from __future__ import annotations

from planner.lazy import lazy_names

from planner.fit.choices import MODELS, PERIODS

#: public name -> the module that defines it (loaded on first use: SciPy and matplotlib
#: are not imported by ``planner --help``)
_PUBLIC = {"CohortHistory": "planner.fit.history", "read_history": "planner.fit.history",
           "RetentionFit": "planner.fit.model", "fit_retention": "planner.fit.model",
           "sbg_loglik": "planner.fit.model", "sbg_survival": "planner.fit.model",
           "format_fit": "planner.fit.output", "write_fit_outputs": "planner.fit.output"}

__all__ = list(_PUBLIC) + ["MODELS", "PERIODS"]


__getattr__ = lazy_names("planner.fit", _PUBLIC, globals())