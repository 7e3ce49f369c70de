"""Clients that all failed at the same moment retry against a server that comes back with limited capacity."""

import heapq
import math
from collections.abc import Callable
from typing import NamedTuple


class Storm(NamedTuple):
    load: list[int]  # requests that reached the server in each bucket, retries included
    served: list[int]  # requests the server answered in each bucket
    gave_up: int  # clients that ran out of attempts


# --8<-- [start:simulate]
def retry_storm(clients: int, delay: Callable[[int], float], recover_at: float, capacity: int,
                bucket: float = 0.01, horizon: float = 10.0, max_attempts: int = 20) -> Storm:
    """Every client sends one request at time 0, while the server is down until `recover_at`.

    A failed request waits `delay(attempt)` (attempt 0, 1, 2, ...) and tries again. Once up, the
    server answers at most `capacity` requests per `bucket` seconds and fails the rest, which
    then retry too. Requests after `horizon` seconds are not simulated.
    """
    for name, value in [("clients", clients), ("capacity", capacity), ("max_attempts", max_attempts)]:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not 0 <= recover_at < math.inf:
        raise ValueError(f"recover_at must be a number of seconds >= 0, got {recover_at!r}")
    if not 0 < bucket < math.inf:
        raise ValueError(f"bucket must be a positive number of seconds, got {bucket!r}")
    if not bucket <= horizon < math.inf:
        raise ValueError(f"horizon must be a number of seconds >= bucket, got {horizon!r}")
    buckets = math.ceil(horizon / bucket)
    load, served, gave_up = [0] * buckets, [0] * buckets, 0
    pending = [(0.0, client, 0) for client in range(clients)]  # (time, client, attempt), earliest first
    while pending:
        now, client, attempt = heapq.heappop(pending)
        slot = int(now / bucket)
        if slot >= buckets:
            break  # everything left in the queue is later still
        load[slot] += 1
        if now >= recover_at and served[slot] < capacity:
            served[slot] += 1
        elif attempt + 1 < max_attempts:
            wait = delay(attempt)
            if not 0 <= wait < math.inf:
                raise ValueError(f"delay must return a number of seconds >= 0, got {wait!r}")
            heapq.heappush(pending, (now + wait, client, attempt + 1))
        else:
            gave_up += 1
    return Storm(load, served, gave_up)
# --8<-- [end:simulate]
