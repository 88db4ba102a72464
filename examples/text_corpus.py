"""A small labelled text corpus that needs no download.

The grid-search example prefers scikit-learn's 20 newsgroups data, which must be
downloaded once; where that is impossible (no network) it uses this corpus:
short documents generated from topic vocabularies with a fixed seed, so every
machine gets the same text.
"""

from __future__ import annotations

import random

TOPICS: dict[str, list[str]] = {
    "sci.space": (
        "orbit launch rocket shuttle nasa satellite moon mars planet telescope astronaut "
        "gravity payload booster module station comet asteroid lunar solar spacecraft"
    ).split(),
    "rec.sport.hockey": (
        "puck goal goalie ice skate stick playoff season team coach score penalty "
        "league rink defense forward shot overtime trade captain arena"
    ).split(),
    "comp.graphics": (
        "pixel render image polygon shader texture bitmap vector color palette "
        "resolution format jpeg gif animation raytrace mesh vertex display driver"
    ).split(),
}
COMMON = (
    "the a of and to in is it that for on with as was this be have are not but they "
    "i you we he she at by from or an will can would about one all there what"
).split()


def load_corpus(n_per_topic: int = 120, seed: int = 0) -> tuple[list[str], list[str]]:
    """(documents, labels), the same on every run for the same arguments."""
    rng = random.Random(seed)
    documents, labels = [], []
    for topic, words in TOPICS.items():
        other = [w for t, ws in TOPICS.items() if t != topic for w in ws]
        for _ in range(n_per_topic):
            length = rng.randint(12, 40)
            doc = [
                rng.choice(words) if rng.random() < 0.35
                else rng.choice(other) if rng.random() < 0.12
                else rng.choice(COMMON)
                for _ in range(length)
            ]  # fmt: skip
            documents.append(" ".join(doc))
            labels.append(topic)
    return documents, labels
