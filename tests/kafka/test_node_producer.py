"""snippets/kafka/node_producer.mjs, run with `node --test` against the session's broker and read back from Python.

How the snippet finds `kafkajs`: Node resolves an ES module import from the importing file's own
directory upwards, and ignores NODE_PATH for `import`. So the fixture builds a small mirror of the
repository in a temporary directory: tests/kafka/node/package.json and package-lock.json at its root,
installed there with `npm ci`, then snippets/kafka/node_producer.mjs and
tests/kafka/node/node_producer.test.mjs copied to the same relative paths. The test file's import
`../../../snippets/kafka/node_producer.mjs` works unchanged in both places, and the snippet finds
node_modules/ two levels up. Copies, not symlinks: Node resolves a symlink to its real path first.

npm ci runs once per session, with --ignore-scripts (kafkajs is pure JavaScript and needs none), and
it needs the npm registry or a warm npm cache. Node and npm must be installed: the test fails
(it does not skip) and names the Debian packages when they are missing.
"""

import os
import shutil
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kafka.admin import create_topic

ROOT = Path(__file__).parents[2]
SNIPPET = Path("snippets/kafka/node_producer.mjs")
NODE_TEST = Path("tests/kafka/node/node_producer.test.mjs")
KEYS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
PER_KEY = 25  # 5 batches of 5 records per key, as node_producer.test.mjs sends them


@pytest.fixture(scope="session")
def node_workspace(tmp_path_factory, npm_ci) -> Path:
    """A directory with kafkajs installed from the lockfile, holding copies of the snippet and its Node test."""
    workspace = tmp_path_factory.mktemp("node")
    try:
        npm_ci(ROOT / "tests/kafka/node", workspace)
    except RuntimeError as error:
        pytest.fail(str(error))
    for relative in (SNIPPET, NODE_TEST):
        (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, workspace / relative)
    return workspace


@pytest.fixture(scope="module")
def node_run(node_workspace, kafka_bootstrap, kafka_admin) -> tuple[str, subprocess.CompletedProcess]:
    """Run node_producer.test.mjs once against a fresh 3-partition topic: (topic, the finished `node --test`)."""
    topic = f"node-producer.orders.{uuid.uuid4().hex[:8]}"
    create_topic(kafka_admin, topic, 3)
    env = {key: value for key, value in os.environ.items() if key != "NODE_ENV"}  # NODE_ENV=test changes retries
    env |= {"KAFKA_BOOTSTRAP": kafka_bootstrap, "NODE_PRODUCER_TOPIC": topic}
    run = subprocess.run(["node", "--test", str(NODE_TEST)], cwd=node_workspace, env=env,
                         capture_output=True, text=True, timeout=120)
    return topic, run


def test_kafkajs_producer_delivers_every_keyed_record_once_in_per_key_order(node_run, read_topic):
    topic, run = node_run
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# pass 3" in run.stdout and "# fail 0" in run.stdout, run.stdout

    values, partitions = defaultdict(list), defaultdict(set)
    for record in read_topic(topic):
        key = record.key().decode()
        values[key].append(record.value().decode())
        partitions[key].add(record.partition())
    # Every record, once, in the order sent; the acks=1 send that idempotence refused left nothing behind.
    assert dict(values) == {key: [f"{key}:{n}" for n in range(PER_KEY)] for key in KEYS}
    assert all(len(found) == 1 for found in partitions.values())


def test_kafkajs_hashes_keys_like_the_java_client(node_run, kafka_bootstrap, new_topic, read_topic):
    """KafkaJS's DefaultPartitioner and librdkafka's murmur2_random put each key in the same partition."""
    node_topic, run = node_run
    assert run.returncode == 0, run.stdout + run.stderr
    python_topic = new_topic("python-keys", partitions=3)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
    for key in KEYS:
        producer.produce(python_topic, b"", key.encode())
    assert producer.flush(30) == 0

    def placement(topic: str) -> dict[str, int]:
        return {record.key().decode(): record.partition() for record in read_topic(topic)}

    node_placement = placement(node_topic)
    assert node_placement == placement(python_topic)
    assert len(set(node_placement.values())) == 3  # the keys reach every partition, so the match means something
