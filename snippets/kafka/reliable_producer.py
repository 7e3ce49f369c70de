"""A keyed producer that never loses a record silently: acks=all, idempotence, Java-compatible partitioning."""

from dataclasses import dataclass, field
from types import TracebackType

from confluent_kafka import KafkaError, Message, Producer


# --8<-- [start:config]
RELIABLE_SETTINGS = {
    "acks": "all",  # every in-sync replica has the record before it counts as written
    "enable.idempotence": True,  # librdkafka's default is false; retries then never duplicate or reorder
    "partitioner": "murmur2_random",  # the Java client's key hash; librdkafka's default is CRC32
}


def reliable_config(config: dict) -> dict:
    """The caller's config (bootstrap.servers, timeouts...) plus the settings above; a contradiction is an error."""
    for name, wanted in RELIABLE_SETTINGS.items():
        if name in config and normalised(config[name]) != normalised(wanted):
            raise ValueError(f"config[{name!r}] is {config[name]!r}, but a reliable producer needs {wanted!r}")
    return {**config, **RELIABLE_SETTINGS}


def normalised(value: object) -> str:
    text = str(value).lower()
    return "all" if text == "-1" else text
# --8<-- [end:config]


# --8<-- [start:failures]
@dataclass(frozen=True)
class FailedRecord:
    topic: str
    partition: int | None  # None: the record never got a partition (for example, its topic does not exist)
    key: bytes | None
    error: str  # the KafkaError name, such as MSG_SIZE_TOO_LARGE or _MSG_TIMED_OUT
    reason: str
    value: bytes | None = field(default=None, repr=False)


class DeliveryFailed(Exception):
    """Raised by flush() and close(): some records were not acknowledged by the broker."""

    def __init__(self, failed: list[FailedRecord], unflushed: int) -> None:
        self.failed = failed
        self.unflushed = unflushed  # records with no delivery report yet when the flush timed out
        shown = "; ".join(f"{r.topic}[{r.partition}] key={r.key!r}: {r.error} ({r.reason})" for r in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        super().__init__(f"{len(failed)} record(s) failed, {unflushed} not flushed: {shown}{more}")
# --8<-- [end:failures]


# --8<-- [start:producer]
class ReliableProducer:
    def __init__(self, config: dict) -> None:
        self._producer = Producer(reliable_config(config))
        self.acknowledged = 0
        self._failed: list[FailedRecord] = []

    def send(self, topic: str, key: bytes | str, value: bytes | str, headers: list | None = None) -> None:
        """Queue one keyed record; its delivery report arrives later, during send(), flush() or close()."""
        if key is None:
            raise ValueError("key must be bytes or str: records of one key keep their order")
        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers, on_delivery=self._on_delivery)
                break
            except BufferError:  # the local queue is full: wait for deliveries instead of failing
                self._producer.poll(0.1)
        self._producer.poll(0)  # serve the delivery reports that have arrived

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.acknowledged += 1
        else:
            self._failed.append(FailedRecord(message.topic(), message.partition(), message.key(),
                                             error.name(), error.str(), message.value()))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every record is acknowledged or failed; raise DeliveryFailed if any is not acknowledged."""
        self._raise_failures(unflushed=self._producer.flush(positive(timeout)))

    def close(self, timeout: float = 30.0) -> None:
        """Flush on shutdown. Records still unacknowledged after `timeout` are purged and reported as failed."""
        try:
            unflushed = self._producer.flush(positive(timeout))
            if unflushed:
                self._producer.purge()  # their reports say _PURGE_QUEUE (never sent) or _PURGE_INFLIGHT (fate unknown)
                self._producer.flush(timeout)
            self._raise_failures(unflushed)
        finally:
            self._producer.close()

    def _raise_failures(self, unflushed: int) -> None:
        failed, self._failed = self._failed, []
        if failed or unflushed:
            raise DeliveryFailed(failed, unflushed)

    def __enter__(self) -> "ReliableProducer":
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def positive(timeout: float) -> float:
    """confluent-kafka reads a negative timeout as "wait forever"; here it is a mistake."""
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return timeout
# --8<-- [end:producer]
