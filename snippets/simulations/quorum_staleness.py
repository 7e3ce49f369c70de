"""How often a quorum read misses the latest write, while the write is still spreading to the replicas."""

import math
import random


def _check(n: int, r: int, w: int, t: float, mean_lag: float) -> None:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not isinstance(r, int) or not 1 <= r <= n:
        raise ValueError(f"r must be an integer between 1 and n={n}, got {r!r}")
    if not isinstance(w, int) or not 1 <= w <= n:
        raise ValueError(f"w must be an integer between 1 and n={n}, got {w!r}")
    if not 0 <= t < math.inf:
        raise ValueError(f"t must be a number of seconds >= 0, got {t!r}")
    if not mean_lag > 0:  # `not >` also rejects NaN; math.inf means the write never spreads
        raise ValueError(f"mean_lag must be > 0 seconds (math.inf: never), got {mean_lag!r}")


# --8<-- [start:simulate]
def _lag(rng: random.Random, mean_lag: float) -> float:
    """How long one replica the write skipped takes to get it."""
    return rng.expovariate(1 / mean_lag) if mean_lag < math.inf else math.inf


def stale_read_probability(n: int, r: int, w: int, t: float, mean_lag: float,
                           trials: int = 10_000, seed: int = 0) -> float:
    """Monte Carlo: the fraction of reads, started `t` seconds after a write, that miss it.

    The write reaches W random replicas at once (the acknowledgement); each of the others
    gets it after its own lag, drawn from an exponential distribution with mean `mean_lag`.
    The read asks R random replicas and is stale if none of them has the write yet.
    """
    _check(n, r, w, t, mean_lag)
    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    rng = random.Random(seed)
    stale = 0
    for _ in range(trials):
        written = set(rng.sample(range(n), w))
        asked = rng.sample(range(n), r)
        has_it = [i in written or _lag(rng, mean_lag) <= t for i in asked]
        stale += not any(has_it)
    return stale / trials
# --8<-- [end:simulate]


# --8<-- [start:closed_form]
def stale_read_probability_exact(n: int, r: int, w: int, t: float, mean_lag: float) -> float:
    """The same probability, worked out: all R asked replicas are among the N - W the write
    skipped, C(N-W, R) / C(N, R), and none of those R has caught up, exp(-t / mean_lag) each."""
    _check(n, r, w, t, mean_lag)
    return math.comb(n - w, r) / math.comb(n, r) * math.exp(-r * t / mean_lag)
# --8<-- [end:closed_form]
