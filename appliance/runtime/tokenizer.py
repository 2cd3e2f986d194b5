"""Offline WordPiece tokenization for the sentence encoder (``tokenizers``, no hub)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 256
"""sentence-transformers' ``max_seq_length`` for all-MiniLM-L6-v2."""


def load_tokenizer(path: Path, max_tokens: int = MAX_TOKENS) -> Any:
    """Load ``tokenizer.json``; pad to the longest sentence, truncate at ``max_tokens``."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=max_tokens)
    return tok


def tokenize(tok: Any, sentences: Sequence[str]) -> dict[str, np.ndarray]:
    """Encoder feeds (``input_ids``, ``attention_mask``, ``token_type_ids``; int64)."""
    enc = tok.encode_batch(list(sentences))
    return {
        "input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in enc], dtype=np.int64),
    }
