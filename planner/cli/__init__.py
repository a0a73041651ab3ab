"""Command-line interface: a thin layer that parses options, calls the library, writes files.

Each command lives in the module of its subject (``commands``: run, compare, validate,
schema, init; ``report``: chart, report; ``fit``; ``watch``); they share :mod:`planner.cli.common`
and :mod:`planner.cli.options`. Library modules are imported when a command runs, so
``planner --help`` stays fast.
"""
from __future__ import annotations

import click

from planner.cli import commands
from planner.cli.actuals import actuals_group, track_command
from planner.cli.diff import diff_command
from planner.cli.fit import fit_command
from planner.cli.report import chart_command, report_command
from planner.cli.sensitivity import sensitivity_command
from planner.cli.solve import solve_command
from planner.cli.watch import watch_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner: bottom-up Monte Carlo financial planning for SaaS businesses.

    Write a scenario (planner init), check it (planner validate), run it (planner run).
    """


for _command in (commands.run, commands.compare, commands.validate, commands.schema,
                 commands.init, chart_command, report_command, fit_command, track_command,
                 actuals_group, sensitivity_command, diff_command, solve_command, watch_command):
    main.add_command(_command)


def entry() -> None:
    """The ``planner`` command: :func:`main`, then an exit without the interpreter's teardown.

    Tearing down a run's interpreter (modules, NumPy arrays, matplotlib's caches) takes
    about 0.2 s of a 3 s ``planner run`` and does nothing a user can see: every file is
    written and closed by then. So, once a command has finished, the exit handlers run,
    the terminal streams are flushed and the process ends with the command's exit code.
    An unexpected error still ends as Python ends it. Freed memory is kept for reuse by
    the C allocator (:func:`planner.cli.allocator.keep_freed_pages`).
    """
    import atexit
    import os
    import sys

    from planner.cli.allocator import keep_freed_pages

    keep_freed_pages()
    try:
        main(standalone_mode=True)  # always ends by raising SystemExit
        code = 0
    except SystemExit as stop:
        code = stop.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): Python would print it
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (planner run | head): nothing to write to
            pass
    os._exit(code)
