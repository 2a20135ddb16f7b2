"""Lines of a guide that ask its reader for credentials, a payment or to run a program.

Career advice tells a reader what to learn and whom to talk to; it never needs their
password, their money or an executable. A line that asks for one is how phishing reads,
whoever wrote it, so ingest lists it and (unless ``COACH_ACCEPT_READER_REQUESTS``) leaves it
out. The rules are about how English addresses a request to the reader: a clause that opens
with an imperative ("Email your password…", "Please wire the deposit…") or an obligation put
to "you" ("you must send…"), and what it asks for. A warning ("Never share your password")
opens with no such verb, and a request reported of someone else ("if a recruiter asks you to
pay a fee") is not addressed to the reader, so neither is flagged.
"""

from __future__ import annotations

import re

from ingest.injection import FlaggedLine
from ingest.visible import skeleton, visible

# How a clause addresses the reader before its verb: fillers, or an obligation put to "you".
_LEAD = (
    r"(?:(?:please|kindly|now|just|simply|then|first|next|and|or|also|immediately|today|"
    r"quickly|to continue|to proceed)\s+|"
    r"you(?:'ll| will)?\s+(?:must|should|need to|have to|are required to|will need to|"
    r"are asked to|can now)\s+|(?:be sure|make sure|remember|don't forget) to\s+)*"
)
_GIVE = (
    r"(?:send|e-?mail|text|dm|message|enter|type|submit|provide|share|give|tell|reply with|"
    r"respond with|confirm|verify|post|forward|paste|fill in|disclose|upload)"
)
_SECRET = (
    r"(?:passwords?|passcodes?|pass ?phrases?|pins?(?: codes?| numbers?)?|log-?in(?: details| "
    r"credentials| info(?:rmation)?)?|credentials|sign-?in details|security (?:codes?|answers?)|"
    r"one[- ]time (?:codes?|passwords?|passcodes?)|otps?|(?:2fa|mfa|verification|"
    r"authentication|auth|confirmation) codes?|social security numbers?|ssns?|national "
    r"insurance numbers?|tax (?:ids?|file numbers?)|bank (?:details|logins?|account(?: numbers?"
    r"| details)?)|account numbers?|routing numbers?|sort codes?|ibans?|(?:credit|debit|bank) "
    r"cards?(?: numbers?| details)?|card (?:numbers?|details)|cvvs?|cvcs?|seed phrases?|"
    r"recovery (?:phrases?|codes?)|private keys?|wallet (?:keys?|phrases?))"
)
_MONEY = (
    r"(?:fees?|deposits?|money|cash|[$£€]\s?\d|\d+\s?(?:usd|eur|gbp|dollars|euros|"
    r"pounds)\b|gift ?cards?|bitcoin|btc|crypto(?:currency)?|usdt|ethereum|wire transfers?|"
    r"western union|moneygram)"
)
_CHANNEL = r"(?:gift ?cards?|bitcoin|btc|crypto(?:currency)?|usdt|ethereum|western union|moneygram)"
# file types that run when opened: installers, scripts, packages, shortcuts
_PROGRAM = (
    r"exe|msi|msix|appx|bat|cmd|scr|pif|ps1|vbs|vbe|wsf|hta|jar|apk|dmg|pkg|deb|rpm|appimage|"
    r"lnk|reg"
)
_EXECUTABLE = rf"[\w\-./:%?=&~]+\.(?:{_PROGRAM})(?![\w-])"

REQUESTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(rf"{_LEAD}{pattern}", re.IGNORECASE))
    for reason, pattern in [
        (
            "asks the reader for credentials",
            rf"{_GIVE}\b[^.!?]{{0,60}}?\b(?:your|the|their|this|that|any|all)\s+"
            rf"(?:[\w-]+\s+){{0,3}}?{_SECRET}\b",
        ),
        (
            "asks the reader for a payment",
            rf"(?:(?:send|wire|transfer|deposit|remit|venmo|zelle)\b[^.!?]{{0,60}}?{_MONEY}|"
            rf"pay\b[^.!?]{{0,60}}?(?:{_CHANNEL}|{_MONEY}[^.!?]{{0,40}}?\b(?:to|via|through|"
            rf"using|into|by)\b)|buy\b[^.!?]{{0,40}}?gift ?cards?)",
        ),
        (
            "asks the reader to download or run a program",
            rf"(?:download|install|run|open|execute|launch|double-click|click)\b"
            rf"[^.!?]{{0,80}}?(?:{_EXECUTABLE}|\b(?:curl|wget)\b[^|]*\|\s*(?:sudo\s+)?\w*sh\b)",
        ),
    ]
)
# Anywhere in a line: a web address of an executable file is a download, whatever the verb.
_EXECUTABLE_URL = re.compile(
    rf"(?:https?://|www\.)[\w\-./:%?=&~]+\.(?:{_PROGRAM}|sh)(?![\w-])", re.IGNORECASE
)

# Where a clause begins: the line's start, or after a sentence end, ";", ":", "," or a dash.
_CLAUSE = re.compile(r"(?:^|[.!?](?=\s)|[;:,(—–]|\s-\s)\s*")


def request_reason(line: str) -> str | None:
    """Why ``line`` asks its reader for credentials, payment or a program, or None."""
    text = skeleton(line)
    if _EXECUTABLE_URL.search(text):
        return "asks the reader to download or run a program"
    for clause in _CLAUSE.finditer(text):
        for reason, pattern in REQUESTS:
            if pattern.match(text, clause.end()):
                return reason
    return None


def request_lines(text: str, path: str, *, kept: bool = False) -> list[FlaggedLine]:
    """Every line of ``text`` (numbered from 1) that asks the reader for credentials, payment
    or a program; ``kept`` when the operator accepts them into the store."""
    flagged: list[FlaggedLine] = []
    for number, line in enumerate(text.split("\n"), 1):
        reason = request_reason(line)
        if reason:
            shown = visible(line).strip()[:200]
            flagged.append(FlaggedLine(path, number, shown, reason, kind="request", kept=kept))
    return flagged
