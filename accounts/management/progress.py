"""Progress lines for long management commands."""

from collections.abc import Callable


class ProgressPrinter:
    """Prints each phase once and then every ``step`` percent of it."""

    def __init__(self, write: Callable[[str], None], step: int):
        self.write = write
        self.step = step
        self.phase = ""
        self.shown = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if phase != self.phase:
            self.phase, self.shown = phase, -1
        if percent // self.step > self.shown:
            self.shown = percent // self.step
            self.write(f"  {phase}: {percent}%")
