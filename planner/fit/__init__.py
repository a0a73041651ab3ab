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

from planner.fit.history import CohortHistory, read_history
from planner.fit.model import MODELS, PERIODS, RetentionFit, fit_retention, sbg_loglik, sbg_survival
from planner.fit.output import format_fit, write_fit_outputs

__all__ = ["RetentionFit", "CohortHistory", "fit_retention", "read_history", "sbg_loglik",
           "sbg_survival", "format_fit", "write_fit_outputs", "MODELS", "PERIODS"]
