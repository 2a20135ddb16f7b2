"""The error every guide reader raises: the file, and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

from coach.errors import InputError


class GuideError(InputError):
    """A guide that cannot be ingested; the message names the file and says what to do."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem
