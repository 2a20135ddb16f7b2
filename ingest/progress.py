"""How far an ingest got: the phases, the callback it reports to, and a rich bar per phase."""

from __future__ import annotations

from typing import Literal, Protocol

from rich.progress import Progress, TaskID

Phase = Literal["read", "embed", "write"]
PHASE_LABELS: dict[Phase, str] = {
    "read": "Reading guides",
    "embed": "Embedding chunks",
    "write": "Writing to the store",
}


class ProgressCallback(Protocol):
    """Told how far each phase got: ``("embed", 32, 70)``; called with 0 when a phase starts."""

    def __call__(self, phase: Phase, done: int, total: int) -> None: ...


class RichProgress:
    """A :class:`ProgressCallback` that drives one rich bar per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[Phase, TaskID] = {}

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        task = self.tasks.get(phase)
        if task is None:
            task = self.tasks[phase] = self.progress.add_task(PHASE_LABELS[phase], total=total)
        self.progress.update(task, completed=done, total=total)


def _ignore(phase: Phase, done: int, total: int) -> None:
    """The progress callback when nobody watches."""


def as_callback(progress: ProgressCallback | Progress | None) -> ProgressCallback:
    """A callback for ``progress``: nothing, a rich ``Progress`` (one bar per phase), or one."""
    if progress is None:
        return _ignore
    if isinstance(progress, Progress):
        return RichProgress(progress)
    return progress
