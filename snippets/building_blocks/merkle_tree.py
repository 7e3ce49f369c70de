"""A Merkle tree over the hash buckets of a key-value replica, and reconciliation by walking two trees."""

# --8<-- [start:tree]
import hashlib
from collections.abc import Mapping


def _hash(*parts: bytes) -> bytes:
    return hashlib.blake2b(b"".join(parts), digest_size=16).digest()


class MerkleTree:
    """2**depth leaves, each covering one range of key hashes (like a token range); parents hash children.

    Leaves are hashed with a 0x00 prefix and parents with 0x01, as RFC 6962 does.
    """

    def __init__(self, data: Mapping[str, str], depth: int) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 24:
            raise ValueError(f"depth must be an integer from 0 to 24, got {depth!r}")
        self.depth = depth
        # buckets[i] maps each key in leaf i to the digest of its key and value
        self.buckets: list[dict[str, bytes]] = [{} for _ in range(2**depth)]
        for key, value in data.items():
            self.buckets[self.leaf_of(key)][key] = _hash(key.encode(), b"\x00", value.encode())
        leaves = [_hash(b"\x00", *(d for _, d in sorted(b.items()))) for b in self.buckets]
        self.levels: list[list[bytes]] = [leaves]  # levels[0] = leaves, levels[-1] = [root]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([_hash(b"\x01", below[i], below[i + 1]) for i in range(0, len(below), 2)])

    def leaf_of(self, key: str) -> int:
        """The top `depth` bits of the key's hash pick its leaf: a fixed range that every replica agrees on."""
        return int.from_bytes(_hash(key.encode())[:4], "big") >> (32 - self.depth)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]
# --8<-- [end:tree]


# --8<-- [start:reconcile]
def reconcile(local: MerkleTree, remote: MerkleTree) -> tuple[set[str], int]:
    """The keys whose values differ (or exist on one side only), and how many hashes `remote` sent.

    Start at the roots and descend only where hashes differ: O(k log n) hashes for k differences.
    """
    if remote.depth != local.depth:
        raise ValueError(f"remote has depth {remote.depth}, local has {local.depth}: trees must match")
    sent = 1  # the remote's root
    differing: set[str] = set()
    pending = [(len(local.levels) - 1, 0)] if local.root != remote.root else []
    while pending:
        level, index = pending.pop()
        if level == 0:  # a differing leaf: the remote sends one digest per key in its range
            mine, theirs = local.buckets[index], remote.buckets[index]
            sent += len(theirs)
            differing |= {key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key)}
            continue
        for child in (2 * index, 2 * index + 1):  # the remote sends both children's hashes
            sent += 1
            if local.levels[level - 1][child] != remote.levels[level - 1][child]:
                pending.append((level - 1, child))
    return differing, sent
# --8<-- [end:reconcile]
