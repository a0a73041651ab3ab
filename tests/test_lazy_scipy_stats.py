"""A default ``planner run --no-charts`` does not import scipy.stats (issue 17.2), and the
scipy.stats pieces the engine replaced give scipy's numbers to the bit."""
import subprocess
import sys

import numpy as np
from scipy import stats

from planner.analysis import mc_error
from planner.engine.correlation import ordinal_ranks

# the click group itself: the `planner` command (planner.cli.entry) ends the process
# with os._exit, before anything could look at sys.modules
_RUN = """
import sys
from planner.cli import main
main(["run", "--no-charts", "--out", sys.argv[1]], standalone_mode=False)
print("scipy.stats" in sys.modules, file=sys.stderr)
"""


def test_default_run_does_not_import_scipy_stats(tmp_path):
    done = subprocess.run([sys.executable, "-c", _RUN, str(tmp_path / "out")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_ordinal_ranks_are_scipys():
    rng = np.random.default_rng(5)
    for x in (rng.standard_normal(1024), rng.integers(0, 5, 1000).astype(float), np.zeros(7),
              np.array([3.0, -0.0, 0.0, 1.0, 0.0])):
        assert np.array_equal(ordinal_ranks(x), stats.rankdata(x, method="ordinal").astype(int) - 1)


def test_normal_quantiles_are_scipys():
    assert mc_error.Z95 == stats.norm.ppf(0.975)
    q = np.arange(1, 1025) / 1025
    from scipy.special import ndtri

    assert np.array_equal(ndtri(q), stats.norm.ppf(q))
    for confidence in (0.5, 0.9, 0.95, 0.99):
        values = np.random.default_rng(1).random(1000)
        assert mc_error.quantile_interval(values, 0.3, confidence) == _old_interval(values, 0.3, confidence)


def _old_interval(values, p, confidence):
    import math

    n = values.size
    half = stats.norm.ppf(0.5 + confidence / 2) * math.sqrt(n * p * (1 - p))
    ranked = np.sort(values)
    low = int(np.clip(math.floor(n * p - half), 0, n - 1))
    high = int(np.clip(math.ceil(n * p + half), 0, n - 1))
    return float(ranked[low]), float(ranked[high])
