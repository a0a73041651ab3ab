"""What `planner fit` emits pastes into a scenario, loads, and drives the simulation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

import planner
from planner.fit import fit_retention

ROOT = Path(__file__).resolve().parent.parent


def test_fitted_blocks_load_and_carry_parameter_uncertainty(tmp_path):
    fit = fit_retention(ROOT / "tests" / "data" / "fit" / "long_mrr.csv")
    blocks = yaml.safe_load(fit.scenario_block())
    scenario = yaml.safe_load((ROOT / "scenarios" / "series_a_midmarket.yaml").read_text())
    smb = scenario["segments"]["smb"]
    smb["retention"] = blocks["retention"]
    smb["expansion"] = {"mrr_per_customer_curve": blocks["mrr_per_customer_curve"]}
    path = tmp_path / "fitted.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))

    loaded = planner.load_scenario(path)
    names = [p.path for p in loaded.params]
    assert "segments.smb.retention.log_cov.z_alpha" in names
    result = planner.simulate(loaded, paths=400, seed=1)
    smb_customers = result.segment("customers", "smb")
    assert np.isfinite(smb_customers).all()
    # the joint (alpha, beta) draw makes retention differ between paths
    assert smb_customers[:, -1].std() > 0
    # and the median path follows the point estimate closely
    point = dict(scenario)
    smb["retention"] = {k: v for k, v in blocks["retention"].items() if k != "log_cov"}
    path.write_text(yaml.safe_dump(point, sort_keys=False))
    fixed = planner.simulate(planner.load_scenario(path), paths=400, seed=1)
    ratio = np.median(smb_customers[:, -1]) / np.median(fixed.segment("customers", "smb")[:, -1])
    assert 0.9 < ratio < 1.1
