"""slack/manifest.yml asks for what the app handles, and for the scopes those need."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.support import REPO

# The Events API subscription each event needs, and the scope that subscription needs.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "slack" / "manifest.yml").read_text()))


def test_every_request_url_is_the_events_route(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert {urlsplit(u).path for u in urls} == {"/slack/events"}
    assert settings["interactivity"]["is_enabled"] is True


def test_events_and_scopes_match(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(events) == set(EVENT_SCOPES)
    assert {EVENT_SCOPES[e] for e in events} <= scopes
    assert {"chat:write", "commands"} <= scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/coach"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs
