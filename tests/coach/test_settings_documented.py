"""The README's settings table says what ``Settings`` really defaults to."""

from __future__ import annotations

import re

from coach.settings import Settings
from tests.support import REPO

_ROW = re.compile(r"^\| (?P<names>`COACH_[^|]+) \| (?P<defaults>[^|]+) \|", re.MULTILINE)


def documented_numbers() -> dict[str, str]:
    """``COACH_X`` → its documented default, for rows whose defaults are plain numbers."""
    found: dict[str, str] = {}
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for row in _ROW.finditer(text):
        names = re.findall(r"`(COACH_\w+)`", row.group("names"))
        defaults = re.findall(r"`([^`]+)`", row.group("defaults"))
        if len(names) != len(defaults):
            continue
        for name, default in zip(names, defaults, strict=True):
            if re.fullmatch(r"-?\d+(?:\.\d+)?", default):
                found[name] = default
    return found


def test_every_numeric_default_in_the_readme_is_the_settings_default() -> None:
    documented = documented_numbers()
    assert {"COACH_TOP_K", "COACH_RELEVANCE_FLOOR", "COACH_UNKNOWN_TERM_PENALTY"} <= set(documented)
    by_env = {f"COACH_{name.upper()}": info for name, info in Settings.model_fields.items()}
    assert set(documented) <= set(by_env), "the README names a setting the code lacks"
    for name, default in documented.items():
        code = by_env[name].default
        assert float(code) == float(default), f"{name}: README says {default}, code {code}"
    assert len(documented) >= 20
