"""The "baseline" system: a plain LangChain RAG over the same guides, embeddings, generator.

Fixed-size character chunks (1000/200), Chroma similarity search top 4 on the raw question,
no history, no hybrid search, no refusal logic beyond the generator's own. Text and markdown
are read by LangChain's TextLoader and PDFs by its PyPDFLoader; HTML and Word pages by the
coach's own readers (LangChain's loaders for them need packages the project does not ship).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from coach.generators.base import AnswerGenerator
from coach.retrieval import Query, Retrieval, Retriever
from coach.schema import Chunk, Draft, Retrieved
from coach.voice import Voice
from eval.corpus import guide_files
from ingest.loader import read_guide_text

__all__ = ["BaselineRag", "guide_files"]

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


@dataclass
class BaselineAnswer:
    """The baseline's answer and the chunks it was given."""

    draft: Draft
    context: list[Retrieved]


class BaselineRag(Retriever):
    """RecursiveCharacterTextSplitter → Chroma → similarity_search(k=4) → the same generator."""

    k = TOP_K

    def __init__(
        self,
        guides: Sequence[Path],
        embeddings: Embeddings,
        generator: AnswerGenerator,
        workdir: Path | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_community.document_loaders import PyPDFLoader, TextLoader
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.generator = generator
        self.embeddings = embeddings
        self._own_dir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="coach-baseline-")) if workdir is None else workdir
        )
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP
        )
        documents: list[Document] = []
        for path in guides:
            suffix = path.suffix.lower()
            if suffix in (".md", ".markdown", ".txt"):
                pages = TextLoader(str(path), encoding="utf-8").load()
            elif suffix == ".pdf":
                pages = PyPDFLoader(str(path)).load()
            else:  # LangChain's HTML and Word loaders need packages this project does not ship
                pages = [Document(page_content=read_guide_text(path))]
            for position, doc in enumerate(splitter.split_documents(pages)):
                doc.metadata = {"source": path.name, "position": position}
                doc.id = f"baseline:{path.name}:{position:03d}"
                documents.append(doc)
        self.chunks = [self._chunk(doc) for doc in documents]
        self._by_id = {c.chunk_id: c for c in self.chunks}
        self._client = chromadb.PersistentClient(
            path=str(self.workdir / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True),
        )
        self.vectorstore = Chroma(
            collection_name="baseline", embedding_function=embeddings, client=self._client
        )
        if documents:
            self.vectorstore.add_documents(documents, ids=[str(d.id) for d in documents])

    @staticmethod
    def _chunk(doc: Document) -> Chunk:
        text = doc.page_content
        return Chunk(
            chunk_id=str(doc.id),
            text=text,
            source=str(doc.metadata["source"]),
            title="",
            section="",
            position=int(doc.metadata["position"]),
            tokens=0,
            content_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        )

    @property
    def sources(self) -> set[str]:
        return {c.source for c in self.chunks}

    def chunks_of(self, sources: Sequence[str]) -> list[Chunk]:
        """Every baseline chunk of the given guides."""
        wanted = set(sources)
        return [c for c in self.chunks if c.source in wanted]

    @property
    def idf(self) -> dict[str, float]:
        """Empty: the baseline keeps no history, so it weighs no follow-up's words."""
        return {}

    def retrieve(self, queries: list[Query]) -> Retrieval:
        """The top-k chunks for the first query (the raw question), best first; no
        relevance is measured (the baseline declines nothing itself)."""
        docs = self.vectorstore.similarity_search(queries[0].text, k=self.k)
        context = [
            Retrieved(chunk=self._by_id[str(doc.id)], score=1.0 / rank, ranks={"vector": rank})
            for rank, doc in enumerate(docs, 1)
        ]
        return Retrieval(context=context, best_similarity=-1.0)

    def warm_up(self) -> None:
        self.embeddings.embed_query("warm up")

    def answer(self, question: str) -> BaselineAnswer:
        """Retrieve, then let the generator answer (it alone decides to refuse, worded as by
        a coach that knows no library)."""
        context = self.retrieve([Query(question)]).context
        draft = self.generator.generate(question, context, [])
        if draft.refused:
            draft.text = Voice.plain().refusal(draft.reason or "not_covered")
        return BaselineAnswer(draft=draft, context=context)

    def close(self) -> None:
        """Release Chroma and remove the temporary directory this baseline made."""
        try:
            self._client.reset()
        finally:
            if self._own_dir:
                shutil.rmtree(self.workdir, ignore_errors=True)
