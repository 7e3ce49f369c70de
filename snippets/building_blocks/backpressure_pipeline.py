# --8<-- [start:bucket]
"""A fast producer, a bounded queue and a consumer paced by a token bucket (asyncio, standard library only)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any


class TokenBucket:
    """Holds up to `burst` tokens and refills `rate` tokens per second; take() waits for one."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if not 0 < rate < float("inf"):
            raise ValueError(f"rate must be a positive number per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._updated = clock()

    async def take(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1  # reserve the token now; a negative balance is a debt to wait out
        if self._tokens < 0:
            await self._sleep(-self._tokens / self.rate)
# --8<-- [end:bucket]


# --8<-- [start:pipeline]
@dataclass
class Stats:
    produced: int = 0
    consumed: int = 0
    max_queue_size: int = 0


async def run_pipeline(
    items: Iterable[Any],
    handle: Callable[[Any], Awaitable[Any]],
    queue_size: int,
    bucket: TokenBucket,
) -> Stats:
    """Feed `items` through a queue of at most `queue_size` into `handle`, at most as fast as `bucket` allows."""
    if queue_size < 1:
        raise ValueError(f"queue_size must be at least 1, got {queue_size!r}")
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)
    done = object()
    stats = Stats()

    async def produce() -> None:
        for item in items:
            await queue.put(item)  # waits while the queue is full: this is the backpressure
            stats.produced += 1
            stats.max_queue_size = max(stats.max_queue_size, queue.qsize())
        await queue.put(done)

    async def consume() -> None:
        while (item := await queue.get()) is not done:
            await bucket.take()
            await handle(item)
            stats.consumed += 1

    await asyncio.gather(produce(), consume())
    return stats
# --8<-- [end:pipeline]


if __name__ == "__main__":
    # --8<-- [start:usage]
    async def main() -> None:
        async def handle(item: int) -> None:
            pass  # write to a slow database, call an API, ...

        bucket = TokenBucket(rate=50, burst=5)  # the consumer's pace: 50 items/s
        start = time.monotonic()
        stats = await run_pipeline(range(100), handle, queue_size=10, bucket=bucket)
        print(stats, f"in {time.monotonic() - start:.1f} s")  # 95 waits of 1/50 s: about 1.9 s

    asyncio.run(main())
    # --8<-- [end:usage]
