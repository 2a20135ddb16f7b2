"""Rate a reply of the coach."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import HistoryDep
from api.models import FeedbackRequest, Ok, error_responses

router = APIRouter(prefix="/api", tags=["feedback"])


@router.post(
    "/feedback", response_model=Ok, responses=error_responses(400, 401, 404, 413, 422, 429, 503)
)
def give_feedback(feedback: FeedbackRequest, history: HistoryDep) -> Ok:
    """Thumbs up or down (and a comment) on a reply, stored with its conversation."""
    history.add_feedback(
        feedback.session_id, feedback.message_id, feedback.rating, feedback.comment or None
    )
    return Ok()
