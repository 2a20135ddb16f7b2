"""The whole-unit check reads guides apart from the coach's splitter: a hard-wrapped line,
a chunk's edge or markup is caught; a sentence, item, row or labelled unit passes."""

from __future__ import annotations

from pathlib import Path

from coach.schema import Statement
from eval.whole_units import WholeUnits, canonical_blocks, guide_blocks, is_whole

WRAPPED = """# One-on-ones

To new managers, or to managers new to 1:1s, weekly can seem like a lot, but
the cadence builds trust. Keep notes, e.g. in a shared doc.

- Ask what is blocking them
  this week.

| Meeting | How often |
| --- | --- |
| 1:1 | Weekly |

> Listen more than you talk.
"""


def test_a_hard_wrapped_line_is_not_a_whole_sentence(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.md"
    path.write_text(WRAPPED)
    blocks = [guide_blocks(path)]
    assert not is_whole(
        "To new managers, or to managers new to 1:1s, weekly can seem like a lot, but", blocks
    )
    assert not is_whole("the cadence builds trust.", blocks)
    assert is_whole(
        "To new managers, or to managers new to 1:1s, weekly can seem like a lot, but the "
        "cadence builds trust.",
        blocks,
    )
    assert is_whole("Keep notes, e.g. in a shared doc.", blocks)
    assert not is_whole("Keep notes, e.g.", blocks)


def test_items_rows_labels_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.md"
    path.write_text(WRAPPED)
    blocks = [guide_blocks(path)]
    assert is_whole("Ask what is blocking them this week.", blocks)  # the writer's full stop
    assert is_whole("1:1 — How often: Weekly", blocks)
    assert is_whole("One-on-ones: Listen more than you talk. [3]", blocks)
    assert not is_whole("> Listen more than you talk.", blocks)  # markup is not the guide's words
    assert not is_whole("Weekly — Meeting: 1:1", blocks)  # a row starts with its first cell


def test_canonical_text_and_a_lead_before_an_item() -> None:
    blocks = [canonical_blocks("Roadmap\n\n4 weeks- Complete the writing course.\n")]
    assert is_whole("Roadmap (4 weeks): Complete the writing course.", blocks)
    assert not is_whole("weeks- Complete the writing course.", blocks)


def test_the_rate_counts_statements_against_the_guides_they_cite(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(WRAPPED)
    (tmp_path / "b.txt").write_text("Other guide\n\nSomething else entirely.\n")
    units = WholeUnits([tmp_path / "a.md", tmp_path / "b.txt"])
    statements = [
        Statement(text="Keep notes, e.g. in a shared doc.", citations=[1]),
        Statement(text="Something else entirely.", citations=[1]),  # cites the wrong guide
    ]
    assert units.rate(statements, {1: "a.md"}) == 0.5
    assert units.rate([], {}) is None


def test_a_link_whose_target_is_a_template_tag_reads_as_its_text(tmp_path: Path) -> None:
    path = tmp_path / "play.md"
    path.write_text(
        '- [Play 1 - Understand the power\n  differential]({% page "/play-1/" %})\n\n'
        'Head over to the [training\npage]({% page "/t/" %}).\n'
    )
    blocks = [guide_blocks(path)]
    assert is_whole("Play 1 - Understand the power differential", blocks)
    assert is_whole("Head over to the training page.", blocks)


def test_a_task_list_item_is_whole_without_its_box(tmp_path: Path) -> None:
    path = tmp_path / "play.md"
    path.write_text("- [ ] Upon starting your new role, stop doing your old job:\n")
    assert is_whole("Upon starting your new role, stop doing your old job:", [guide_blocks(path)])
