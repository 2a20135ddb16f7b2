"""All configuration in one place: environment variables (``COACH_*``) and ``.env``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.links import normalise_origins

LOCAL_EMBEDDING_MODEL = "all-MiniLM-L6-v2-onnx-int8"


class Settings(BaseSettings):
    """Every knob of the coach. Defaults run offline with no key."""

    model_config = SettingsConfigDict(
        env_prefix="COACH_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Where things live
    data_dir: Path = Field(
        Path(".coach"), description="All state: the Chroma store, the history DB."
    )
    seeds_dir: Path = Field(Path("seeds"), description="Guides ingested by default.")

    # Vector store
    chroma_url: str | None = Field(
        None,
        validation_alias=AliasChoices("COACH_CHROMA_URL", "CHROMA_URL"),
        description="A Chroma server (chroma run); embedded PersistentClient when unset.",
    )
    collection: str = Field("career_guides", description="Chroma collection name.")
    chroma_timeout: float = Field(
        3.0,
        gt=0,
        le=60,
        description="Seconds a Chroma server request may take (connect, send, answer) before "
        "it fails with store_unavailable; under 5 keeps /readyz within 5 s.",
    )

    # Conversation store
    database_url: str | None = Field(
        None, description="SQLAlchemy URL for sessions; default sqlite under the data dir."
    )
    history_fsync: bool = Field(
        False,
        description="SQLite: flush each commit to the disk before a turn is answered, so it "
        "survives a power loss (~100 ms a turn on a slow disk). Off, a commit is in the "
        "database file when answered: safe when the process dies, not on a power loss.",
    )

    # Embeddings
    embedding_provider: Literal["local", "openai"] = Field(
        "local", description="local (ONNX MiniLM, offline) or openai."
    )
    embedding_model: str | None = Field(
        None,
        description=f"Embedding model; default {LOCAL_EMBEDDING_MODEL} (local) "
        "or text-embedding-3-small (openai).",
    )
    embedding_batch_size: int = Field(8, ge=1, le=2048, description="Texts per embedding call.")

    # Chunking
    chunk_tokens: int = Field(
        256,
        ge=32,
        le=8000,
        description="Max tokens in a chunk, in the embedding model's own tokens; the local "
        "model's 256-token window (less the title and section) caps it.",
    )
    chunk_overlap: int = Field(32, ge=0, le=2000, description="Token overlap between chunks.")

    # Retrieval
    top_k: int = Field(10, ge=1, le=50, description="Chunks handed to the answer generator.")
    candidates: int = Field(40, ge=1, le=200, description="Candidates from each retriever.")
    vector_weight: float = Field(1.0, ge=0, description="Weight of vector search in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of BM25 in fusion.")
    title_weight: float = Field(
        0.5, ge=0, description="Boost for guides whose title names what is asked (0 disables)."
    )
    rrf_k: int = Field(5, ge=1, description="Reciprocal rank fusion constant.")
    short_chunk_tokens: int = Field(
        40, ge=1, description="Chunks shorter than this count less in retrieval (heading stubs)."
    )
    max_per_guide: int = Field(6, ge=1, description="Cap of chunks from one guide in the context.")
    # The fusion above (candidates, vector_weight, title_weight, rrf_k), top_k, max_per_guide,
    # the three relevance numbers below and history_answer_weight were chosen on the dev
    # halves of every corpus in eval/corpora by `python -m eval.tune_retrieval`. The answers'
    # own leave-one-corpus-out dev fact recall is flat around the chosen k and cap (k/cap
    # 8/6: 0.659, 10/6: 0.653, 12/4: 0.650).
    relevance_floor: float = Field(
        0.2, ge=-1, le=1, description="Minimum relevance (cosine similarity, adjusted) to answer."
    )
    unknown_term_penalty: float = Field(
        0.15, ge=0, le=1, description="Relevance lost per question word that no guide uses."
    )
    keyword_bonus: float = Field(
        0.0, ge=0, le=1, description="Relevance gained when a distinctive question word matches."
    )

    # Conversation
    history_tokens: int = Field(800, ge=0, description="Token budget of history used per turn.")
    history_answer_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Weight of the coach's own earlier answers in a follow-up's expansion, "
        "against 1 for the user's words (chosen on the dev halves by eval.tune_retrieval).",
    )

    # Answer generation
    generator: Literal["extractive", "llm"] = Field(
        "extractive", description="extractive (offline) or llm (OpenAI-compatible)."
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "COACH_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "COACH_OPENAI_BASE_URL")
    )
    chat_model: str = Field("gpt-4o-mini", description="Chat model for llm mode.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds per LLM request.")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries on timeouts, 429 and 5xx.")
    temperature: float = Field(0.1, ge=0, le=2)
    context_tokens: int = Field(3000, ge=200, description="Token budget of retrieved context.")
    answer_prompt: Literal["full", "compact"] = Field(
        "full",
        description="full: numbered rules after the excerpts' header; compact: excerpts first, "
        "five short rules and a cited example, for small local models.",
    )
    max_output_tokens: int = Field(700, ge=16, le=16_000, description="Max tokens of an answer.")
    llm_backoff: float = Field(
        0.5, ge=0, description="First retry delay in seconds (doubles per retry, jittered)."
    )
    llm_backoff_max: float = Field(
        20.0, ge=0, description="Longest wait between retries, Retry-After included."
    )
    condense_model: str | None = Field(
        None, description="Model that makes follow-ups standalone questions; default chat_model."
    )
    llm_price_input: float | None = Field(
        None, ge=0, description="USD per 1M prompt tokens; overrides the built-in price table."
    )
    llm_price_output: float | None = Field(
        None, ge=0, description="USD per 1M completion tokens; overrides the built-in table."
    )
    answer_sentences: int = Field(8, ge=1, le=20, description="Max statements, extractive mode.")

    # Checking LLM answers
    # On the statements of tests/coach/llm/test_support.py, with the local MiniLM model,
    # faithful restatements of a cited excerpt score at least 0.68 against it and claims
    # off its topic at most 0.55: 0.6 keeps every one of the first and drops the second.
    # Another embedding model needs its own floor.
    support_floor: float = Field(
        0.6,
        ge=-1,
        le=1,
        description="Least cosine similarity between an LLM statement and the nearest "
        "passage of an excerpt it cites for that excerpt to support it.",
    )

    # HTTP service
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(None, description="If set, /api/* requires Bearer auth.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to embed.")
    max_message_chars: int = Field(4000, ge=1)
    max_body_bytes: int = Field(64_000, ge=1024)
    max_header_bytes: int = Field(
        16_384, ge=1024, description="Request headers (names and values, all) answered 431 above."
    )
    max_messages: int = Field(
        50, ge=1, description="Messages in one /v1/chat/completions request; more are a 422."
    )
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Per client (address, and API key when presented); 0 disables."
    )

    # Reliability and security
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counts live: memory:// (this process) or "
        "redis://host:port (shared by several server processes).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses or networks (JSON list) whose X-Forwarded-For is believed; "
        "none by default.",
    )
    accept_reader_requests: bool = Field(
        False,
        description="Keep guide lines that ask the reader for credentials, payment or to run a "
        "program (ingest lists them either way); off by default, so they never reach an answer.",
    )
    link_origins: list[str] = Field(
        default_factory=list,
        description="Origins (https://host[:port]) that links in answers may go to; any other "
        "link is shown as plain text naming its host. None by default.",
    )
    public_origins: list[str] = Field(
        default_factory=list,
        description="Origins whose pages may use the chat API without the API key (the widget "
        "on a public page); each visitor is rate-limited by address.",
    )

    # Slack app (api/slack): on when the bot token and the signing secret are both set
    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "COACH_SLACK_BOT_TOKEN"),
        description="Bot token (xoxb-…) of the Slack app; with the signing secret, "
        "enables POST /slack/events.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "COACH_SLACK_SIGNING_SECRET"),
        description="Signing secret of the Slack app: every request from Slack is verified.",
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "COACH_SLACK_APP_TOKEN"),
        description="App-level token (xapp-…, connections:write) for Socket Mode: coach slack.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Slack Web API base URL (a proxy, or a test double).",
    )
    public_url: str | None = Field(
        None,
        description="Where people open this coach (https://coach.example.com); Slack "
        "citations link to its source view when set.",
    )

    # How the coach presents itself (the topic is derived from the guides unless set)
    coach_name: str = Field(
        "Career Coach",
        min_length=1,
        validation_alias=AliasChoices("COACH_NAME", "coach_name"),
        description="The coach's name in its replies, the chat page and the API docs.",
    )
    coach_topic: str | None = Field(
        None,
        validation_alias=AliasChoices("COACH_TOPIC", "coach_topic"),
        description="What the coach helps with, one line; default: derived from the guides' "
        "titles at ingest.",
    )

    # Insights (coach insights, GET /api/insights, /insights)
    insights_retention_days: int = Field(
        90,
        ge=1,
        description="Question text (and feedback comments) older than this many days is "
        "blanked from the history on each insights run.",
    )
    # On the scripted history of tests/coach/insights (four topics asked 36 ways each) with
    # the local MiniLM model, each topic is one group from 0.7 up to 0.8; 0.75 sits between.
    insights_group_distance: float = Field(
        0.75,
        gt=0,
        le=2,
        description="Unanswered questions are grouped while their groups' mean cosine "
        "distance stays under this (average linkage).",
    )
    insights_evidence_bar: float = Field(
        0.3,
        ge=-1,
        le=1,
        description="An answered question whose relevance is under this counts as unanswered "
        "(low evidence) in the insights.",
    )

    # Evaluation judge (ragas LLM metrics)
    judge_model: str | None = Field(None, description="Judge model for LLM-based ragas metrics.")

    @field_validator("link_origins")
    @classmethod
    def _link_origins_are_origins(cls, value: list[str]) -> list[str]:
        return sorted(normalise_origins(value))

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"COACH_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"COACH_CHUNK_TOKENS ({self.chunk_tokens})"
            )
        return self

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets ``field``."""
        info = cls.model_fields.get(field)
        alias = info.validation_alias if info else None
        choices = getattr(alias, "choices", None)
        return str(choices[0]) if choices else f"COACH_{field.upper()}"

    @cached_property
    def embedding_model_name(self) -> str:
        """The embedding model in force for the chosen provider."""
        if self.embedding_model:
            return self.embedding_model
        return (
            LOCAL_EMBEDDING_MODEL
            if self.embedding_provider == "local"
            else ("text-embedding-3-small")
        )

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def history_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'history.db').resolve()}"
