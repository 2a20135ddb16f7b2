"""Loading guides: validation, normalisation, titles and recovered sections."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coach.errors import InputError
from ingest.headings import looks_like_heading, markdown_headings, text_headings
from ingest.loader import (
    GuideError,
    load_guide,
    normalise,
    parse_guide,
    title_from_file_name,
)
from tests.support import SEEDS

DOC_GUIDE = "ai-documentation-engineer-transition-guide.txt"
ARCHITECT_GUIDE = "ai-solutions-architect-transition-guide.txt"
ENGINEER_GUIDE = "backend-developer-to-ai-engineer.txt"
ROADMAP_MD = "backend-engineer-to-ai-engineer-roadmap.md"
MARKET_MD = "ai-engineering-job-market-for-backend-developers.md"

DOC_GUIDE_SECTIONS = [
    "Overview",
    "Your Transferable Skills",
    "API Development",
    "System Architecture",
    "Cloud Platforms (AWS/GCP)",
    "SQL and Data Handling",
    "DevOps and CI/CD",
    "Skills You'll Need to Learn",
    "Documentation Tools (e.g., Sphinx, ReadTheDocs, Docusaurus)",
    "API Documentation Platforms (e.g., Swagger, Postman, Stoplight)",
    "Technical Writing Best Practices",
    "AI/ML Fundamentals",
    "User Empathy and Audience Analysis",
    "Version Control for Docs (e.g., Git with Docs-as-Code)",
    "Your Learning Roadmap",
    "Foundation: Technical Writing and AI Basics",
    "Deepening AI Knowledge and Tooling",
    "Portfolio Building with Real-World Projects",
    "Job Search and Networking",
    "Reality Check",
    "What You'll Love",
    "What You Might Miss",
    "Biggest Challenges",
    "Start Your Journey Now",
    "This Week",
    "This Month",
    "Next 90 Days",
    "Frequently Asked Questions",
    "Ready to Start Your Transition?",
]


def sections_of(name: str) -> list[str]:
    return [s.name for s in load_guide(SEEDS / name).sections]


def test_every_heading_of_a_plain_text_guide_is_recovered_and_nothing_else():
    assert sections_of(DOC_GUIDE) == DOC_GUIDE_SECTIONS


def test_the_architect_guide_has_its_sections():
    sections = sections_of(ARCHITECT_GUIDE)
    for name in (
        "Overview",
        "Your Transferable Skills",
        "SQL and Data Management",
        "Foundations of AI/ML",
        "Job Search and Interview Preparation",
        "Biggest Challenges",
        "Frequently Asked Questions",
    ):
        assert name in sections
    assert len(sections) == 30


def test_the_engineer_guide_keeps_its_table_numbered_steps_and_intro_out_of_headings():
    guide = load_guide(SEEDS / ENGINEER_GUIDE)
    assert guide.title == "Backend Developer to AI Engineer"
    assert [s.name for s in guide.sections] == [
        "",  # the introduction, under the title
        "The Backend Developer’s Natural Advantage",
        "Skill Mapping Analysis",
        "Practical Transition Roadmap",
        "Common Transition Challenges",
        "Leveraging Your Backend Expertise",
        "Real-World Implementation Skills Over Theory",
    ]
    roadmap = next(s for s in guide.sections if s.name == "Practical Transition Roadmap")
    assert "1. AI Fundamentals Onboarding (2-4 weeks)" in roadmap.text
    assert "4. Specialization Development (4-6 weeks)" in roadmap.text


@pytest.mark.parametrize("name", [DOC_GUIDE, ARCHITECT_GUIDE, ENGINEER_GUIDE])
def test_list_items_table_rows_and_sentences_are_never_headings(name: str):
    for section in sections_of(name):
        assert not section.startswith(("-", "1.", "2.", "4 weeks", "8 weeks"))
        assert "|" not in section
        assert not section.endswith((".", ":", "!"))
        assert section not in ("Great news! You already have valuable skills", "This Week.")


@pytest.mark.parametrize("name", [DOC_GUIDE, ARCHITECT_GUIDE])
def test_the_first_line_of_a_plain_text_guide_is_its_title(name: str):
    guide = load_guide(SEEDS / name)
    first_line = (SEEDS / name).read_text().splitlines()[0]
    assert guide.title == first_line
    assert guide.title.startswith("From Backend Developer to AI")
    assert all(guide.title not in s.name for s in guide.sections)


def test_markdown_headings_give_levels_and_the_title_stays_out_of_the_path():
    guide = load_guide(SEEDS / ROADMAP_MD)
    assert guide.title == "From Backend Engineer to AI Engineer"
    assert [s.name for s in guide.sections][:3] == [
        "",
        "What You Already Have",
        "What You Need to Learn",
    ]
    market = load_guide(SEEDS / MARKET_MD)
    assert "The Skills Gap (And How to Close It) > Recommended Learning Path" in [
        s.name for s in market.sections
    ]


def test_without_a_title_heading_the_title_comes_from_the_file_name():
    assert load_guide(SEEDS / MARKET_MD).title == "AI Engineering Job Market For Backend Developers"
    assert title_from_file_name("backend-to-ai.md") == "Backend To AI"
    assert title_from_file_name("my_guide v2.txt") == "My Guide V2"


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.iterdir()))
def test_sections_are_verbatim_and_lose_no_line(name: str):
    guide = load_guide(SEEDS / name)
    lines = []
    for section in guide.sections:
        assert section.text in guide.text
        assert section.body.strip() and not section.body[0].isspace()
        lines += [line for line in section.text.split("\n") if line.strip()]
    assert lines == [line for line in guide.text.split("\n") if line.strip()]


def test_a_bare_heading_leads_into_the_next_section():
    guide = parse_guide("# Guide\n\n## Roadmap\n\n### Month 1\n\nLearn Python.\n", "g.md")
    [section] = guide.sections
    assert section.name == "Roadmap > Month 1"
    assert section.text == "# Guide\n\n## Roadmap\n\n### Month 1\n\nLearn Python."
    assert section.body == "Learn Python."


def test_markdown_nesting_setext_code_fences_and_later_top_level_headings():
    text = normalise(
        "Title\n=====\n\nIntro.\n\n## A\n\nText a.\n\n```\n# not a heading\n```\n\n"
        "### B **bold**\n\nText b.\n\n# Part Two\n\n## C\n\nText c.\n"
    )
    guide = parse_guide(text, "x.md")
    assert guide.title == "Title"
    assert [s.name for s in guide.sections] == ["", "A", "A > B bold", "Part Two > C"]
    assert "# not a heading" in guide.sections[1].text
    assert [h.level for h in markdown_headings(text)] == [1, 2, 3, 1, 2]


def test_plain_text_rules_on_made_up_text():
    lines = [
        "Field Notes",
        "Getting Started",
        "This paragraph was wrapped by an editor so one of its lines",
        "Looks Like A Heading",
        "but it continues the sentence.",
        "Tools We Use",
        "Python",
        "Docker",
        "Kubernetes",
        "That is the whole stack.",
        "Closing Thoughts",
        "",
        "Short and Capitalised",
        "",
        "A final paragraph.",
        "Trailing Line Without Body",
    ]
    title, headings = text_headings(lines)
    assert title == 0
    assert [h.text for h in headings] == [
        "Getting Started",
        "Closing Thoughts",  # the run Tools We Use/Python/Docker/Kubernetes is a bare list
        "Short and Capitalised",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Overview",
        "Your Transferable Skills",
        "Foundation: Technical Writing and AI Basics",
        "Cloud Platforms (AWS/GCP)",
        "Ready to Start Your Transition?",
        "Next 90 Days",
    ],
)
def test_looks_like_heading(line: str):
    assert looks_like_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "- You'll work on cutting-edge AI products",
        "1. AI Fundamentals Onboarding (2-4 weeks)",
        "4 weeks- Complete the Google Technical Writing Course (one and two).",
        "API design | Model serving interfaces | Model input/output formats |",
        "Don't wait. Here's Your Action Plan",
        "Great news! You already have valuable skills.",
        "Backend developers bring numerous directly transferable skills:",
        "the market increasingly values practical skills",
        "Machine Learning Specialization and",
        "## Markdown Heading",
        "A Very Long Line That Goes On And On With Capital Words Far Beyond Any Heading",
    ],
)
def test_does_not_look_like_heading(line: str):
    assert not looks_like_heading(line)


def test_normalise_strips_bom_crlf_trailing_space_and_blank_runs():
    raw = "\ufeff# T  \r\n\r\n\r\n\r\nLine one \t\r\nLine two\r\r\n\n\n\n"
    assert normalise(raw) == "# T\n\nLine one\nLine two"


def test_load_guide_normalises_the_file(tmp_path: Path):
    path = tmp_path / "g.md"
    path.write_bytes(b"\xef\xbb\xbf# Guide\r\n\r\n\r\n\r\nBody text.   \r\n")
    guide = load_guide(path)
    assert guide.text == "# Guide\n\nBody text."
    assert guide.title == "Guide" and guide.source == "g.md"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.md", b"", "file is empty — add content or remove it"),
        ("blank.txt", b" \n\t\r\n \n", "only whitespace"),
        ("binary.txt", b"PK\x03\x04\x00\x00 zip", "binary file"),
        ("latin1.md", "Résumé tips".encode("latin-1"), "not valid UTF-8 (byte 0xe9 at offset 1)"),
        ("notes.pdf", b"%PDF-1.7", "is not a readable PDF"),
        ("notes.odt", b"PK\x03\x04", "unsupported file type '.odt'"),
        ("README", b"text", "unsupported file type (no extension)"),
    ],
)
def test_bad_files_raise_a_message_naming_the_file(
    tmp_path: Path, name: str, content: bytes, problem: str
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(GuideError) as caught:
        load_guide(path, f"guides/{name}")
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith(f"guides/{name}: ")
    assert problem in str(caught.value)


def test_an_unreadable_file_says_permission_denied(tmp_path: Path, monkeypatch):
    path = tmp_path / "locked.md"
    path.write_text("# Locked\n\nSecret.")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: fail the read as for a normal user
        original = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(GuideError, match=r"locked\.md: cannot be read \(permission denied\)"):
        load_guide(path)
