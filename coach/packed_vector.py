"""A question's vector as the chain stores it with the reply: float16, base64, one string.

Retrieval embeds the question anyway; keeping that vector with the reply lets the insights
group unanswered questions without embedding them again.
"""

from __future__ import annotations

import base64

import numpy as np


def encode(vector: list[float]) -> str:
    """The unit vector as base64 of float16 (768 bytes for 384 dimensions)."""
    array = np.asarray(vector, dtype=np.float32)
    array = array / max(float(np.linalg.norm(array)), 1e-12)
    return base64.b64encode(array.astype("<f2").tobytes()).decode("ascii")


def decode(text: str | None) -> np.ndarray | None:
    """The stored vector as float32, or None when there is none or it is unreadable."""
    if not text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if not raw or len(raw) % 2:
        return None
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)
