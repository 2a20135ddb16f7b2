"""Links in answers: live only to allowed origins, text naming the host otherwise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.links import LinkGuard, guard_links, normalise_origins, origin
from tests.support import make_settings

ALLOWED = normalise_origins(["https://careers.example"])

CASES = [
    ("[the portal](https://evil.test/login?steal=1)", "the portal (evil.test)"),
    ("get http://evil.test/resume.exe now", "get evil.test now"),
    ("<https://evil.test/x>", "evil.test"),
    ("see www.evil.test/a.", "see www.evil.test."),
    ("[x](mailto:a@evil.test)", "x (a@evil.test)"),
    ("<a@evil.test>", "a@evil.test"),
    ("[j](javascript:alert(1))", "j (link removed)"),
    ("[rel](/admin)", "rel (link removed)"),
    ("![logo](https://evil.test/pixel.png)", "logo (evil.test)"),
    ('[t](https://evil.test "Title")', "t (evil.test)"),
    ("[https://evil.test/](https://evil.test/)", "evil.test"),
    ("[spoof](https://careers.example.evil.test/)", "spoof (careers.example.evil.test)"),
    ("[port](https://careers.example:8443/)", "port (careers.example)"),
    ("[http](http://careers.example/)", "http (careers.example)"),
]
KEPT = [
    "[the style guide](https://careers.example/style)",
    "[upper](HTTPS://Careers.Example/jobs)",
    "https://careers.example/jobs",
    "[default port](https://careers.example:443/a)",
    "[cite](#cite-2)",
    "Two markers [1] and [2, 3] stay.",
    "No links at all, www or http words alone.",
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_a_link_elsewhere_is_text_naming_its_host(text: str, shown: str) -> None:
    assert guard_links(text, ALLOWED) == shown


@pytest.mark.parametrize("text", KEPT)
def test_allowed_links_and_plain_text_are_kept(text: str) -> None:
    assert guard_links(text, ALLOWED) == text


def test_no_origins_allowed_means_no_link_is_live() -> None:
    assert guard_links(KEPT[0], frozenset()) == "the style guide (careers.example)"


def test_streamed_pieces_add_up_to_the_guarded_whole() -> None:
    text = "\n".join(t for t, _ in CASES) + "\n\n" + " ".join(KEPT) + " [4](https://evil.test"
    expected = guard_links(text, ALLOWED)
    rng = random.Random(23)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, 60)))
        guard = LinkGuard(ALLOWED)
        pieces = [
            guard.feed(text[a:b]) for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)
        ]
        assert "".join(pieces) + guard.flush() == expected


def test_a_stream_holds_back_no_more_than_the_limit() -> None:
    guard = LinkGuard(ALLOWED)
    assert guard.feed("Open [" + "x" * 5000) != ""
    assert len(guard.pending) <= 2000


def test_origins_are_normalised_and_checked(tmp_path: Path) -> None:
    assert origin("https://Careers.Example:443/jobs?a=1") == "https://careers.example"
    assert origin("http://a.test:8080/") == "http://a.test:8080"
    assert origin("ftp://a.test") is None
    settings = make_settings(tmp_path, link_origins=["https://Careers.Example/"])
    assert settings.link_origins == ["https://careers.example"]


@pytest.mark.parametrize("bad", ["careers.example", "ftp://x.test", "https://", "https://a:99999"])
def test_a_setting_that_names_no_origin_is_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not an http"):
        make_settings(tmp_path, link_origins=[bad])
