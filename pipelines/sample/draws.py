"""Seeded random streams and the draws every file kind makes from them."""
from __future__ import annotations

import itertools
import random


def make_rng(seed: int, key: str) -> random.Random:
    """One stream per file kind, so that adding a file never changes the others."""
    # str seeds hash with SHA-512 inside random: stable across runs and PYTHONHASHSEED.
    return random.Random(f"{seed}/{key}")


def weighted(rng: random.Random, items: list, weights: list[float] | None = None):
    """A sampler for repeated weighted draws (precomputed cumulative weights)."""
    cum = list(itertools.accumulate(weights)) if weights else None

    def draw(k: int) -> list:
        return rng.choices(items, cum_weights=cum, k=k)

    return draw


def split_total(total: int, shares: list[float | None]) -> list[int]:
    """Integer parts of `total`; the last share (None) takes the remainder so parts sum exactly."""
    parts = [round(total * s) for s in shares[:-1]]
    return parts + [total - sum(parts)]
