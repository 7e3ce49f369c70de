# --8<-- [start:naive]
"""COUNTER-EXAMPLE, do not copy: the study notes' INCR-then-EXPIRE fixed window, kept to show its flaws."""

import time
from collections.abc import Callable

import redis


def is_rate_limited(
    client: redis.Redis,
    user_id: str,
    limit: int,
    window: int,
    clock: Callable[[], float] = time.time,
) -> bool:
    current_time = int(clock())  # flaw: each application server's own clock picks the window
    key = f"rate_limit:{user_id}:{current_time // window}"
    count = client.incr(key)  # round trip 1
    if count == 1:
        # flaw: a crash, timeout or deploy between these two commands leaves a key with no TTL
        client.expire(key, window)  # round trip 2
    return count > limit
# --8<-- [end:naive]
