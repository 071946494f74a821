"""Small helpers of the load generator."""

from __future__ import annotations

import math
import random
from collections.abc import Callable


def _weighted(rng: random.Random, pairs) -> Callable[[], str]:
    values = [v for v, _w in pairs]
    cum, total = [], 0
    for _v, w in pairs:
        total += w
        cum.append(total)
    choices = rng.choices

    def pick():
        return choices(values, cum_weights=cum)[0]

    return pick


def _multiplier(modulus: int) -> int:
    a = 2_654_435_761 % modulus
    while math.gcd(a, modulus) != 1:
        a += 1
    return a


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass
