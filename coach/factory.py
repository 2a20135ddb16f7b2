"""Builds the coach's parts from the settings, once; everything else receives them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from coach.chain import Coach
from coach.embeddings import embedding_model_id, make_embeddings
from coach.errors import ConfigError
from coach.generators.base import AnswerGenerator
from coach.history import HistoryStore
from coach.library import Library, read_library
from coach.retrieval import HybridRetriever
from coach.settings import Settings
from coach.store import EMBEDDING_RECIPE, GuideStore, make_chroma_client
from coach.tokens import install_offline_vocabularies
from coach.units.index import UnitIndex
from coach.units.store import DerivedStore
from coach.watch import GuideWatcher

if TYPE_CHECKING:
    from coach.generators.extractive import ExtractiveGenerator
    from coach.llm.condense import QueryRewriter


def make_units(settings: Settings, store: GuideStore) -> UnitIndex:
    """The chunks' units as ingest stored them beside the collection."""
    derived = DerivedStore.for_collection(
        settings.data_dir, settings.collection, store.model_id, EMBEDDING_RECIPE
    )
    return UnitIndex(derived, store.embeddings)


def make_extractive(
    settings: Settings, embeddings: Embeddings, units: UnitIndex | None = None
) -> ExtractiveGenerator:
    """The offline generator; ``units`` defaults to what ingest stored under the data dir."""
    from coach.generators.extractive import ExtractiveGenerator

    if units is None:
        derived = DerivedStore.for_collection(
            settings.data_dir, settings.collection, embedding_model_id(embeddings), EMBEDDING_RECIPE
        )
        units = UnitIndex(derived, embeddings)
    return ExtractiveGenerator(embeddings, units, max_statements=settings.answer_sentences)


def make_generator(
    settings: Settings,
    embeddings: Embeddings,
    units: UnitIndex | None = None,
    extractive: ExtractiveGenerator | None = None,
) -> AnswerGenerator:
    """The answer generator the settings ask for (the LLM one falls back to extractive)."""
    extractive = extractive or make_extractive(settings, embeddings, units)
    if settings.generator == "extractive":
        return extractive
    if settings.generator == "llm":
        from coach.generators.llm import LLMGenerator
        from coach.llm.client import make_chat_model

        return LLMGenerator(
            make_chat_model(settings), settings, fallback=extractive, embeddings=embeddings
        )
    raise ConfigError(f"Unknown generator '{settings.generator}'; use 'extractive' or 'llm'.")


def make_rewriter(settings: Settings) -> QueryRewriter | None:
    """The LLM condense step for follow-ups when generator=llm; None keeps the offline one."""
    if settings.generator != "llm":
        return None
    from coach.llm.condense import QueryRewriter

    return QueryRewriter.from_settings(settings)


def make_store(settings: Settings, embeddings: Embeddings | None = None) -> GuideStore:
    """The Chroma-backed guide store."""
    install_offline_vocabularies()
    embeddings = embeddings or make_embeddings(settings)
    connect = None if settings.chroma_url else (lambda: make_chroma_client(settings))
    return GuideStore(make_chroma_client(settings), settings.collection, embeddings, connect)


@dataclass
class Parts:
    """Everything built from the settings; the CLI, the API and the eval share it."""

    settings: Settings
    store: GuideStore
    history: HistoryStore
    coach: Coach
    units: UnitIndex | None = None
    watcher: GuideWatcher | None = None


LibraryLoader = Callable[[GuideStore, Settings], Library]  # the summary, read on first use


def stored_library(store: GuideStore, settings: Settings) -> Library:
    """The summary ingest stored with the collection, or an empty one; never computed here."""
    return read_library(store) or Library()


def assemble(
    settings: Settings,
    store: GuideStore,
    history: HistoryStore,
    library: LibraryLoader = stored_library,
) -> Parts:
    """The coach over an existing store and conversation database.

    ``library`` is called on the summary's first use (the store opens lazily). Building a
    summary is ingest's job, so the CLI and the API pass ``ingest.summary.load_library``:
    a store ingested before summaries existed (or under another version) gets one then.
    """
    from coach.answerability import CoverageJudge

    units = make_units(settings, store)
    units.load()
    extractive = make_extractive(settings, store.embeddings, units)
    generator = make_generator(settings, store.embeddings, extractive=extractive)
    retriever = HybridRetriever(store, settings, units)
    watcher = GuideWatcher(units, retriever)
    coach = Coach(
        settings,
        retriever,
        generator,
        history,
        rewriter=make_rewriter(settings),
        watcher=watcher,
        library=lambda: library(store, settings),
        judge=CoverageJudge(),
        candidates=extractive.candidate_scorer,
    )
    return Parts(
        settings=settings, store=store, history=history, coach=coach, units=units, watcher=watcher
    )


def build(settings: Settings, library: LibraryLoader = stored_library) -> Parts:
    """Build every client once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return assemble(
        settings,
        make_store(settings),
        HistoryStore(settings.history_url, fsync=settings.history_fsync),
        library,
    )


def answers_with_citations(settings: Settings, store: GuideStore) -> Callable[[str], bool]:
    """Whether the offline coach over ``store`` answers a question with citations.

    Ingest asks it of the library's candidate starter questions. The coach comes from
    :func:`assemble` with the extractive generator, a throwaway history and no library (the
    summary is what is being built), on the first question: a run that changed nothing
    builds none.
    """
    built: list[Coach] = []

    def answers(question: str) -> bool:
        if not built:
            offline = settings.model_copy(update={"generator": "extractive"})
            history = HistoryStore("sqlite://")
            built.append(assemble(offline, store, history, lambda *_: Library()).coach)
        answer = built[0].ask(question)
        return not answer.refused and bool(answer.citations)

    return answers
