"""The Slack app end to end: signed requests to the real server, answers to a Slack double."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.errors import INTERNAL_MESSAGE
from api.slack import blocks
from api.slack.answers import UPDATE_SECONDS
from coach.generators.extractive import ExtractiveGenerator
from coach.schema import Retrieved, Turn
from tests.api.live_server import QUESTION, FailingGenerator, Served
from tests.api.slack.conftest import (
    CHANNEL,
    DM,
    PUBLIC_URL,
    USER,
    SlackApp,
    envelope,
    mention,
    message,
    sign,
)
from tests.api.slack.slack_server import BOT_ID, BOT_USER_ID, TEAM_ID, Call, Failure

ARCHITECT = "ai-solutions-architect-transition-guide.txt"


def texts(call: Call) -> str:
    """Every text of a message's blocks, joined."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.blocks)
    return "\n".join(found)


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    actions = [b for b in call.blocks if b["type"] == "actions"]
    return {e["action_id"]: e for a in actions for e in a["elements"]}


def session_of(call: Call) -> tuple[str, str]:
    """(session id, message id) an answer's feedback buttons point at."""
    value = json.loads(buttons(call)["coach_feedback_up"]["value"])
    return value["session_id"], value["message_id"]


def test_url_verification_answers_the_challenge(slack_app: SlackApp) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = slack_app.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_mention_in_a_channel_is_answered_in_its_thread(slack_app: SlackApp) -> None:
    event = mention(QUESTION)
    started = time.monotonic()
    slack_app.send_event(event)
    assert time.monotonic() - started < 3

    thinking = slack_app.thinking(event["ts"])
    assert thinking.body["channel"] == CHANNEL and blocks.THINKING in texts(thinking)
    final = slack_app.final(event["ts"])
    assert final.body["channel"] == CHANNEL and final.body["ts"] == thinking.response["ts"]

    sections = [b for b in final.blocks if b["type"] == "section"]
    assert sections and "[1]" in sections[0]["text"]["text"]
    assert "**" not in sections[0]["text"]["text"]  # markdown bold became mrkdwn
    sources = [e["text"] for b in final.blocks if b["type"] == "context" for e in b["elements"]]
    assert any(s.startswith("*[1]* <https://coach.example.com/#session=") for s in sources)
    assert {"coach_feedback_up", "coach_feedback_down"} <= set(buttons(final))

    session_id, message_id = session_of(final)
    stored = slack_app.served.parts.history.get_session(session_id)
    assert [m.role for m in stored.messages] == ["user", "assistant"]
    assert stored.messages[0].content == QUESTION  # the bot's mention is not part of it
    assert stored.messages[1].id == message_id
    assert f"{PUBLIC_URL}/#session={session_id}&message={message_id}&cite=1|" in texts(final)


def test_direct_message_is_answered_in_its_thread(slack_app: SlackApp) -> None:
    event = message(QUESTION)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    assert final.body["channel"] == DM
    assert "[1]" in texts(final) and buttons(final)


def test_follow_up_in_a_thread_uses_the_thread_history(slack_app: SlackApp) -> None:
    first = mention("I'm a backend developer thinking about becoming an AI Solutions Architect")
    slack_app.send_event(first)
    first_answer = slack_app.final(first["ts"])
    follow_up = "What salary could I expect after the switch?"
    slack_app.slack.reset()

    # a reply in the coach's thread, without a mention (message.channels)
    slack_app.send_event(message(follow_up, CHANNEL, "channel", thread_ts=first["ts"]))
    second = slack_app.final(first["ts"])

    session_id, _ = session_of(second)
    assert session_id == session_of(first_answer)[0]
    stored = slack_app.served.parts.history.get_session(session_id)
    assert [m.content for m in stored.messages if m.role == "user"] == [
        "I'm a backend developer thinking about becoming an AI Solutions Architect",
        follow_up,
    ]
    assert stored.messages[-1].meta["standalone"] != follow_up  # the history shaped the query
    assert ARCHITECT in {c.source for c in stored.messages[-1].citations}


def test_message_in_a_thread_the_coach_never_joined_is_left_alone(slack_app: SlackApp) -> None:
    slack_app.send_event(message(QUESTION, CHANNEL, "channel", thread_ts="1600000000.000100"))
    slack_app.send_event(message(QUESTION, CHANNEL, "channel"))
    time.sleep(0.5)
    assert slack_app.slack.recorded("chat.postMessage") == []


def test_slash_command_is_acknowledged_at_once_and_answered_in_the_channel(
    slack_app: SlackApp,
) -> None:
    started = time.monotonic()
    response = slack_app.send_command(QUESTION)
    assert response.status_code == 200 and time.monotonic() - started < 3
    final = slack_app.final(None)
    assert final.body["channel"] == CHANNEL
    assert texts(final).startswith(f"<@{USER}> asked: {QUESTION}")
    assert "[1]" in texts(final) and buttons(final)


def test_slash_command_without_text_answers_with_help(slack_app: SlackApp) -> None:
    response = slack_app.send_command("   ")
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert "/coach" in reply["text"] and "mention me" in reply["text"]
    time.sleep(0.3)
    assert slack_app.slack.recorded("chat.postMessage") == []


def test_feedback_button_is_stored_like_the_widget_rating(slack_app: SlackApp) -> None:
    event = mention(QUESTION)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    session_id, message_id = session_of(final)

    response = slack_app.click(buttons(final)["coach_feedback_down"], final)
    assert response.status_code == 200
    thanks = slack_app.slack.wait_for(lambda s: s.recorded("chat.postEphemeral"), what="thanks")
    assert thanks[0].body["user"] == USER and thanks[0].body["channel"] == CHANNEL
    stored = slack_app.served.parts.history.get_session(session_id)
    assert {m.id: m.feedback for m in stored.messages}[message_id] == "down"
    # the widget's endpoint reads the same store
    assert slack_app.served.session(session_id)["messages"][1]["feedback"] == "down"


def test_refusal_is_shown_as_such(slack_app: SlackApp) -> None:
    event = mention("What's a good recipe for banana bread?")
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    shown = texts(final)
    assert blocks.DECLINED in shown
    assert "*[1]*" not in shown and "[1]" not in shown


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Slack-Signature": "v0=" + "0" * 64}, id="bad-signature"),
        pytest.param({}, id="unsigned"),
        pytest.param("stale", id="stale-timestamp"),
        pytest.param("other-secret", id="other-secret"),
    ],
)
def test_unverified_requests_are_401(slack_app: SlackApp, headers: Any) -> None:
    body = json.dumps(envelope(mention(QUESTION)))
    if headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 5 * 60 - 10)
    elif headers == "other-secret":
        headers = sign(body, secret="not-the-secret")
    elif headers:
        headers = sign(body) | headers
    response = slack_app.post(body, "application/json", headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and "SLACK_SIGNING_SECRET" in error["message"]
    time.sleep(0.3)
    assert slack_app.slack.recorded("chat.postMessage") == []


def test_a_timestamp_within_five_minutes_is_accepted(slack_app: SlackApp) -> None:
    body = json.dumps({"token": "x", "challenge": "c", "type": "url_verification"})
    response = slack_app.post(body, "application/json", sign(body, int(time.time()) - 240))
    assert response.status_code == 200


def test_a_retried_event_is_answered_once(slack_app: SlackApp) -> None:
    event = mention(QUESTION)
    slack_app.send_event(event, event_id="EvRETRY0001")
    slack_app.send_event(event, event_id="EvRETRY0001", retry=1)
    slack_app.send_event(event, event_id="EvRETRY0001", retry=2)
    slack_app.final(event["ts"])
    time.sleep(0.5)
    assert len(slack_app.slack.recorded("chat.postMessage")) == 1
    session_id, _ = session_of(slack_app.final(event["ts"]))
    users = [m for m in slack_app.served.parts.history.get_session(session_id).messages]
    assert [m.role for m in users] == ["user", "assistant"]


def test_the_bots_own_messages_are_ignored(slack_app: SlackApp) -> None:
    slack_app.send_event(message("I answered this already [1].", user=BOT_USER_ID, bot_id=BOT_ID))
    slack_app.send_event(message("A bot says hi", user="U0OTHERBOT", bot_id="B0OTHER"))
    slack_app.send_event(message("edited", subtype="message_changed"))
    time.sleep(0.5)
    assert slack_app.slack.recorded("chat.postMessage") == []


def test_a_rate_limited_web_api_call_is_retried_after_retry_after(slack_app: SlackApp) -> None:
    slack_app.slack.fail("chat.postMessage", Failure("ratelimited", 429, retry_after=1))
    event = mention(QUESTION)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    attempts = slack_app.slack.recorded("chat.postMessage")
    assert [a.ok for a in attempts] == [False, True]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert attempts[1].at - attempts[0].at >= 1.0  # waited as Slack asked
    assert "[1]" in texts(final)


def test_a_chain_error_is_reported_in_the_thread_and_the_question_kept(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    coach = slack_app.served.parts.coach
    working = coach.generator
    monkeypatch.setattr(
        coach, "generator", FailingGenerator(slack_app.served.parts.store.embeddings)
    )
    event = mention(QUESTION)
    slack_app.send_event(event)
    failed = slack_app.final(event["ts"])
    shown = texts(failed)
    assert INTERNAL_MESSAGE in shown and blocks.RETRY_HINT in shown
    assert "secret internals" not in shown and not buttons(failed)

    history = slack_app.served.parts.history
    thread_session = _thread_session(slack_app, event["ts"])
    assert [(m.role, m.content) for m in history.get_session(thread_session).messages] == [
        ("user", QUESTION)
    ]

    # asked again in the thread, once the coach works: answered, the question stored once
    monkeypatch.setattr(coach, "generator", working)
    slack_app.slack.reset()
    slack_app.send_event(mention(QUESTION, thread_ts=event["ts"]))
    answered = slack_app.final(event["ts"])
    assert session_of(answered)[0] == thread_session
    assert [m.role for m in history.get_session(thread_session).messages] == ["user", "assistant"]


def _thread_session(slack_app: SlackApp, thread_ts: str, channel: str = CHANNEL) -> str:
    from api.slack.threads import SlackThreads, ThreadKey

    threads = SlackThreads(slack_app.served.parts.history.engine)
    session_id = threads.session_for(ThreadKey(TEAM_ID, channel, thread_ts))
    assert session_id is not None
    return session_id


def test_slack_routes_are_404_until_configured(api: Served) -> None:
    body = json.dumps(envelope(mention(QUESTION)))
    response = api.client.post("/slack/events", content=body, headers=sign(body))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "slack_disabled"
    assert "SLACK_BOT_TOKEN" in error["message"] and "SLACK_SIGNING_SECRET" in error["message"]


def test_a_mention_in_the_coach_thread_is_answered_once(slack_app: SlackApp) -> None:
    first = mention(QUESTION)
    slack_app.send_event(first)
    slack_app.final(first["ts"])
    slack_app.slack.reset()
    # Slack sends both: app_mention, and the message.channels event of the same message
    follow_up = mention("What skills transfer from backend development?", thread_ts=first["ts"])
    slack_app.send_event(follow_up)
    as_message = {k: v for k, v in follow_up.items() if k != "type"} | {
        "type": "message",
        "channel_type": "channel",
    }
    slack_app.send_event(as_message)
    slack_app.final(first["ts"])
    time.sleep(0.5)
    assert len(slack_app.slack.recorded("chat.postMessage")) == 1


def test_a_question_too_long_is_explained_without_a_retry_hint(slack_app: SlackApp) -> None:
    event = message("why " * 1200)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    shown = texts(final)
    assert "the limit is 4000" in shown and blocks.RETRY_HINT not in shown
    with pytest.raises(AssertionError):
        _thread_session(slack_app, event["ts"], channel=DM)  # no conversation was opened


def test_a_slash_command_where_the_bot_is_not_invited_says_how_to_invite_it(
    slack_app: SlackApp,
) -> None:
    slack_app.slack.fail("chat.postMessage", Failure("not_in_channel", 200, retry_after=None))
    assert slack_app.send_command(QUESTION).status_code == 200
    told = slack_app.slack.wait_for(lambda s: s.recorded("response_url"), what="the hint")
    assert "/invite @coach" in told[0].body["text"]
    assert told[0].body["response_type"] == "ephemeral"


def test_rating_a_forgotten_conversation_says_so(slack_app: SlackApp) -> None:
    event = mention(QUESTION)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    session_id, _ = session_of(final)
    assert slack_app.served.client.delete(f"/api/sessions/{session_id}").status_code in (200, 204)
    slack_app.click(buttons(final)["coach_feedback_up"], final)
    told = slack_app.slack.wait_for(lambda s: s.recorded("chat.postEphemeral"), what="the reply")
    assert "no longer stored" in told[0].body["text"]


class SlowGenerator(ExtractiveGenerator):
    """Writes up to its first cited statement, then takes a while over the rest."""

    def stream(self, question: str, context: list[Retrieved], history: list[Turn]) -> Iterator[Any]:
        cited = waited = False
        for piece in super().stream(question, context, history):
            if cited and not waited and isinstance(piece, str):
                time.sleep(UPDATE_SECONDS + 0.3)
                waited = True
            yield piece
            cited = cited or (isinstance(piece, str) and "[1]" in piece)


def test_the_reply_shows_the_answer_as_it_is_written(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    coach = slack_app.served.parts.coach
    monkeypatch.setattr(coach, "generator", SlowGenerator(slack_app.served.parts.store.embeddings))
    event = mention(QUESTION)
    slack_app.send_event(event)
    final = slack_app.final(event["ts"])
    updates = [
        c for c in slack_app.slack.recorded("chat.update") if c.body["ts"] == final.body["ts"]
    ]
    assert len(updates) >= 2 and updates[-1] is final
    partials = [texts(u) for u in updates[:-1]]
    # However slowly the chain starts, an update shows the first statement, cited, unfinished.
    assert any(blocks.WRITING in p and "[1]" in p for p in partials)
    assert blocks.WRITING not in texts(final) and buttons(final)
    assert not any(buttons(u) for u in updates[:-1])
