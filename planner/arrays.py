"""Element-wise division that says where it is undefined, shared by every layer."""
from __future__ import annotations

import numpy as np


def divide(num, den, ok, otherwise: float) -> np.ndarray:
    """``num / den`` where ``ok``, else ``otherwise``; nan inputs stay nan. Broadcasts."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, num / np.where(ok, den, 1.0), otherwise)
    return np.where(np.isnan(num) | np.isnan(den), np.nan, out)


def ratio(num, den) -> np.ndarray:
    """``num / den``, ``nan`` where ``den <= 0`` (a CAC without wins, a margin without revenue)."""
    den = np.asarray(den, dtype=float)
    return divide(num, den, den > 0, np.nan)
