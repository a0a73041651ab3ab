"""Command-line interface: a thin layer that parses options, calls the library, writes files."""
from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner: bottom-up Monte Carlo financial planning for SaaS businesses."""


def _register_optional_commands() -> None:
    from planner.fit_cli import fit_command

    main.add_command(fit_command, "fit")


try:
    _register_optional_commands()
except ImportError:  # pragma: no cover - only while fit_cli is being written
    pass
