"""How precise the Monte Carlo answers are, and how many paths a target precision needs.

Quantiles get a distribution-free confidence interval from order statistics: with n
paths the p-quantile lies between the order statistics of ranks ``n p -/+ z sqrt(n p (1-p))``
with probability ~ the confidence. Probabilities get a Wilson interval. Both assume
independent paths (plain Monte Carlo); for Latin hypercube and Sobol samples they are
conservative (the true error is smaller).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri


#: scipy.stats.norm.ppf(0.975): ndtri is what it computes (scale 1, loc 0)
Z95 = float(ndtri(0.975))


def quantile_interval(values: np.ndarray, p: float, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval of the ``p``-quantile of ``values`` (shape (n,))."""
    n = values.size
    z = ndtri(0.5 + confidence / 2)
    half = z * math.sqrt(n * p * (1 - p))
    ranked = np.sort(values)
    low = int(np.clip(math.floor(n * p - half), 0, n - 1))
    high = int(np.clip(math.ceil(n * p + half), 0, n - 1))
    return float(ranked[low]), float(ranked[high])


def proportion_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a probability estimated as ``hits / n``."""
    z = ndtri(0.5 + confidence / 2)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return low, high


def _quantile_entry(values: np.ndarray, p: float) -> dict:
    low, high = quantile_interval(values, p)
    return {"estimate": float(np.quantile(values, p)), "ci95": [low, high],
            "se": (high - low) / (2 * Z95)}


def _probability_entry(flags: np.ndarray) -> dict:
    low, high = proportion_interval(int(flags.sum()), flags.size)
    p = float(flags.mean())
    return {"estimate": p, "ci95": [low, high], "se": math.sqrt(p * (1 - p) / flags.size)}


def headline_errors(arr_end: np.ndarray, cash_trough: np.ndarray, cash_out: np.ndarray) -> dict:
    """Precision of the headline answers.

    Parameters
    ----------
    arr_end, cash_trough : ndarray, shape (paths,)
    cash_out : ndarray of bool, shape (paths,)
        Whether each path runs out of cash within the horizon.

    Returns
    -------
    dict
        ``arr_end_p10/p50/p90``, ``cash_trough_p10/p50`` and ``cash_out_probability``, each
        ``{estimate, ci95: [low, high], se}``.
    """
    out = {f"arr_end_p{int(p * 100)}": _quantile_entry(arr_end, p) for p in (0.1, 0.5, 0.9)}
    out |= {f"cash_trough_p{int(p * 100)}": _quantile_entry(cash_trough, p) for p in (0.1, 0.5)}
    out["cash_out_probability"] = _probability_entry(cash_out)
    return out


def precise_enough(arr_end: np.ndarray, cash_out: np.ndarray, *, relative: float = 0.01,
                   absolute: float = 0.005) -> bool:
    """True when the 95% half-widths are within ``relative`` of the ARR P50 and within
    ``absolute`` (probability points) of the cash-out probability."""
    low, high = quantile_interval(arr_end, 0.5)
    median = abs(float(np.median(arr_end)))
    arr_ok = (high - low) / 2 <= relative * median if median > 0 else high - low == 0
    p_low, p_high = proportion_interval(int(cash_out.sum()), cash_out.size)
    return bool(arr_ok and (p_high - p_low) / 2 <= absolute)


