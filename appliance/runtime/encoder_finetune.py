"""Domain adaptation of the sentence encoder before export: a multi-task fine-tune.

The recipe's ``[finetune]`` table names a corpus of labelled sentences (JSON Lines:
``{"text", "task", "label"}``, e.g. task ``intent`` with the visitor's intent and task
``safety`` with a danger category or ``none``) and the training settings. Each task gets
a cosine classifier (class prototypes, initialised at the class means of the untuned
embeddings) on the same mean-pooled, L2-normalised embedding the kiosk uses, and the
whole encoder is trained on the sum of the tasks' class-balanced cross-entropies.

Why a cosine classifier: the kiosk's heads are a softmax over unit embeddings blended
with a nearest-example vote and a cosine floor, so the fine-tune pulls sentences of one
class together *in cosine*, which is what those heads read. The classifiers are thrown
away; only the encoder's weights are kept (the heads are trained per site pack, as before).

Build time only (torch CPU, like the export); deterministic for a given seed and thread
count. This module knows nothing of intents or danger: the corpus says what to learn.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.runtime.errors import EngineLoadError
from appliance.runtime.recipebook import Progress

logger = logging.getLogger(__name__)

REQUIRED = ("text", "task", "label")


def read_corpus(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """``{task: (texts, labels)}`` from a JSON Lines corpus; rows starting ``_meta`` skipped."""
    tasks: dict[str, tuple[list[str], list[str]]] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "_meta" in row:
                continue
            if not all(isinstance(row.get(k), str) and row[k] for k in REQUIRED):
                raise EngineLoadError(f"{path}:{number}: a corpus row needs {REQUIRED}: {row}")
            texts, labels = tasks.setdefault(row["task"], ([], []))
            texts.append(row["text"])
            labels.append(row["label"])
    if not tasks:
        raise EngineLoadError(f"{path}: the fine-tune corpus is empty")
    return tasks


def finetune(src: Path, corpus: Path, out: Path, opts: dict[str, Any],
             say: Progress) -> dict[str, Any]:
    """Fine-tune the model in ``src`` on ``corpus``; save it (and its tokenizer) in ``out``.

    Returns what the sidecar records: rows per task, steps, seconds, final losses.
    """
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise EngineLoadError("fine-tuning the encoder needs torch (CPU) and transformers "
                              "at build time") from exc
    seed = int(opts.get("seed", 0))
    torch.manual_seed(seed)
    torch.set_num_threads(int(opts.get("threads", 2)))
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    tasks = read_corpus(corpus)
    max_len = int(opts.get("max_length", 64))

    def embed(texts: list[str]) -> Any:
        batch = tok(texts, padding=True, truncation=True, max_length=max_len,
                    return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=1)

    heads = {name: _Task(name, texts, labels, embed, torch)
             for name, (texts, labels) in sorted(tasks.items())}
    weights = {name: float(w) for name, w in dict(opts.get("task_weights", {})).items()}
    params = [{"params": model.parameters(), "lr": float(opts.get("lr", 3e-5))},
              {"params": [h.prototypes for h in heads.values()], "lr": 1e-3}]
    optimizer = torch.optim.AdamW(params, weight_decay=0.01)
    batch_size = int(opts.get("batch", 32))
    largest = max(len(h.texts) for h in heads.values())
    steps = max(1, int(float(opts.get("epochs", 2)) * largest / batch_size))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps))
    rng = np.random.default_rng(seed)
    scale = float(opts.get("scale", 20.0))
    model.train()
    t0 = time.monotonic()
    losses: dict[str, float] = {}
    for step in range(steps):
        total: Any = 0
        for name, head in heads.items():
            size = batch_size if len(head.texts) == largest else max(8, batch_size // 2)
            loss = head.loss(rng, min(size, len(head.texts)), scale)
            losses[name] = float(loss.detach())
            total = total + weights.get(name, 1.0) * loss
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in losses.items())
            say(f"fine-tune step {step + 1}/{steps}: loss {shown} "
                f"({time.monotonic() - t0:.0f} s)")
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                 "vocab.txt"):
        if (src / name).is_file():
            shutil.copyfile(src / name, out / name)
    return {"rows": {k: len(v[0]) for k, v in tasks.items()}, "steps": steps,
            "seconds": round(time.monotonic() - t0, 1),
            "final_loss": {k: round(v, 4) for k, v in losses.items()}}


class _Task:
    """One task's rows, class-balanced loss weights and trainable class prototypes."""

    def __init__(self, name: str, texts: list[str], labels: list[str], embed: Any,
                 torch: Any) -> None:
        self.name, self.texts, self.embed, self.torch = name, texts, embed, torch
        self.classes = sorted(set(labels))
        self.y = np.array([self.classes.index(lb) for lb in labels])
        counts = np.bincount(self.y, minlength=len(self.classes)).astype(np.float64)
        self.class_weight = torch.tensor(len(self.y) / (len(self.classes) * counts),
                                         dtype=torch.float32)
        with torch.no_grad():
            rows = torch.cat([embed(texts[i:i + 64]) for i in range(0, len(texts), 64)])
        means = torch.stack([rows[torch.from_numpy(self.y == k)].mean(0)
                             for k in range(len(self.classes))])
        self.prototypes = torch.nn.Parameter(torch.nn.functional.normalize(means, dim=1))

    def loss(self, rng: np.random.Generator, size: int, scale: float) -> Any:
        torch = self.torch
        pick = rng.choice(len(self.texts), size, replace=False)
        rows = self.embed([self.texts[i] for i in pick])
        protos = torch.nn.functional.normalize(self.prototypes, dim=1)
        return torch.nn.functional.cross_entropy(
            scale * rows @ protos.T, torch.from_numpy(self.y[pick]).long(),
            weight=self.class_weight)
