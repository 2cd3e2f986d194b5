"""A small letter classifier: softmax (multinomial logistic) regression in numpy.

Trained on :mod:`synth` landmarks (:func:`train_fingerspelling`); features are
standardised with the training set's mean and spread. A hand whose best letter has a
probability below ``min_prob`` is "no letter" (``None``), so a hand in passing between
two letters is not read as a third.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from appliance.sign.input.features import features
from appliance.sign.input.landmarks import HandLandmarks
from appliance.sign.input.synth import DEFAULT_JITTER, Jitter, dataset

TRAIN_SEED = 1
"""The training seed; tests measure on other seeds."""


@dataclass(frozen=True)
class Prediction:
    """The best letter (``None`` when unsure) and its probability."""

    letter: str | None
    prob: float


class LetterClassifier:
    """Softmax regression over :func:`~appliance.sign.input.features.features`."""

    def __init__(self, labels: Sequence[str], mean: np.ndarray, std: np.ndarray,
                 weights: np.ndarray, bias: np.ndarray, min_prob: float = 0.35) -> None:
        self.labels = tuple(labels)
        self._mean, self._std = mean, std
        self._w, self._b = weights, bias
        self.min_prob = min_prob

    @classmethod
    def fit(cls, hands: Sequence[HandLandmarks], labels: Sequence[str], *,
            epochs: int = 400, lr: float = 0.5, l2: float = 1e-4) -> LetterClassifier:
        """Full-batch gradient descent on the cross-entropy (a few seconds at most)."""
        names = sorted(set(labels))
        x = np.stack([features(h) for h in hands])
        y = np.array([names.index(label) for label in labels])
        mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
        z = (x - mean) / std
        onehot = np.eye(len(names))[y]
        w = np.zeros((z.shape[1], len(names)))
        b = np.zeros(len(names))
        for _ in range(epochs):
            p = _softmax(z @ w + b)
            grad = (p - onehot) / len(z)
            w -= lr * (z.T @ grad + l2 * w)
            b -= lr * grad.sum(axis=0)
        return cls(names, mean, std, w, b)

    def probabilities(self, hand: HandLandmarks) -> np.ndarray:
        """Probability of each of :attr:`labels`."""
        z = (features(hand) - self._mean) / self._std
        return _softmax((z @ self._w + self._b)[None, :])[0]

    def predict(self, hand: HandLandmarks) -> Prediction:
        """The letter ``hand`` shows, or ``None`` below :attr:`min_prob`."""
        p = self.probabilities(hand)
        best = int(np.argmax(p))
        prob = float(p[best])
        return Prediction(self.labels[best] if prob >= self.min_prob else None, prob)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def train_fingerspelling(per_letter: int = 200, seed: int = TRAIN_SEED,
                         jitter: Jitter = DEFAULT_JITTER) -> LetterClassifier:
    """The static-letter classifier trained on synthetic hands from our own model."""
    hands, labels = dataset(seed, per_letter, jitter)
    return LetterClassifier.fit(hands, labels)


def per_letter_accuracy(model: LetterClassifier, hands: Sequence[HandLandmarks],
                        labels: Sequence[str]) -> dict[str, float]:
    """Share of each letter's hands read as that letter (``None`` counts as wrong)."""
    right: dict[str, int] = {}
    seen: dict[str, int] = {}
    for hand, label in zip(hands, labels, strict=True):
        seen[label] = seen.get(label, 0) + 1
        right[label] = right.get(label, 0) + (model.predict(hand).letter == label)
    return {label: right[label] / seen[label] for label in sorted(seen)}
