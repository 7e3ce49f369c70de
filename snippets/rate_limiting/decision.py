# --8<-- [start:decision]
"""What every limiter on this site returns, and the checks every limiter makes on its arguments."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int  # whole units of quota left after this decision
    retry_after: float  # seconds until the same request could pass; 0.0 if allowed
    delay: float = 0.0  # seconds an admitted request must wait first (a leaky bucket used as a queue)


def positive_finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def checked_cost(cost: float, capacity: float) -> float:
    cost = positive_finite("cost", cost)
    if cost > capacity:
        raise ValueError(f"cost={cost} exceeds capacity={capacity}: it could never pass")
    return cost
# --8<-- [end:decision]
