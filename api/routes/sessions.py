"""Read back or erase a conversation."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import HistoryDep, SettingsDep
from api.models import MessageOut, SessionOut, error_responses
from api.render import render_answer
from coach.history import StoredMessage

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


def message_out(message: StoredMessage, origins: list[str]) -> MessageOut:
    """A stored turn for the page; the coach's replies come rendered too."""
    html = (
        render_answer(message.content, message.citations, origins)
        if message.role == "assistant"
        else None
    )
    fields = vars(message) | {"answer_html": html}
    return MessageOut.model_validate(fields)


@router.get(
    "/{session_id}", response_model=SessionOut, responses=error_responses(401, 404, 429, 503)
)
def get_session(session_id: str, history: HistoryDep, settings: SettingsDep) -> SessionOut:
    """A conversation with every turn, oldest first."""
    session = history.get_session(session_id)
    return SessionOut(
        session_id=session.id,
        created_at=session.created_at,
        title=session.title,
        messages=[message_out(m, settings.link_origins) for m in session.messages],
    )


@router.delete("/{session_id}", status_code=204, responses=error_responses(401, 404, 429, 503))
def delete_session(session_id: str, history: HistoryDep) -> Response:
    """Erase a conversation: its turns and their feedback."""
    history.delete_session(session_id)
    return Response(status_code=204)
