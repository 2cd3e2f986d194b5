"""The sentence encoder's fine-tune corpus: what the intent and safety heads train on.

The encoder recipe (``models/recipes/sentence-encoder.toml``, ``[finetune]``) adapts
MiniLM to station speech before export, on a corpus of labelled lines that this module
writes from the bundled site pack and the kiosk's own data:

- task ``intent``: :func:`~appliance.engines.nlu.training.training_set` (the pack's
  examples, FAQ questions and ``train/*.jsonl`` visitor lines, the general out-of-scope
  sentences, typo/ASR copies);
- task ``safety``: :func:`~appliance.engines.safety.encoder.training_rows` (danger lines
  by category, safe look-alikes, the pack's examples as danger or ``none``).

Never an evaluation or tuning set: those stay for measuring and calibrating. The corpus
is committed next to the recipe, so the encoder's build key follows its content;
``python -m appliance.engines.nlu.finetune_corpus --check`` (a test runs it) fails when
the training data changed and the corpus was not written again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from appliance.engines.nlu.training import training_set
from appliance.engines.safety.encoder import training_rows
from appliance.runtime.recipebook import recipes_dir
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from appliance.sitepack.model import SitePack

CORPUS = "data/encoder_finetune.jsonl"
"""The corpus, relative to the recipes folder (the recipe names the same path)."""


def corpus_path() -> Path:
    return recipes_dir() / CORPUS


def corpus_rows(pack: SitePack) -> list[dict[str, str]]:
    """Every labelled line, intent task first, in a fixed order (duplicates dropped)."""
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for task, (texts, labels) in (("intent", training_set(pack)),
                                  ("safety", training_rows(pack))):
        for text, label in zip(texts, labels, strict=True):
            if text and (task, text) not in seen:
                seen.add((task, text))
                rows.append({"text": text, "task": task, "label": label})
    return rows


def render(pack: SitePack) -> str:
    """The corpus file's text: a ``_meta`` line, then one JSON object per line."""
    meta = {"_meta": {"what": "fine-tune corpus of the sentence encoder (recipe "
                              "sentence-encoder, [finetune])",
                      "source": f"site pack {pack.manifest.name!r} examples, FAQ questions and "
                                "train/*.jsonl; the kiosk's out-of-scope and safety data",
                      "never": "evaluation or tuning sets (eval/)",
                      "write": "python -m appliance.engines.nlu.finetune_corpus"}}
    lines = [json.dumps(meta, ensure_ascii=False)]
    lines += [json.dumps(r, ensure_ascii=False) for r in corpus_rows(pack)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m appliance.engines.nlu.finetune_corpus",
        description="Write (or --check) the sentence encoder's fine-tune corpus from the "
                    "bundled site pack. Writing it changes the encoder's build key, so the "
                    "next `make models` fine-tunes again (a few minutes on 2 cores).")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed corpus differs from the training data")
    parser.add_argument("--pack", type=Path, default=None, help="site pack folder")
    args = parser.parse_args(argv)
    pack = load_sitepack(args.pack or bundled_sitepack_dir())
    text = render(pack)
    path = corpus_path()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale: run python -m appliance.engines.nlu.finetune_corpus",
                  file=sys.stderr)
            return 1
        print(f"{path}: up to date ({text.count(chr(10)) - 1} lines)")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({text.count(chr(10)) - 1} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
