"""Options shared by several commands, declared once (sqlite-utils style)."""
from __future__ import annotations

import click

seed_option = click.option("--seed", type=click.IntRange(0),
                           help="Random seed (default: the scenario's).")
plan_option = click.option("--plan", help="Funding plan from funding.plans "
                                          "(default: funding.plan or the first).")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False),
                          help="Output folder (default: outputs/<scenario name>/).")
set_option = click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                          help="Override one input, e.g. --set segments.smb.price.arpa=450 "
                               "(repeatable).")
sampling_option = click.option("--sampling",
                               type=click.Choice(["monte_carlo", "latin_hypercube", "sobol"]),
                               help="Sampling method (default: the scenario's simulation.sampling).")
