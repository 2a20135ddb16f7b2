"""The conversational retrieval chain: history → standalone query → retrieval → cited answer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coach.conversation import build_queries, trim_history
from coach.errors import InputError, NotFoundError, echoed
from coach.generators.base import AnswerGenerator
from coach.guard import is_career_question, is_override_attempt
from coach.history import HistoryStore
from coach.library import Library
from coach.links import LinkGuard, guard_links
from coach.packed_vector import encode
from coach.retrieval import Query, Retrieval, Retriever
from coach.schema import Answer, Draft, RefusalReason, Restart, Retrieved, Turn
from coach.settings import Settings
from coach.text import surrogate_problem
from coach.voice import Voice

if TYPE_CHECKING:
    from coach.answerability import CoverageJudge
    from coach.generators.candidates import CandidateScorer, ScoredContext
    from coach.llm.condense import QueryRewriter
    from coach.watch import GuideWatcher

HISTORY_TURNS = 20


@dataclass
class Delta:
    """A piece of the answer text, as it is produced."""

    text: str


@dataclass
class Completed:
    """The stored answer, with what retrieval found for it."""

    answer: Answer
    retrieval: Retrieval
    standalone: str
    history: list[Turn] = field(default_factory=list)


StreamEvent = Delta | Restart | Completed


def _question_vector(question: str, retrieval: Retrieval) -> dict[str, str]:
    """The question's vector from its retrieval, packed, for the insights (none: empty)."""
    vector = retrieval.query_vectors.get(question)
    if vector is None:
        return {}
    return {"question_vector": encode(vector), "vector_model": retrieval.vector_model}


class Coach:
    """Answers questions from the guides, one conversation (session) at a time."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        generator: AnswerGenerator,
        history: HistoryStore,
        rewriter: QueryRewriter | None = None,
        watcher: GuideWatcher | None = None,
        library: Callable[[], Library] | None = None,
        judge: CoverageJudge | None = None,
        candidates: CandidateScorer | None = None,
    ) -> None:
        """``candidates`` scores the units of each question's context once, for the
        ``judge`` (which needs it) and the extractive answer; without it the generator
        scores them itself."""
        if judge is not None and candidates is None:
            raise ValueError("the coverage judge weighs scored units: pass a CandidateScorer")
        self.settings = settings
        self.judge = judge
        self.candidates = candidates
        self.retriever = retriever
        self.generator = generator
        self.history = history
        self.rewriter = rewriter
        self.watcher = watcher
        if watcher is not None:
            watcher.on_reload.append(self.forget_library)
        self._load_library = library or Library
        self._library: tuple[Library, Voice, frozenset[str]] | None = None
        self._library_lock = threading.Lock()

    def _described(self) -> tuple[Library, Voice, frozenset[str]]:
        """The library summary, loaded once (built from the store the first time if missing)."""
        with self._library_lock:
            if self._library is None:
                library = self._load_library()
                voice = Voice.of(library, self.settings)
                self._library = (library, voice, frozenset(library.vocabulary))
            return self._library

    def forget_library(self) -> None:
        """Drop the cached summary (the guides changed); the next use loads it anew."""
        with self._library_lock:
            self._library = None

    @property
    def library(self) -> Library:
        """What the coach holds: the guides, their topics, starter questions."""
        return self._described()[0]

    @property
    def voice(self) -> Voice:
        """How the coach speaks about itself (refusals, welcome), from its library."""
        return self._described()[1]

    def warm_up(self) -> None:
        """Load the model, the chunks and their keyword index before the first question.

        Nothing here grows with the corpus beyond reading what ingest stored.
        """
        self.retriever.warm_up()
        _ = self.library  # built from the stored chunks once if an older ingest made none

    def clean_question(self, question: str) -> str:
        """The question trimmed, or an InputError saying what is wrong with it."""
        if not isinstance(question, str):
            raise InputError("The message must be text.")
        problem = surrogate_problem(question)
        if problem:
            raise InputError(f"The message {problem}.")
        limit = self.settings.max_message_chars
        if len(question) > limit:  # counted as sent: what the API schema says
            raise InputError(f"The message is {len(question)} characters; the limit is {limit}.")
        question = question.strip()
        if not question:
            raise InputError("The message is empty: ask the coach a question.")
        return question

    def open_session(self, session_id: str | None) -> str:
        """The given session (which must exist) or a new one."""
        if session_id is None:
            return self.history.create_session()
        if not self.history.exists(session_id):
            raise NotFoundError(
                f"Unknown session '{echoed(session_id)}'. Omit it to start a new one."
            )
        return session_id

    def queries_for(self, question: str, history: list[Turn]) -> tuple[list[Query], str]:
        """Retrieval queries and the standalone question.

        With a rewriter (generator=llm) the LLM condenses a follow-up into a standalone
        question; without one, or when it fails, the offline follow-up expansion runs.
        """
        if self.rewriter is not None and history:
            rewritten = self.rewriter.rewrite(question, history)
            if rewritten is not None:
                return rewritten
        return build_queries(
            question,
            history,
            self.retriever.idf,
            self.settings.history_answer_weight,
        )

    def stream(
        self,
        question: str,
        session_id: str | None = None,
        *,
        checked: bool = False,
        retrieve: Callable[[list[Query]], Retrieval] | None = None,
        channel: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Answer ``question`` in ``session_id`` (new when None): text pieces, then Completed.

        The user's message is stored before anything can fail, so no fault loses it.
        ``checked``: the caller already cleaned the question and opened the session (the
        API does, so bad input gets an ordinary error before a stream starts).
        ``retrieve``: runs the retriever in the caller's stead (a LangChain run traces it).
        ``channel``: where the question came from (widget, api, v1, slack, cli), for insights.
        From storing the question to storing the answer the session's turn is held: a turn
        of it running meanwhile (another tab, another server) is a TurnInProgressError.
        """
        if not checked:
            question = self.clean_question(question)
        if self.watcher is not None:
            self.watcher.check()  # another process ingested: reload in the background
        if not checked or session_id is None:
            session_id = self.open_session(session_id)
        with self.history.turn(session_id):  # one turn of a conversation at a time
            recent = self.history.recent_turns(session_id, HISTORY_TURNS)
            if recent and recent[-1] == Turn(role="user", content=question):
                recent.pop()  # a retry of a question that got no answer: stored once already
            else:
                self.history.add_message(session_id, "user", question, meta={"channel": channel})
            turns = trim_history(recent, self.settings.history_tokens)
            queries, standalone = self.queries_for(question, turns)
            retrieval = Retrieval(context=[], best_similarity=-1.0)
            scored: ScoredContext | None = None
            reason: RefusalReason | None = "injection" if is_override_attempt(question) else None
            if reason is None:
                retrieval = (retrieve or self.retriever.retrieve)(queries)
                if self.candidates is not None:
                    scored = self.candidates.context(standalone, retrieval.context, turns)
                reason = self._coverage_refusal(standalone, retrieval, scored)
            if reason is not None:
                draft = Draft.refusal(reason)
            else:
                context = retrieval.context if scored is None else scored
                draft = yield from self._guarded(
                    self._generate(standalone, context, turns, retrieval)
                )
            if draft.refused:  # every refusal is worded here, once, in the coach's voice
                draft.text = self.voice.refusal(draft.reason or "not_covered")
                yield Delta(draft.text)
            message_id = self.history.add_message(
                session_id,
                "assistant",
                draft.text,
                citations=draft.citations,
                refused=draft.refused,
                mode=draft.mode,
                meta={
                    "standalone": standalone,
                    "retrieved": [r.chunk.chunk_id for r in retrieval.context],
                    "grounded": draft.grounded,
                    "fallback_reason": draft.fallback_reason,
                    "usage": draft.usage,
                    "reason": draft.reason if draft.refused else None,
                    "relevance": retrieval.relevance,
                    "channel": channel,
                    **_question_vector(question, retrieval),
                },
            )
        answer = Answer(
            session_id=session_id,
            answer=draft.text,
            citations=draft.citations,
            refused=draft.refused,
            mode="llm" if draft.mode == "llm" else "extractive",
            message_id=message_id,
            grounded=draft.grounded,
            fallback_reason=draft.fallback_reason,
            usage=draft.usage,
            statements=draft.statements,
        )
        yield Completed(answer=answer, retrieval=retrieval, standalone=standalone, history=turns)

    def _generate(
        self, question: str, context: list[Retrieved], history: list[Turn], retrieval: Retrieval
    ) -> Generator[StreamEvent, None, Draft]:
        """The generator's text as Deltas (a ``Restart`` passed on), returning its Draft.

        The not-mentioned note, decided first, goes out right before the answer's first
        words (again after a ``Restart``) and leads its text; a refusal gets none.
        """
        note = self._not_mentioned(question, retrieval)
        owed = note
        draft: Draft | None = None
        for item in self.generator.stream(question, context, history):
            if isinstance(item, Draft):
                draft = item
            elif isinstance(item, Restart):
                owed = note  # what was shown, the note with it, is discarded
                yield item
            else:
                if owed:
                    yield Delta(owed)
                    owed = ""
                yield Delta(item)
        assert draft is not None, "generators end with a Draft"
        if draft.refused:
            if draft.reason in (None, "not_covered"):  # the guides are silent on it
                draft.reason = self._declined(question)
        elif note:
            if owed:
                yield Delta(owed)
            draft.text = note + draft.text
        return draft

    def _guarded(
        self, events: Generator[StreamEvent, None, Draft]
    ) -> Generator[StreamEvent, None, Draft]:
        """``events`` with links to origins outside ``COACH_LINK_ORIGINS`` written as text,
        in the pieces streamed and in the Draft stored alike."""
        origins = frozenset(self.settings.link_origins)
        guard = LinkGuard(origins)
        while True:
            try:
                event = next(events)
            except StopIteration as end:
                if rest := guard.flush():
                    yield Delta(rest)
                draft: Draft = end.value
                draft.text = guard_links(draft.text, origins)
                for statement in draft.statements:
                    statement.text = guard_links(statement.text, origins)
                return draft
            if isinstance(event, Delta):
                if ready := guard.feed(event.text):
                    yield Delta(ready)
            else:
                if isinstance(event, Restart):
                    guard = LinkGuard(origins)  # what it held is discarded with the rest
                yield event

    def run(
        self, question: str, session_id: str | None = None, channel: str | None = None
    ) -> Completed:
        """The completed answer with its retrieval details (for the eval and tests)."""
        for event in self.stream(question, session_id, channel=channel):
            if isinstance(event, Completed):
                return event
        raise RuntimeError("the chain ended without an answer")

    def ask(
        self, question: str, session_id: str | None = None, channel: str | None = None
    ) -> Answer:
        """The answer contract for ``question``."""
        return self.run(question, session_id, channel).answer

    def _coverage_refusal(
        self, question: str, retrieval: Retrieval, scored: ScoredContext | None
    ) -> RefusalReason | None:
        """Decline when nothing in the guides is close enough to the question, or when the
        judge finds it written for other guides (``scored`` is set whenever a judge is)."""
        close = bool(retrieval.context) and retrieval.relevance >= self.settings.relevance_floor
        if close and (
            self.judge is None or scored is None or self.judge.answers(question, retrieval, scored)
        ):
            return None
        return self._declined(question)

    def _not_mentioned(self, question: str, retrieval: Retrieval) -> str:
        """A line saying which names of the question no guide mentions (else empty): the
        answer that follows speaks of the guides' general case, not of that place or firm."""
        from coach.answerability import unmentioned

        names = unmentioned(question, retrieval)
        return self.voice.not_mentioned(names) + "\n\n" if names else ""

    def _declined(self, question: str) -> RefusalReason:
        """Why an unanswered question is declined: a career question or not at all."""
        vocabulary = self._described()[2]
        return "not_covered" if is_career_question(question, vocabulary) else "off_topic"
