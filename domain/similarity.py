"""How alike two texts are by their words: cosine over word sets, and the words they share."""

import math


def overlap(query: list[str], other: list[str]) -> tuple[float, list[str]]:
    """The score (0–1: shared words ÷ √(|query|·|other|)) and the shared words in the query's order."""
    mine, theirs = set(query), set(other)
    if not mine or not theirs:
        return 0.0, []
    shared = [w for w in dict.fromkeys(query) if w in theirs]
    return len(shared) / math.sqrt(len(mine) * len(theirs)), shared
