"""The Java client's key partitioner in pure Python: toPositive(murmur2(key bytes)) % partitions."""

from collections.abc import Iterable

MASK = 0xFFFFFFFF  # Java ints are 32 bits: keep every intermediate result in that range
SEED = 0x9747B28C
MULTIPLIER = 0x5BD1E995


# --8<-- [start:murmur2]
def murmur2(data: bytes) -> int:
    """Kafka's Utils.murmur2: the signed 32-bit hash the Java producer computes for a key."""
    length = len(data)
    tail_start = length - length % 4
    h = (SEED ^ length) & MASK
    for i in range(0, tail_start, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * MULTIPLIER) & MASK
        k ^= k >> 24
        k = (k * MULTIPLIER) & MASK
        h = (h * MULTIPLIER) & MASK
        h ^= k
    tail = data[tail_start:]
    for position, byte in enumerate(tail):
        h ^= byte << (8 * position)
    if tail:
        h = (h * MULTIPLIER) & MASK
    h ^= h >> 13
    h = (h * MULTIPLIER) & MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def to_positive(number: int) -> int:
    """Kafka's Utils.toPositive: clear the sign bit (not abs(), which differs for negatives)."""
    return number & 0x7FFFFFFF
# --8<-- [end:murmur2]


# --8<-- [start:partition_for]
def partition_for(key: bytes | str, partitions: int) -> int:
    """The partition a Java producer, or librdkafka with partitioner=murmur2_random, picks for a key."""
    if key is None:
        raise ValueError("key must be bytes or str: a record without a key is not hashed")
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions!r}")
    data = key.encode() if isinstance(key, str) else bytes(key)  # str keys are sent as UTF-8
    return to_positive(murmur2(data)) % partitions
# --8<-- [end:partition_for]


# --8<-- [start:remap]
def moved_keys(keys: Iterable[bytes | str], before: int, after: int) -> list[bytes | str]:
    """The keys whose partition changes when a topic grows from `before` to `after` partitions."""
    if after < before:
        raise ValueError(f"after must be at least before ({before}), got {after!r}: Kafka never removes partitions")
    return [key for key in keys if partition_for(key, before) != partition_for(key, after)]
# --8<-- [end:remap]


if __name__ == "__main__":
    keys = [f"user-{n}" for n in range(10_000)]
    moved = moved_keys(keys, 3, 6)
    print(f"3 -> 6 partitions: {len(moved)} of {len(keys)} keys move ({len(moved) / len(keys):.1%})")
