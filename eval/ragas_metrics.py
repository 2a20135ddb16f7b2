"""ragas' own metric classes, run on our records: offline ones always, LLM-judged ones on request.

ragas is imported lazily (it takes seconds), with its usage tracking turned off first.
The ID-based and non-LLM context metrics exist only in the classic ``ragas.metrics`` API
(scored with ``SingleTurnSample`` and ``single_turn_ascore``); the string metrics come from
``ragas.metrics.collections`` (``ascore``). The judge metrics use ragas' classic LLM and
embedding wrappers around LangChain models.
"""

from __future__ import annotations

import asyncio
import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from coach.errors import ConfigError, GenerationError
from coach.settings import Settings

if TYPE_CHECKING:
    from ragas.embeddings import BaseRagasEmbeddings
    from ragas.llms import BaseRagasLLM

JUDGE_CONCURRENCY = 4


def quiet_ragas() -> None:
    """No usage tracking, no deprecation noise: call before importing ragas."""
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ragas(\.|$)")


@dataclass(frozen=True)
class RagasCase:
    """What ragas needs about one system's answer to one golden item."""

    key: str  # "coach/q07"
    question: str
    answer: str
    reference: str
    refused: bool
    retrieved_ids: Sequence[str]
    retrieved_texts: Sequence[str]
    reference_ids: Sequence[str]  # the system's chunks of the expected guides
    reference_texts: Sequence[str]


class OfflineRagas:
    """ragas metrics that need no model: context precision/recall (IDs, strings), ROUGE, …"""

    def __init__(self) -> None:
        quiet_ragas()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from ragas import SingleTurnSample
            from ragas.metrics import (
                IDBasedContextPrecision,
                IDBasedContextRecall,
                NonLLMContextPrecisionWithReference,
                NonLLMContextRecall,
            )
            from ragas.metrics.collections import (
                BleuScore,
                CHRFScore,
                NonLLMStringSimilarity,
                RougeScore,
            )
        self._sample = SingleTurnSample
        self.context_metrics: dict[str, Any] = {
            "id_context_precision": IDBasedContextPrecision(),
            "id_context_recall": IDBasedContextRecall(),
            "nonllm_context_precision": NonLLMContextPrecisionWithReference(),
            "nonllm_context_recall": NonLLMContextRecall(),
        }
        self.answer_metrics: dict[str, Any] = {
            "rouge_l": RougeScore(rouge_type="rougeL", mode="fmeasure"),
            "string_similarity": NonLLMStringSimilarity(),
            "chrf": CHRFScore(),
            "bleu": BleuScore(),
        }

    async def ascore(self, case: RagasCase) -> dict[str, float]:
        """Every offline metric for ``case``.

        Nothing retrieved scores 0 on the context metrics (ragas would give NaN or fail).
        """
        scores: dict[str, float] = {}
        if case.retrieved_ids:
            sample = self._sample(
                user_input=case.question,
                retrieved_contexts=list(case.retrieved_texts),
                reference_contexts=list(case.reference_texts),
                retrieved_context_ids=list(case.retrieved_ids),
                reference_context_ids=list(case.reference_ids),
            )
            for name, metric in self.context_metrics.items():
                scores[name] = float(await metric.single_turn_ascore(sample))
        else:
            scores.update(dict.fromkeys(self.context_metrics, 0.0))
        for name, metric in self.answer_metrics.items():
            result = await metric.ascore(reference=case.reference, response=case.answer)
            scores[name] = float(result.value)
        return scores


class JudgeRagas:
    """ragas' LLM-judged metrics: Faithfulness, ResponseRelevancy, FactualCorrectness, recall."""

    def __init__(
        self, llm: BaseRagasLLM, embeddings: BaseRagasEmbeddings, timeout: float = 60.0
    ) -> None:
        quiet_ragas()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from ragas.metrics import (
                FactualCorrectness,
                Faithfulness,
                LLMContextRecall,
                ResponseRelevancy,
            )
            from ragas.run_config import RunConfig
        self.metrics: dict[str, Any] = {
            "faithfulness": Faithfulness(llm=llm),
            "response_relevancy": ResponseRelevancy(llm=llm, embeddings=embeddings),
            "factual_correctness": FactualCorrectness(llm=llm),
            "llm_context_recall": LLMContextRecall(llm=llm),
        }
        run_config = RunConfig(timeout=int(timeout), max_retries=3)
        for metric in self.metrics.values():
            metric.init(run_config)

    async def ascore(self, case: RagasCase) -> dict[str, float]:
        """Judge metrics for ``case``; faithfulness is skipped for refusals (nothing claimed)."""
        from ragas import SingleTurnSample

        sample = SingleTurnSample(
            user_input=case.question,
            response=case.answer,
            reference=case.reference,
            retrieved_contexts=list(case.retrieved_texts),
        )
        scores: dict[str, float] = {}
        for name, metric in self.metrics.items():
            if name == "faithfulness" and (case.refused or not case.retrieved_texts):
                continue
            if name == "llm_context_recall" and not case.retrieved_texts:
                scores[name] = 0.0
                continue
            try:
                scores[name] = float(await metric.single_turn_ascore(sample))
            except Exception as exc:  # any judge failure stops the run, with its context
                raise GenerationError(
                    f"The judge failed on {case.key} ({name}): {type(exc).__name__}: {exc}. "
                    "Check COACH_JUDGE_MODEL and the OpenAI settings, or unset "
                    "COACH_JUDGE_MODEL to run the offline metrics only."
                ) from exc
        return scores


def make_judge(settings: Settings, embeddings: Embeddings) -> JudgeRagas | None:
    """The judge the settings configure, or None when no judge model is set."""
    if not settings.judge_model:
        return None
    if settings.openai_api_key is None and settings.openai_base_url is None:
        raise ConfigError(
            f"COACH_JUDGE_MODEL={settings.judge_model} needs OPENAI_API_KEY (or OPENAI_BASE_URL "
            "for a compatible server); unset it to run the offline metrics only."
        )
    quiet_ragas()
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.embeddings.base import LangchainEmbeddingsWrapper
        from ragas.llms.base import LangchainLLMWrapper

        chat = ChatOpenAI(
            model=settings.judge_model,
            api_key=settings.openai_api_key or SecretStr("not-needed"),
            base_url=settings.openai_base_url,
            temperature=0,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        llm = LangchainLLMWrapper(chat)
        wrapped = LangchainEmbeddingsWrapper(embeddings)
    return JudgeRagas(llm, wrapped, timeout=settings.llm_timeout * 2)


def score_cases(
    cases: Sequence[RagasCase],
    offline: OfflineRagas,
    judge: JudgeRagas | None = None,
    on_done: Callable[[RagasCase], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Scores of every case by key, all in one event loop (judge calls run a few at a time)."""

    async def run_all() -> dict[str, dict[str, float]]:
        gate = asyncio.Semaphore(JUDGE_CONCURRENCY)

        async def one(case: RagasCase) -> tuple[str, dict[str, float]]:
            scores = await offline.ascore(case)
            if judge is not None:
                async with gate:
                    scores.update(await judge.ascore(case))
            if on_done is not None:
                on_done(case)
            return case.key, scores

        return dict(await asyncio.gather(*(one(c) for c in cases)))

    return asyncio.run(run_all())


def nan_metrics(scores: dict[str, float]) -> list[str]:
    """The metrics of one case that came out NaN."""
    return [name for name, value in scores.items() if math.isnan(value)]
