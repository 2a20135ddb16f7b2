"""The PDF reader on PDFs reportlab writes: a running header, page numbers, a hyphenated line
end, headings in larger fonts and a paragraph that runs on to the next page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, ListFlowable, ListItem, Paragraph, SimpleDocTemplate

from ingest.errors import GuideError
from ingest.formats.pdf import PdfGuideReader

WIDTH, HEIGHT = A4
HEADER = "Acme Careers Handbook: Interviews"
BODY, H1, H2 = 11, 18, 14
PAGE_ONE = [
    (H1, "Preparing for interviews", 30),
    (BODY, "Research the company before the interview and read the job posting", 14),
    (BODY, "twice. Interviewers notice when a candidate has done this, and we recom-", 14),
    (BODY, "mend that you write down three questions to ask.", 24),
    (H2, "On the day", 22),
    (BODY, "Arrive ten minutes early and bring a printed copy of your CV, the names", 14),
    (BODY, "of the people you will meet, and a well-known route to the building so that", 14),
]
PAGE_TWO = [
    (BODY, "a late train does not make you late. Turn your phone off before you go in.", 24),
    (H2, "After the interview", 22),
    (BODY, "Send a short thank-you note within a day of the interview, naming one", 14),
    (BODY, "thing you discussed with a well-", 14),
    (BODY, "known member of the panel.", 14),
]


def write_pdf(path: Path, pages: list[list[tuple[int, str, int]]], **options: object) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4, **options)  # type: ignore[arg-type]
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, HEIGHT - 40, HEADER)
        pdf.drawCentredString(WIDTH / 2, 30, f"Page {number} of {len(pages)}")
        y = HEIGHT - 90
        for size, text, gap in lines:
            pdf.setFont("Helvetica-Bold" if size > BODY else "Helvetica", size)
            pdf.drawString(72, y, text)
            y -= gap
        pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "interviews.pdf", [PAGE_ONE, PAGE_TWO])


def test_headings_paragraphs_and_pages(guide: Path) -> None:
    started = time.perf_counter()
    canonical = PdfGuideReader().read(guide, "interviews.pdf")
    per_page_ms = (time.perf_counter() - started) * 1000 / 2
    spanning = (
        "Arrive ten minutes early and bring a printed copy of your CV, the names of the people "
        "you will meet, and a well-known route to the building so that a late train does not "
        "make you late. Turn your phone off before you go in."
    )
    assert canonical.text == (
        "# Preparing for interviews\n\n"
        "Research the company before the interview and read the job posting twice. "
        "Interviewers notice when a candidate has done this, and we recommend that you write "
        "down three questions to ask.\n\n"
        "## On the day\n\n"
        f"{spanning}\n\n"
        "## After the interview\n\n"
        "Send a short thank-you note within a day of the interview, naming one thing you "
        "discussed with a well-known member of the panel.\n"
    )
    second = canonical.text.index("a late train")
    assert canonical.pages == ((0, 1), (second, 2))
    assert canonical.page_at(canonical.text.index("Research")) == 1
    assert canonical.page_at(canonical.text.index("After the interview")) == 2
    assert HEADER not in canonical.text and "Page" not in canonical.text
    assert per_page_ms < 100, f"{per_page_ms:.1f} ms per page"


def test_one_page_keeps_its_edge_lines(tmp_path: Path) -> None:
    """With nothing to repeat across, no line is taken for a running header."""
    path = write_pdf(tmp_path / "one.pdf", [PAGE_ONE[:4]])
    text = PdfGuideReader().read(path, "one.pdf").text
    assert text.startswith(HEADER + "\n\nPage 1 of 1\n\n# Preparing for interviews\n\nResearch")


def test_an_image_only_pdf_needs_ocr(tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(scan)
    pdf = canvas.Canvas(str(tmp_path / "scan.pdf"), pagesize=A4)
    pdf.drawImage(str(scan), 72, 400, width=400, height=200)
    pdf.showPage()
    pdf.save()
    with pytest.raises(GuideError) as caught:
        PdfGuideReader().read(tmp_path / "scan.pdf", "scan.pdf")
    assert "has no text layer" in caught.value.problem and "OCR" in caught.value.problem


def test_a_password_protected_pdf_says_so(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "locked.pdf", [PAGE_ONE], encrypt="secret")
    with pytest.raises(GuideError, match="is password-protected — save an unprotected copy"):
        PdfGuideReader().read(path, "locked.pdf")


@pytest.mark.parametrize("content", [b"", b"%PDF-1.4\n1 0 obj << /Type /Catalog", b"not a pdf"])
def test_a_corrupt_pdf_says_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(GuideError) as caught:
        PdfGuideReader().read(path, "guides/broken.pdf")
    assert str(caught.value).startswith("guides/broken.pdf: is not a readable PDF")


def test_a_flowing_document_with_lists(tmp_path: Path) -> None:
    """reportlab's page layout engine: wrapped, justified paragraphs, bullet lists, headings."""
    styles = getSampleStyleSheet()
    advice = (
        "Networking works best when it is a habit rather than an emergency. Reach out to people "
        "whose work you admire, ask one specific question, and follow up with what you did "
        "with their advice, so that a year of small conversations becomes a network."
    )
    habits = ["Ask one specific question.", "Follow up within a week and say what you did " * 3]
    story: list[Flowable] = []
    for chapter in range(1, 15):
        story.append(Paragraph(f"Chapter {chapter}", styles["Heading1"]))
        story += [
            Paragraph(f"{chapter}.{k} {advice}", styles["BodyText"]) for k in range(chapter % 4)
        ]
        story.append(Paragraph("Two habits", styles["Heading2"]))
        items = [ListItem(Paragraph(habit, styles["BodyText"])) for habit in habits]
        story.append(ListFlowable(items, bulletType="bullet"))

    def running(pdf: canvas.Canvas, document: SimpleDocTemplate) -> None:
        pdf.setFont("Helvetica", 8)
        pdf.drawString(72, HEIGHT - 40, HEADER)
        pdf.drawCentredString(WIDTH / 2, 30, str(document.page))

    path = tmp_path / "networking.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build(
        story, onFirstPage=running, onLaterPages=running
    )
    started = time.perf_counter()
    canonical = PdfGuideReader().read(path, "networking.pdf")
    count = len(canonical.pages)
    per_page_ms = (time.perf_counter() - started) * 1000 / count
    got = canonical.text.split("\n")
    assert count >= 3 and [page for _, page in canonical.pages] == list(range(1, count + 1))
    for chapter in range(1, 15):
        assert f"# Chapter {chapter}" in got
        for k in range(chapter % 4):
            assert f"{chapter}.{k} {advice}" in got
    assert got.count("## Two habits") == 14
    assert got.count("- " + habits[0]) == 14 and got.count("- " + habits[1].strip()) == 14
    assert all(
        line in ("", "## Two habits") or not line.startswith("#") or "Chapter" in line
        for line in got
    )
    assert HEADER not in canonical.text
    assert not [line for line in got if line.strip().isdigit()]
    assert per_page_ms < 100, f"{per_page_ms:.1f} ms per page"


def test_a_heading_that_wraps_is_one_heading(tmp_path: Path) -> None:
    lines = [
        (H1, "Preparing for interviews when you", 21),
        (H1, "are changing careers", 30),
        (BODY, "Name the skills that carry over.", 14),
    ]
    path = write_pdf(tmp_path / "wrap.pdf", [lines, PAGE_TWO])
    text = PdfGuideReader().read(path, "wrap.pdf").text
    assert text.startswith(
        "# Preparing for interviews when you are changing careers\n\n"
        "Name the skills that carry over.\n\n"
    )
