"""Slack messages of the coach (Block Kit): thinking, the answer with its sources and
feedback buttons, an error, the slash command's help."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from api.slack.mrkdwn import escape, link, to_mrkdwn
from coach.schema import Answer, Citation

Block = dict[str, Any]

SECTION_CHARS = 3000  # Slack's limit on a section's text
CONTEXT_ELEMENTS = 10  # Slack's limit on a context block's elements
FALLBACK_CHARS = 3900  # the notification text; Slack truncates long ones anyway
ASKED_CHARS = 2000  # the question quoted above a slash command's answer
FEEDBACK_BLOCK = "coach_feedback"
FEEDBACK_ACTION = "coach_feedback_"  # + "up" | "down"

THINKING = "_Thinking…_"
WRITING = "_Still writing…_"
DECLINED = ":no_entry: *Declined* — the coach answers only from its career guides."
UNGROUNDED = ":warning: This answer cites no guide; check it against the sources."
RETRY_HINT = "Your question is saved: ask again in this thread to retry."
HELP = (
    "*Ask the coach about your career move*, answered from its guides with sources:\n"
    "• `{command} How do I prepare for the interviews?` answers in this channel\n"
    "• mention me in a channel, or message me directly; reply in my thread to follow up\n"
    "• rate an answer with :thumbsup: or :thumbsdown:"
)


def _mrkdwn(text: str) -> Block:
    # verbatim: Slack turns no bare URL or domain into a link; only ours are links
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts]}


def sections(text: str) -> list[Block]:
    """Section blocks holding ``text``, split at paragraphs (then lines) under Slack's limit."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        for part in _fit(paragraph):
            joined = f"{current}\n\n{part}" if current else part
            if len(joined) <= SECTION_CHARS:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return [{"type": "section", "text": _mrkdwn(piece)} for piece in pieces]


def _fit(paragraph: str) -> list[str]:
    """A paragraph in pieces no longer than a section allows."""
    if len(paragraph) <= SECTION_CHARS:
        return [paragraph]
    pieces: list[str] = []
    for line in paragraph.split("\n"):
        while len(line) > SECTION_CHARS:
            pieces.append(line[:SECTION_CHARS])
            line = line[SECTION_CHARS:]
        if pieces and len(pieces[-1]) + 1 + len(line) <= SECTION_CHARS:
            pieces[-1] += "\n" + line
        else:
            pieces.append(line)
    return pieces


def source_url(public_url: str, answer: Answer, citation: Citation) -> str:
    """The widget's source view of a citation: ``{public_url}/#session=…&message=…&cite=n``."""
    fragment = {
        "session": answer.session_id,
        "message": answer.message_id or "",
        "cite": citation.id,
    }
    return f"{public_url.rstrip('/')}/#{urlencode(fragment)}"


def citation_text(answer: Answer, citation: Citation, public_url: str | None) -> str:
    """``*[n]* Guide › Section``, linked to the source view when the coach has a public URL."""
    where = citation.place()
    shown = link(source_url(public_url, answer, citation), where) if public_url else escape(where)
    return f"*[{citation.id}]* {shown}"


def feedback_value(answer: Answer, rating: str) -> str:
    return json.dumps(
        {"session_id": answer.session_id, "message_id": answer.message_id, "rating": rating}
    )


def read_feedback(value: str) -> tuple[str, str, str]:
    """(session id, message id, rating) of a feedback button; ValueError when malformed."""
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("feedback value is not an object")
    return str(data["session_id"]), str(data["message_id"]), str(data["rating"])


def feedback_block(answer: Answer) -> Block:
    def button(rating: str, emoji: str, label: str) -> Block:
        return {
            "type": "button",
            "action_id": FEEDBACK_ACTION + rating,
            "text": {"type": "plain_text", "text": f"{emoji} {label}", "emoji": True},
            "value": feedback_value(answer, rating),
        }

    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            button("up", ":thumbsup:", "Helpful"),
            button("down", ":thumbsdown:", "Not helpful"),
        ],
    }


def answer_blocks(
    answer: Answer, public_url: str | None = None, asked: str | None = None
) -> list[Block]:
    """The answer, its sources as context, notes on refusal or grounding, feedback buttons."""
    blocks: list[Block] = []
    if asked:
        blocks.append(_context(asked))
    if answer.refused:
        blocks.append(_context(DECLINED))
    blocks.extend(sections(to_mrkdwn(answer.answer)))
    texts = [citation_text(answer, c, public_url) for c in answer.citations]
    for start in range(0, len(texts), CONTEXT_ELEMENTS):
        blocks.append(_context(*texts[start : start + CONTEXT_ELEMENTS]))
    notes = [escape(answer.fallback_reason)] if answer.fallback_reason else []
    if not answer.grounded and not answer.refused:
        notes.append(UNGROUNDED)
    if notes:
        blocks.append(_context(*notes))
    if answer.message_id:
        blocks.append(feedback_block(answer))
    return blocks


def fallback_text(text: str) -> str:
    """The plain text Slack shows in notifications and where blocks can't be drawn."""
    text = to_mrkdwn(text)
    return text if len(text) <= FALLBACK_CHARS else text[: FALLBACK_CHARS - 1] + "…"


def thinking_blocks(asked: str | None = None) -> list[Block]:
    return [*([_context(asked)] if asked else []), {"type": "section", "text": _mrkdwn(THINKING)}]


def partial_blocks(text: str, asked: str | None = None) -> list[Block]:
    """The answer so far, while it is written."""
    head = [_context(asked)] if asked else []
    return [*head, *sections(to_mrkdwn(text) or THINKING), _context(WRITING)]


def error_blocks(message: str, asked: str | None = None, retry: bool = True) -> list[Block]:
    """What went wrong; ``retry`` when asking again may help (the question is stored)."""
    head = [_context(asked)] if asked else []
    shown = [*head, {"type": "section", "text": _mrkdwn(f":warning: {escape(message)}")}]
    return [*shown, _context(RETRY_HINT)] if retry else shown


def asked_by(user_id: str, question: str) -> str:
    """The line above a slash command's answer: who asked what."""
    if len(question) > ASKED_CHARS:
        question = question[: ASKED_CHARS - 1] + "…"
    return f"<@{user_id}> asked: {escape(question)}"


def help_text(command: str) -> str:
    return HELP.format(command=command)
