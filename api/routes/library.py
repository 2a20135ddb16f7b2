"""What the coach holds and how it introduces itself: ``/api/guides`` and ``/api/library``."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import CoachDep
from api.models import error_responses

router = APIRouter(prefix="/api", tags=["library"])


class GuideOut(BaseModel):
    """One guide the coach answers from."""

    source: str = Field(description="The guide's file name; citations name it too.")
    title: str
    sections: list[str] = Field(description="Its top-level headings, in reading order.")
    chunks: int = Field(description="Passages stored for retrieval.")
    ingested_at: datetime = Field(description="When this version was ingested (ISO 8601, UTC).")


class GuidesOut(BaseModel):
    """The guides held, and the topics derived from them at ingest."""

    guides: list[GuideOut]
    topics: list[str] = Field(description="Phrases of the titles that the guides keep using.")


class LibraryOut(BaseModel):
    """How the chat page introduces the coach, from the guides it holds."""

    name: str = Field(description="COACH_NAME.")
    topic: str = Field(description="What it helps with: COACH_TOPIC, or derived from the guides.")
    channel_topic: str = Field(description="The channel's one-line topic.")
    welcome: str = Field(description="The welcome text above the first message.")
    starters: list[str] = Field(
        description="Questions to try; each was answered with citations at ingest."
    )
    guides: int = Field(description="How many guides the coach holds.")


@router.get("/guides", response_model=GuidesOut, responses=error_responses(401, 429, 503))
def list_guides(coach: CoachDep) -> GuidesOut:
    """The guides the coach answers from (title, source, sections, chunks, ingested at)."""
    library = coach.library
    guides = [GuideOut.model_validate(entry, from_attributes=True) for entry in library.guides]
    return GuidesOut(guides=guides, topics=library.topics)


@router.get("/library", response_model=LibraryOut, responses=error_responses(401, 429, 503))
def describe_library(coach: CoachDep) -> LibraryOut:
    """The chat page's copy: name, channel topic, welcome text and starter questions."""
    voice = coach.voice
    return LibraryOut(
        name=voice.name,
        topic=voice.topic,
        channel_topic=voice.channel_topic,
        welcome=voice.welcome,
        starters=voice.starters,
        guides=len(coach.library.guides),
    )
