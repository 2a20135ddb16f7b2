"""The ``coach`` command line: ingest, ask, chat, serve, slack, insights, eval."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from coach.errors import CoachError
from coach.progress import progress_bar
from coach.settings import Settings

console = Console()
errors = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def _settings_help() -> str:
    """Every setting with its environment variable and default, for ``coach --help``."""
    lines = ["Settings (environment variables or .env):", ""]
    for name, field in Settings.model_fields.items():
        env = Settings.env_name(name)
        default = field.default if field.default_factory is None else field.default_factory()  # type: ignore[call-arg]
        shown = "unset" if default is None else default
        about = f" — {field.description}" if field.description else ""
        lines.append(f"  {env} (default: {shown}){about}")
    return "\n\n".join(["Career Coach: answers from curated career guides, with citations."]) + (
        "\n\n" + "\n".join(lines)
    )


app = typer.Typer(
    help=_settings_help(),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {escape(message)}")
    return typer.Exit(code)


def friendly_errors(command: F) -> F:
    """One clear line instead of a traceback for every failure the user can act on."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CoachError as exc:
            raise fail(str(exc)) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{Settings.env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}"
                for e in exc.errors()
            )
            raise fail(f"Invalid setting — {problems}. See coach --help.") from None
        except KeyboardInterrupt:
            raise fail("Interrupted.", 130) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    return Settings()


def _run_ingest(parts: Any, paths: list[Path], reset: bool, quiet: bool = False) -> Any:
    from ingest.pipeline import ingest_into

    with progress_bar(enabled=not quiet, console=errors) as progress:
        return ingest_into(parts, paths, reset=reset, progress=progress)


def _build(ensure_ingested: bool = True, quiet: bool = False) -> Any:
    """Build the coach; ingest the seeds first when the store is empty."""
    from coach.factory import build
    from ingest.summary import load_library

    parts = build(load_settings(), library=load_library)
    if ensure_ingested and parts.store.count() == 0:
        if not quiet:
            errors.print(f"The store is empty: ingesting {parts.settings.seeds_dir} first…")
        report = _run_ingest(parts, [parts.settings.seeds_dir], reset=False, quiet=quiet)
        if report.chunks_total == 0:
            raise fail(f"No guides found in {parts.settings.seeds_dir}: add .md or .txt files.")
    return parts


@app.command()
@friendly_errors
def ingest(
    path: Annotated[
        Path | None, typer.Argument(help="A guide or a folder of guides (default: seeds/).")
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Drop the store and rebuild it.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Chunk, embed and store the guides (idempotent and incremental)."""
    from coach.factory import build
    from ingest.lock import ingest_lock
    from ingest.report import render_report

    settings = load_settings()
    with ingest_lock(settings.data_dir, settings.collection):  # before the store is opened
        parts = build(settings)
        target = path or parts.settings.seeds_dir
        report = _run_ingest(parts, [target], reset=reset, quiet=as_json)
    if as_json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        render_report(report, console)
    if not report.ok:
        raise typer.Exit(1)


def print_answer(answer: Any, streamed: bool = False) -> None:
    """The answer, then its sources, for people."""
    if not streamed:
        console.print(escape(answer.answer))
    if answer.fallback_reason:
        console.print(f"[yellow]Note:[/] {escape(answer.fallback_reason)}")
    if not answer.grounded:
        console.print("[yellow]Note:[/] this answer cites no guide; check it against the sources.")
    if answer.citations:
        console.print()
        console.print("[bold]Sources[/]")
        for c in answer.citations:
            where = c.place()
            console.print(f"  [cyan][{c.id}][/] {escape(where)} [dim]({escape(c.source)})[/]")


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer contract as JSON.")
    ] = False,
) -> None:
    """Ask one question (optionally within a conversation)."""
    parts = _build(quiet=as_json)
    if as_json:
        answer = parts.coach.ask(question, session, channel="cli")
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    answer = stream_answer(parts.coach, question, session)
    console.print(f"\n[dim]session: {answer.session_id}[/]")


def stream_answer(coach: Any, question: str, session_id: str | None) -> Any:
    """Print the answer as it is produced, then its sources; return the stored answer."""
    from coach.chain import Completed, Delta, Restart

    for event in coach.stream(question, session_id, channel="cli"):
        match event:
            case Delta(text=text):
                console.print(escape(text), end="")
            case Restart():
                console.print(f"\n[yellow]{RESTART_NOTE}[/]")
            case Completed(answer=answer):
                console.print()
                print_answer(answer, streamed=True)
                return answer
    raise RuntimeError("the chain ended without an answer")


RESTART_NOTE = "The language model stopped mid-answer; here is the answer from the guides instead:"
CHAT_HELP = "Commands: /new (new conversation), /sources (last answer's sources), /quit"


@app.command()
@friendly_errors
def chat(
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation.")
    ] = None,
) -> None:
    """Chat with the coach in the terminal."""
    parts = _build()
    voice = parts.coach.voice  # from the guides it holds
    console.print(f"[bold]{escape(voice.name)}[/] — ask about {escape(voice.topic)}.")
    console.print(f"[dim]{CHAT_HELP}[/]")
    session_id = parts.coach.open_session(session) if session else None
    last = None
    while True:
        try:
            question = console.input("\n[bold green]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        command = question.strip().lower()
        if command in ("/quit", "/exit", "/q"):
            break
        if command == "/new":
            session_id, last = None, None
            console.print("[dim]New conversation.[/]")
            continue
        if command == "/sources":
            if last is None or not last.citations:
                console.print("[dim]No sources yet.[/]")
            else:
                for c in last.citations:
                    console.print(
                        f"[cyan][{c.id}][/] [bold]{escape(c.title)}[/] › {escape(c.section)}"
                    )
                    console.print(f"    {escape(c.snippet)}", style="dim")
            continue
        if command.startswith("/"):
            console.print(f"[dim]Unknown command. {CHAT_HELP}[/]")
            continue
        if not command:
            continue
        try:
            console.print("[bold magenta]coach>[/] ", end="")
            last = stream_answer(parts.coach, question, session_id)
            session_id = last.session_id
        except CoachError as exc:
            errors.print(f"[bold red]Error:[/] {escape(str(exc))}")


@app.command()
@friendly_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: COACH_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: COACH_PORT).")] = None,
) -> None:
    """Serve the HTTP API and the chat widget.

    The guide store and the conversation database are opened before the server listens:
    one that cannot be reached (say CHROMA_URL points nowhere) ends the command with one
    error line, so a supervisor restarts it rather than it serving errors.
    """
    import uvicorn

    from api.app import build_ready, create_app
    from api.server import server_config

    settings = load_settings()
    parts = build_ready(settings)  # an unreachable store raises here: one line, exit 1
    app = create_app(settings, parts=parts)
    config = server_config(
        app, host or settings.host, port or settings.port, settings.max_header_bytes
    )
    uvicorn.Server(config).run()


@app.command()
@friendly_errors
def slack() -> None:
    """Answer in Slack over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."""
    import asyncio
    import logging

    from api.app import build_ready
    from api.slack.socket_mode import check_socket_settings, run_socket_mode

    settings = load_settings()
    check_socket_settings(settings)  # before the slow part
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parts = build_ready(settings)
    errors.print("Connecting to Slack over Socket Mode… (Ctrl+C stops)")
    asyncio.run(run_socket_mode(settings, parts))


def _since(value: str | None) -> Any:
    """``--since`` as a UTC moment (a date is its midnight), or a clear error."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--since {value!r} is not a date: use YYYY-MM-DD (UTC).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
@friendly_errors
def insights(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Start of the period, YYYY-MM-DD (default: retention)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (documented shape).")
    ] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the unanswered questions as CSV here.")
    ] = None,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report (charts) here.")
    ] = None,
) -> None:
    """What is asked, what goes unanswered, what is disliked (purges text past retention)."""
    from coach.factory import make_store
    from coach.history import HistoryStore
    from coach.insights.build import Insights
    from coach.insights.export import to_json, unanswered_csv
    from coach.insights.summary import print_summary

    start = _since(since)
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    history = HistoryStore(settings.history_url)
    report = Insights(settings, history, make_store(settings)).report(start)
    if csv_file is not None:
        _save(csv_file, unanswered_csv(report))
    if html_file is not None:
        from coach.insights.html import render_html

        _save(html_file, render_html(report, settings.coach_name))
    if as_json:
        sys.stdout.write(to_json(report) + "\n")
    else:
        print_summary(report, console)


def _save(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"Cannot write {path}: {exc.strerror or exc}.") from None
    errors.print(f"Wrote {path}")


def _register_eval() -> None:
    from eval.command import eval_command

    app.command("eval", help="Score the coach on the eval corpora or a golden set, vs a baseline.")(
        friendly_errors(eval_command)
    )


_register_eval()


def main() -> None:
    app()
