"""Counter-example: the notes' loop, which waits for the rate limiter and the gateway inside the poll loop."""

import math
import threading
import time
import urllib.request

from confluent_kafka import Consumer, KafkaException

from rate_limiting.token_bucket import TokenBucket


# --8<-- [start:naive]
def run_blocking(consumer: Consumer, url: str, rate: float, stop: threading.Event, timeout: float = 30.0) -> None:
    """DO NOT COPY. `consumer` is subscribed by the caller with enable.auto.commit=False."""
    if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
        raise ValueError(f"rate must be a positive number, got {rate!r}")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    limiter = TokenBucket(capacity=1, refill_rate=rate)
    while not stop.is_set():
        messages = consumer.consume(num_messages=100, timeout=0.5)
        for message in messages:
            if message.error():
                raise KafkaException(message.error())
            while not (decision := limiter.acquire()).allowed:
                time.sleep(decision.retry_after)  # RateLimiter.acquire(): no poll() while it waits
            request = urllib.request.Request(url, data=message.value(), method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as response:  # nor while this waits
                response.read()
        if messages:
            consumer.commit(asynchronous=False)
# --8<-- [end:naive]
