"""The interview question bank: every question of the study notes has a home, and every block parses.

The block parser, `questions(path)`, lives in overrides/hooks/flash_cards.py, which also builds the deck.
"""

import re

import pytest
from doc_pages import DOCS
from flash_cards import DIFFICULTIES, Question, bank, questions

QUESTIONS = DOCS / "questions"


# Abbreviations whose full stop does not end a sentence.
ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|No)\.", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*]*\s+(?=[\"'(\[*`]*[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """A conservative sentence split: a full stop, question or exclamation mark, then space and a capital or digit.

    Full stops inside numbers and versions ("8.0", "HTTP/1.1") have no space after them, and known abbreviations
    ("e.g.", "vs.") are masked first, so neither ends a sentence.
    """
    masked = ABBREVIATIONS.sub(lambda match: match.group(0).replace(".", "\u2024"), " ".join(text.split()))
    return [part for part in SENTENCE_END.split(masked) if part.strip()]


def normalize(text: str) -> str:
    """Lower case, every run of punctuation and space as one space: 'HTTP/2' and 'http 2' compare equal."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


# Every question in the study notes the site is built from, as (note file stem, a key phrase of it). The key phrase
# must occur in a bank heading; questions asked in several notes are merged into one bank question.
SEED_QUESTIONS = [
    # 000: seven questions answered in place
    ("000_97d95d37d184e0d6", "handle Kafka consumer lag with partitions"),
    ("000_97d95d37d184e0d6", "adding consumers did not help, and the gateway can take only a few requests"),
    ("000_97d95d37d184e0d6", "What is throttling"),
    ("000_97d95d37d184e0d6", "optimize database queries"),
    ("000_97d95d37d184e0d6", "redirect reads to replicas in a read-heavy system"),
    ("000_97d95d37d184e0d6", "What is rate limiting"),
    ("000_97d95d37d184e0d6", "What is a load balancer"),
    # 001: 23 mid-level Kafka questions answered in place
    ("001_5c1ca5f8833e691e", "tune Kafka performance"),
    ("001_5c1ca5f8833e691e", "acks setting"),
    ("001_5c1ca5f8833e691e", "secure a Kafka cluster"),
    ("001_5c1ca5f8833e691e", "SSL and SASL in Kafka"),
    ("001_5c1ca5f8833e691e", "What is Kafka Connect"),
    ("001_5c1ca5f8833e691e", "What is Kafka Streams"),
    ("001_5c1ca5f8833e691e", "handle duplicate messages"),
    ("001_5c1ca5f8833e691e", "increase the number of partitions"),
    ("001_5c1ca5f8833e691e", "What is log compaction"),
    ("001_5c1ca5f8833e691e", "How do you monitor Kafka"),
    ("001_5c1ca5f8833e691e", "common Kafka exceptions"),
    ("001_5c1ca5f8833e691e", "real-time notification system using Kafka"),
    ("001_5c1ca5f8833e691e", "design an event-driven architecture"),
    ("001_5c1ca5f8833e691e", "handle Kafka consumer lag"),
    ("001_5c1ca5f8833e691e", "scale a Kafka cluster"),
    ("001_5c1ca5f8833e691e", "transactional API"),
    ("001_5c1ca5f8833e691e", "How does Kafka ensure durability"),
    ("001_5c1ca5f8833e691e", "controller brokers"),
    ("001_5c1ca5f8833e691e", "How does leader election work"),
    ("001_5c1ca5f8833e691e", "What is backpressure, and how do you handle it"),
    ("001_5c1ca5f8833e691e", "keep data consistent across services that communicate through Kafka"),
    ("001_5c1ca5f8833e691e", "Kafka compare with Apache Pulsar"),
    ("001_5c1ca5f8833e691e", "zero-copy principle"),
    # 002: fifteen Kafka questions in three levels, answered in place
    ("002_cdbaa314540efc8a", "What is Apache Kafka, and what are its core components"),
    ("002_cdbaa314540efc8a", "difference between a topic, a partition and a segment"),
    ("002_cdbaa314540efc8a", "How does Kafka ensure message ordering"),
    ("002_cdbaa314540efc8a", "What is a consumer group"),
    ("002_cdbaa314540efc8a", "replication factor, and why does it matter"),
    ("002_cdbaa314540efc8a", "How does Kafka achieve fault tolerance"),
    ("002_cdbaa314540efc8a", "Kafka's partitioning strategy"),
    ("002_cdbaa314540efc8a", "Kafka's retention policy"),
    ("002_cdbaa314540efc8a", "manage consumer offsets"),
    ("002_cdbaa314540efc8a", "backpressure, and how do you handle it with Kafka"),
    ("002_cdbaa314540efc8a", "exactly-once semantics in Kafka"),
    ("002_cdbaa314540efc8a", "monitor and optimize Kafka performance in a production environment"),
    ("002_cdbaa314540efc8a", "leader election work in Kafka"),
    ("002_cdbaa314540efc8a", "running Kafka across multiple datacenters"),
    ("002_cdbaa314540efc8a", "Kafka-based system to keep data consistent when nodes fail"),
    # 003: "What is Apache Kafka?" and Q.1 to Q.14 (Q.4 and Q.10 are the same question)
    ("003_c8dc9d8f30516e61", "What is Apache Kafka"),
    ("003_c8dc9d8f30516e61", "consumer group, and why is it fundamental"),
    ("003_c8dc9d8f30516e61", "role of a broker"),
    ("003_c8dc9d8f30516e61", "key and its value, and why does the key matter"),
    ("003_c8dc9d8f30516e61", "send a welcome email when a user signs up"),
    ("003_c8dc9d8f30516e61", "at-most-once, at-least-once and exactly-once"),
    ("003_c8dc9d8f30516e61", "Node.js producer for at-least-once"),
    ("003_c8dc9d8f30516e61", "idempotent producer"),
    ("003_c8dc9d8f30516e61", "Why should a Node.js developer use Kafka"),
    ("003_c8dc9d8f30516e61", "Avro over plain JSON"),
    ("003_c8dc9d8f30516e61", "Your consumer has high lag"),
    ("003_c8dc9d8f30516e61", "consumer rebalance"),
    ("003_c8dc9d8f30516e61", "consumer lag, and why is it a critical metric"),
    ("003_c8dc9d8f30516e61", "dead letter queue"),
    ("003_c8dc9d8f30516e61", "KafkaJS or node-rdkafka"),
    # 004: sections asked as questions
    ("004_d96d0cffb9333646", "Why is Cassandra fast at writes"),
    ("004_d96d0cffb9333646", "What is CQRS"),
    ("004_d96d0cffb9333646", "Saga pattern"),
    ("004_d96d0cffb9333646", "transactional outbox pattern and a choreography-based saga"),
    ("004_d96d0cffb9333646", "event sourcing"),
    ("004_d96d0cffb9333646", "circuit breaker work"),
    ("004_d96d0cffb9333646", "result of an asynchronous request"),
    ("004_d96d0cffb9333646", "1,000 camera streams"),
    ("004_d96d0cffb9333646", "2 GB/s of writes and 50 GB/s of reads"),
    ("004_d96d0cffb9333646", "LSM tree or B-tree"),
    ("004_d96d0cffb9333646", "dual-write problem"),
    ("004_d96d0cffb9333646", "What is a cold start"),
    ("004_d96d0cffb9333646", "encryption, hashing and encoding"),
    ("004_d96d0cffb9333646", "redundancy and fault tolerance"),
    # 004: the "important questions"
    ("004_d96d0cffb9333646", "switch databases automatically by shard"),
    ("004_d96d0cffb9333646", "route requests to a tenant's database"),
    ("004_d96d0cffb9333646", "same user shops from India and the USA"),
    # 004: "questions on multi-tenant"
    ("004_d96d0cffb9333646", "store data for many tenants"),
    # 004: the numbered system-design questions, 1 to 65
    ("004_d96d0cffb9333646", "difference between scalability and performance"),
    ("004_d96d0cffb9333646", "1 million requests per second"),
    ("004_d96d0cffb9333646", "bottlenecks in a scalable system"),
    ("004_d96d0cffb9333646", "horizontal scaling differ from vertical scaling"),
    ("004_d96d0cffb9333646", "optimize database queries"),
    ("004_d96d0cffb9333646", "load balancing improve scalability"),
    ("004_d96d0cffb9333646", "what happens when the load balancer is down"),
    ("004_d96d0cffb9333646", "difference between latency and throughput"),
    ("004_d96d0cffb9333646", "reduce latency in a high-traffic application"),
    ("004_d96d0cffb9333646", "CDN improve latency"),
    ("004_d96d0cffb9333646", "CloudFront"),
    ("004_d96d0cffb9333646", "batch processing over real-time"),
    ("004_d96d0cffb9333646", "Explain the CAP theorem"),
    ("004_d96d0cffb9333646", "CA but not partition tolerant"),
    ("004_d96d0cffb9333646", "choose a CP system over an AP system"),
    ("004_d96d0cffb9333646", "How does eventual consistency work"),
    ("004_d96d0cffb9333646", "improve a system's availability"),
    ("004_d96d0cffb9333646", "What is failover"),
    ("004_d96d0cffb9333646", "handle network partitions"),
    ("004_d96d0cffb9333646", "load balancer, and how does it work"),
    ("004_d96d0cffb9333646", "layer 4 and layer 7 load balancing"),
    ("004_d96d0cffb9333646", "active-passive and active-active"),
    ("004_d96d0cffb9333646", "global load balancing across multiple regions"),
    ("004_d96d0cffb9333646", "reverse proxy differ from a load balancer"),
    ("004_d96d0cffb9333646", "sticky sessions"),
    ("004_d96d0cffb9333646", "server failures in a load-balanced system"),
    ("004_d96d0cffb9333646", "relational database over a NoSQL database"),
    ("004_d96d0cffb9333646", "sharding and partitioning improve database performance"),
    ("004_d96d0cffb9333646", "downsides of sharding"),
    ("004_d96d0cffb9333646", "primary-replica and multi-primary replication"),
    ("004_d96d0cffb9333646", "How does database partitioning work"),
    ("004_d96d0cffb9333646", "denormalization and data consistency"),
    ("004_d96d0cffb9333646", "database for a high-write workload"),
    ("004_d96d0cffb9333646", "design a time-series database"),
    ("004_d96d0cffb9333646", "different types of caching"),
    ("004_d96d0cffb9333646", "cache-aside and write-through"),
    ("004_d96d0cffb9333646", "write-behind caching work"),
    ("004_d96d0cffb9333646", "risk of cache inconsistency"),
    ("004_d96d0cffb9333646", "LRU, LFU and TTL"),
    ("004_d96d0cffb9333646", "How does CDN caching work"),
    ("004_d96d0cffb9333646", "distributed cache such as Redis or Memcached"),
    ("004_d96d0cffb9333646", "decide what data to cache"),
    ("004_d96d0cffb9333646", "message queue and a task queue"),
    ("004_d96d0cffb9333646", "Kafka compare with RabbitMQ"),
    ("004_d96d0cffb9333646", "event-driven architecture"),
    ("004_d96d0cffb9333646", "What is backpressure"),
    ("004_d96d0cffb9333646", "millions of messages per second"),
    ("004_d96d0cffb9333646", "at-most-once, at-least-once and exactly-once delivery"),
    ("004_d96d0cffb9333646", "message ordering in a distributed system"),
    ("004_d96d0cffb9333646", "difference between TCP and UDP"),
    ("004_d96d0cffb9333646", "choose gRPC over REST"),
    ("004_d96d0cffb9333646", "HTTP/2 improve on HTTP/1.1"),
    ("004_d96d0cffb9333646", "real-time communication"),
    ("004_d96d0cffb9333646", "reduce network latency in a microservices architecture"),
    ("004_d96d0cffb9333646", "What is OAuth 2.0"),
    ("004_d96d0cffb9333646", "JWTs compare to session-based authentication"),
    ("004_d96d0cffb9333646", "secure a REST API"),
    ("004_d96d0cffb9333646", "SQL injection and cross-site scripting"),
    ("004_d96d0cffb9333646", "DDoS attacks"),
    ("004_d96d0cffb9333646", "how does it work in an API"),
    ("004_d96d0cffb9333646", "benefits and challenges of microservices"),
    ("004_d96d0cffb9333646", "service discovery in microservices"),
    ("004_d96d0cffb9333646", "synchronous and asynchronous communication in microservices"),
    ("004_d96d0cffb9333646", "resilient microservices architecture"),
    ("004_d96d0cffb9333646", "data consistency in a microservices setup"),
    ("004_d96d0cffb9333646", "What is the Saga pattern"),
    ("004_d96d0cffb9333646", "distributed transactions in microservices"),
    # 004: the Kafka interview list, basic to advanced, and "KTables and Kafka Streams"
    ("004_d96d0cffb9333646", "What is Apache Kafka, and what are its core components"),
    ("004_d96d0cffb9333646", "topic, a partition and a segment"),
    ("004_d96d0cffb9333646", "How does Kafka ensure message ordering"),
    ("004_d96d0cffb9333646", "What is a consumer group"),
    ("004_d96d0cffb9333646", "What is a KTable"),
    ("004_d96d0cffb9333646", "How does Kafka achieve fault tolerance"),
    ("004_d96d0cffb9333646", "Kafka's partitioning strategy"),
    ("004_d96d0cffb9333646", "manage consumer offsets"),
    ("004_d96d0cffb9333646", "exactly-once semantics in Kafka"),
    ("004_d96d0cffb9333646", "monitor and optimize Kafka performance"),
    ("004_d96d0cffb9333646", "keep data consistent when nodes fail"),
]

# Topics of the notes' week 1 to 5 study plan, asked the way an interviewer would ask about them.
SEED_TOPICS = [
    ("004_d96d0cffb9333646", "What is an API gateway"),
    ("004_d96d0cffb9333646", "What is PACELC"),
    ("004_d96d0cffb9333646", "Bloom filter"),
    ("004_d96d0cffb9333646", "approach data modeling"),
    ("004_d96d0cffb9333646", "OSI model"),
    ("004_d96d0cffb9333646", "What makes an API RESTful"),
    ("004_d96d0cffb9333646", "What problems does GraphQL solve"),
    ("004_d96d0cffb9333646", "DNS lookup"),
    ("004_d96d0cffb9333646", "forward proxy and a reverse proxy"),
    ("004_d96d0cffb9333646", "What makes distributed systems hard"),
    ("004_d96d0cffb9333646", "consistency models"),
    ("004_d96d0cffb9333646", "R + W > N"),
    ("004_d96d0cffb9333646", "Merkle tree"),
    ("004_d96d0cffb9333646", "consistent hashing"),
    ("004_d96d0cffb9333646", "refresh-ahead"),
    ("004_d96d0cffb9333646", "Elasticsearch"),
]


@pytest.fixture(scope="module")
def all_questions() -> list[Question]:
    return bank()


@pytest.mark.parametrize(("seed", "phrase"), SEED_QUESTIONS + SEED_TOPICS)
def test_seed_question_has_a_home(all_questions, seed, phrase):
    headings = [normalize(question.heading) for question in all_questions]
    assert any(normalize(phrase) in heading for heading in headings), f"{seed}: no bank heading contains {phrase!r}"


def test_every_question_block_parses(all_questions):
    pages = sorted(QUESTIONS.glob("*.md"))
    headings = sum(1 for page in pages for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("### "))
    assert len(all_questions) == headings > 200


@pytest.mark.parametrize("question", bank(), ids=lambda question: f"{question.page}:{question.heading[:40]}")
def test_question_block_is_complete(question):
    assert question.heading.endswith(("?", ".")), "a heading is a question"
    assert question.difficulty in DIFFICULTIES
    assert question.answer, "the answer is empty"
    assert 3 <= len(sentences(question.answer)) <= 8, sentences(question.answer)
    assert len(question.go_deeper) == 1, question.go_deeper
    title, target = question.go_deeper[0]
    assert title and target.startswith("../") and "#" in target


def test_no_heading_appears_twice(all_questions):
    seen: dict[str, str] = {}
    for question in all_questions:
        key = normalize(question.heading)
        assert key not in seen, f"{question.heading!r} is on {seen[key]} and {question.page}"
        seen[key] = question.page


def test_parser_rejects_a_block_without_difficulty(tmp_path):
    page = tmp_path / "broken.md"
    page.write_text('### What is Kafka?\n\n??? question "Answer"\n    A log. It is. Yes.\n', encoding="utf-8")
    with pytest.raises(ValueError, match="broken.md.*What is Kafka"):
        questions(page)


def test_parser_reads_one_block(tmp_path):
    page = tmp_path / "one.md"
    page.write_text(
        "## Basics\n\n### What is Kafka?\n\n**Difficulty:** basic\n\n"
        '??? question "Answer"\n    A log. It is replicated. Version 4.0 removed ZooKeeper, e.g. for new clusters.\n\n'
        "    **Go deeper:** [What is Kafka: how it works](../kafka/what-is-kafka.md#how-it-works)\n",
        encoding="utf-8",
    )
    (question,) = questions(page)
    assert question == Question(
        "one",
        "Basics",
        "What is Kafka?",
        "basic",
        "A log. It is replicated. Version 4.0 removed ZooKeeper, e.g. for new clusters.",
        (("What is Kafka: how it works", "../kafka/what-is-kafka.md#how-it-works"),),
    )
    assert len(sentences(question.answer)) == 3
