"""Exactly-once consume-transform-produce: outputs and input offsets commit in one Kafka transaction."""

import logging
import threading
from collections.abc import Callable
from contextlib import closing

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)

# A transform turns one input record into the (key, value) of one output record.
Transform = Callable[[Message], tuple[bytes | None, bytes | None]]


# --8<-- [start:config]
def transactional_settings(producer_config: dict, transactional_id: str) -> dict:
    if not transactional_id:
        raise ValueError("transactional_id must be a stable, non-empty name, e.g. 'orders-enricher-0'")
    # transactional.id implies enable.idempotence=true and acks=all.
    # transaction.timeout.ms (librdkafka default 60000) bounds how long a dead instance's
    # open transaction blocks read_committed readers if no new instance fences it.
    return {**producer_config, "transactional.id": transactional_id}


def read_committed_settings(consumer_config: dict) -> dict:
    return {
        **consumer_config,
        "enable.auto.commit": False,  # offsets commit only inside the producer's transaction
        "isolation.level": "read_committed",  # never process aborted or still-open input
        "auto.offset.reset": "earliest",  # a new group, and a rewind with no commit, start at the beginning
    }
# --8<-- [end:config]


# --8<-- [start:loop]
def run_exactly_once(
    consumer_config: dict,
    producer_config: dict,
    transactional_id: str,
    input_topic: str,
    output_topic: str,
    transform: Transform,
    stop: threading.Event,
    batch_size: int = 100,
    timeout: float = 30.0,
) -> None:
    """Process input_topic into output_topic, one transaction per batch, until `stop` is set.

    Fatal errors (a fenced producer, for one) close both clients and raise: restart the process.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size!r}")
    settings = transactional_settings(producer_config, transactional_id)
    # closing(), not Producer's own `with`: in confluent-kafka 2.16 its __exit__ can turn a fenced
    # producer's KafkaException into a SystemError.
    with Consumer(read_committed_settings(consumer_config)) as consumer, closing(Producer(settings)) as producer:
        retry_retriable(producer.init_transactions, timeout)  # aborts and fences the last instance
        consumer.subscribe([input_topic])
        while not stop.is_set():
            batch = records_in(consumer.consume(batch_size, timeout=0.5))
            if batch:
                process_batch(consumer, producer, batch, output_topic, transform, timeout)


def records_in(batch: list[Message]) -> list[Message]:
    """The records of a consumed batch. A fatal consumer error raises; others are logged."""
    for message in batch:
        error = message.error()
        if error is None:
            continue
        # A consumer reports a fatal error as code _FATAL; fatal() is false on that event itself.
        if error.fatal() or error.code() == KafkaError._FATAL:
            raise KafkaException(error)
        log.warning("consumer error: %s", error)
    return [message for message in batch if message.error() is None]
# --8<-- [end:loop]


# --8<-- [start:transaction]
def process_batch(consumer: Consumer, producer: Producer, batch: list[Message],
                  output_topic: str, transform: Transform, timeout: float) -> None:
    try:
        producer.begin_transaction()
        for message in batch:
            key, value = transform(message)
            producer.produce(output_topic, value, key)
        offsets = consumer.position(consumer.assignment())  # the next offset to read, per partition
        retry_retriable(producer.send_offsets_to_transaction, offsets, consumer.consumer_group_metadata(), timeout)
        retry_retriable(producer.commit_transaction, timeout)
    except KafkaException as exc:
        if not exc.args[0].txn_requires_abort():
            raise  # fatal, or unclassified, which librdkafka says to treat as fatal
        log.warning("aborting the transaction and reprocessing the batch: %s", exc.args[0])
        retry_retriable(producer.abort_transaction, timeout)
        rewind_to_committed(consumer, timeout)


def retry_retriable(operation: Callable, *args: object) -> None:
    """Call operation(*args) again while it fails with a retriable error, such as a timeout."""
    while True:
        try:
            operation(*args)
            return
        except KafkaException as exc:
            if not exc.args[0].retriable():
                raise
            log.info("retrying %s: %s", operation.__name__, exc.args[0])


def rewind_to_committed(consumer: Consumer, timeout: float) -> None:
    """Seek every assigned partition back to its committed offset, so the aborted batch is read again."""
    for partition in consumer.committed(consumer.assignment(), timeout=timeout):
        if partition.offset < 0:  # nothing committed yet
            partition.offset = OFFSET_BEGINNING
        consumer.seek(partition)
# --8<-- [end:transaction]
