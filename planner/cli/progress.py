"""The progress display of a run: phase, elapsed time and an estimate of the time left.

The library reports progress through a hook object it is handed (see
:func:`planner.run.run_scenario`): ``hook.stage(name)`` when a phase starts and
``hook(done, total)`` within one that counts (blocks of paths). :class:`Progress` is the
terminal's hook: on a TTY it redraws one stderr line four times a second (so it shows
within a second even while a phase reports nothing), elsewhere with ``verbose`` it
prints one line per finished phase. The library itself prints nothing.

The time left is the rest of the current phase (from its done/total when it counts,
else its expected length) plus the expected length of the phases still to come, each
expected length scaled by how much faster or slower than expected the finished phases
ran. Expected lengths default to :data:`TYPICAL_SECONDS` and can be a previous run's
measured :attr:`Progress.durations` (``planner watch`` does that).
"""
from __future__ import annotations

import sys
import threading
import time

import click

#: seconds each phase typically takes on the default scenario (2,000 paths, 2 cores, some
#: load); "simulate" is per 2,000 paths, the others do not grow with the paths
TYPICAL_SECONDS = {"load": 0.3, "simulate": 0.25, "unit economics": 0.5, "comparison": 1.0,
                   "tables": 0.1, "charts": 1.6, "report": 6.0, "files": 0.05}
#: how often the terminal line is redrawn (s)
TICK = 0.25


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {int(value % 60):02d} s"


class Progress:
    """A progress hook that draws on stderr.

    Parameters
    ----------
    phases : sequence of str
        The phases the run will go through, in order (for the estimate of time left; a
        phase not listed is shown but not estimated ahead).
    paths : int
        Paths simulated (scales the expected length of "simulate").
    tty : bool
        Redraw one line in place (a terminal); else print a line per finished phase.
    verbose : bool
        Off a terminal: print anything at all. On one: also keep a line per phase.
    expected : dict of str -> float, optional
        Seconds each phase is expected to take (default :data:`TYPICAL_SECONDS`).
    stream : file, optional
        Where to draw (default stderr).
    """

    def __init__(self, phases=(), *, paths: int = 2_000, tty: bool = True, verbose: bool = False,
                 expected: dict | None = None, stream=None):
        self.phases = list(phases)
        self.expected = dict(expected) if expected else {
            k: v * (paths / 2_000 if k == "simulate" else 1.0) for k, v in TYPICAL_SECONDS.items()}
        self.tty, self.verbose = tty, verbose
        self.stream = stream if stream is not None else sys.stderr
        #: seconds each finished phase took
        self.durations: dict[str, float] = {}
        self.started = time.monotonic()
        self._phase: str | None = None
        self._phase_started = self.started
        self._count: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._width = 0
        self._ticker = None
        if self.tty:
            self._ticker = threading.Thread(target=self._tick, name="planner-progress", daemon=True)
            self._ticker.start()

    # the hook the library calls
    def stage(self, name: str) -> None:
        """Phase ``name`` starts (the previous one, if any, ends)."""
        with self._lock:
            self._end_phase()
            self._phase, self._phase_started, self._count = name, time.monotonic(), None
            self._draw()

    def __call__(self, done: int, total: int) -> None:
        """``done`` of ``total`` units of the current phase are finished."""
        with self._lock:
            self._count = (int(done), int(total))
            self._draw()

    def close(self) -> None:
        """End the last phase and clear the line (the run's output follows)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._end_phase()
            self._phase = None
            if self.tty:
                self._write("\r" + " " * self._width + "\r")
            if self.verbose:
                self._write(f"  done in {_seconds(time.monotonic() - self.started)}\n")

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # the estimate
    def remaining(self, now: float | None = None) -> float:
        """Seconds left: the rest of this phase and the expected length of those to come."""
        now = time.monotonic() if now is None else now
        speed = self._speed()
        elapsed = now - self._phase_started
        phase = self._phase
        if phase is None:
            return 0.0
        expected = self.expected.get(phase, 0.0) * speed
        if self._count is not None and self._count[0] > 0:
            done, total = self._count
            this = elapsed * (total - done) / done
        else:  # past its expected length it is not done: say a little more, never 0
            this = max(expected - elapsed, 0.1 * elapsed)
        later = self.phases[self.phases.index(phase) + 1:] if phase in self.phases else []
        return this + sum(self.expected.get(p, 0.0) * speed for p in later)

    def _speed(self) -> float:
        """Actual over expected seconds of the finished phases (1 before any finished)."""
        expected = sum(self.expected.get(p, 0.0) for p in self.durations)
        if expected <= 0:
            return 1.0
        return min(max(sum(self.durations.values()) / expected, 0.2), 5.0)

    # drawing
    def line(self, now: float | None = None) -> str:
        """The text of the progress line."""
        now = time.monotonic() if now is None else now
        phase = self._phase or ""
        if phase in self.phases and len(self.phases) > 1:
            phase = f"{phase} ({self.phases.index(phase) + 1}/{len(self.phases)})"
        if self._count is not None:
            done, total = self._count
            phase += f" {done:,}/{total:,}"
        return (f"  {phase} | {_seconds(now - self.started)} elapsed | "
                f"~{_seconds(self.remaining(now))} left")

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        if not self.tty or self._phase is None:
            return
        text = self.line()
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self._write("\r" + text + " " * pad)

    def _end_phase(self) -> None:
        if self._phase is None:
            return
        took = time.monotonic() - self._phase_started
        self.durations[self._phase] = self.durations.get(self._phase, 0.0) + took
        if self.verbose:
            prefix = "\r" + " " * self._width + "\r" if self.tty else ""
            self._write(f"{prefix}  {self._phase}: {_seconds(took)}\n")
            self._width = 0

    def _write(self, text: str) -> None:
        click.echo(text, file=self.stream, nl=False)
        self.stream.flush()


def progress_for(phases, *, paths: int = 2_000, verbose: bool = False, quiet: bool = False,
                 expected: dict | None = None, stream=None) -> Progress | None:
    """The display a command shows: on a terminal (stderr), or anywhere with ``verbose``;
    none with ``quiet`` (unless ``verbose`` too)."""
    stream = stream if stream is not None else sys.stderr
    tty = stream.isatty()
    if (quiet and not verbose) or not (tty or verbose):
        return None
    return Progress(phases, paths=paths, tty=tty, verbose=verbose, expected=expected, stream=stream)
