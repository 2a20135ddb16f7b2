"""``coach insights``: the report as JSON, CSV and HTML from the real command."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from coach.history import HistoryStore
from coach.insights.models import InsightsReport
from coach.schema import Citation
from tests.coach.insights.script import NOW, write_history
from tests.support import run_cli

CITED = [
    Citation(id=1, source="a.md", title="Guide A", section="Start", snippet="…", chunk_id="a:0"),
    Citation(id=1, source="b.md", title="Guide B", section="End", snippet="…", chunk_id="b:0"),
]


def test_insights_writes_json_csv_and_html(tmp_path: Path) -> None:
    data = tmp_path / ".coach"
    data.mkdir()
    history = HistoryStore(f"sqlite:///{data / 'history.db'}")
    script = write_history(history, CITED)
    history.engine.dispose()
    csv_file, html_file = tmp_path / "unanswered.csv", tmp_path / "report.html"
    done = run_cli(
        "insights",
        "--since",
        f"{NOW - timedelta(days=30):%Y-%m-%d}",
        "--json",
        "--csv",
        str(csv_file),
        "--html",
        str(html_file),
        data_dir=data,
    )
    assert done.returncode == 0, done.stderr
    report = InsightsReport.model_validate_json(done.stdout)
    assert report.totals.questions >= 200 and len(report.unanswered_groups) >= 4
    assert not any(session in done.stdout for session in script.sessions)
    rows = csv_file.read_text(encoding="utf-8").splitlines()
    assert len(rows) == report.totals.unanswered + 1
    page = html_file.read_text(encoding="utf-8")
    assert "groups-chart" in page and "<script src" not in page
    assert json.loads(done.stdout)["schema_version"] == 1
    summary = run_cli("insights", data_dir=data, COLUMNS="240")  # for people: groups first
    assert summary.returncode == 0, summary.stderr
    assert "Unanswered, grouped" in summary.stdout
    assert report.unanswered_groups[0].examples[0][:30] in summary.stdout


def test_a_bad_date_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("insights", "--since", "last tuesday", data_dir=tmp_path / ".coach")
    assert done.returncode == 1
    assert "is not a date: use YYYY-MM-DD" in done.stderr and "Traceback" not in done.stderr
