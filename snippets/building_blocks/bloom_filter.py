"""A Bloom filter sized from the expected number of items and a target false-positive rate."""

# --8<-- [start:filter]
import hashlib
import math


class BloomFilter:
    """m bits and k hash positions per item: "definitely not added" or "probably added".

    m = -n ln p / (ln 2)^2 and k = (m / n) ln 2, for n expected items and false-positive rate p.
    """

    def __init__(self, expected_items: int, false_positive_rate: float) -> None:
        if isinstance(expected_items, bool) or not isinstance(expected_items, int) or expected_items <= 0:
            raise ValueError(f"expected_items must be a positive integer, got {expected_items!r}")
        if not isinstance(false_positive_rate, (int, float)) or not 0 < false_positive_rate < 1:
            raise ValueError(f"false_positive_rate must be between 0 and 1, exclusive, got {false_positive_rate!r}")
        n, p = expected_items, false_positive_rate
        self.size_bits = math.ceil(-n * math.log(p) / math.log(2) ** 2)  # m
        self.hash_count = max(1, round(self.size_bits / n * math.log(2)))  # k
        self._bits = bytearray((self.size_bits + 7) // 8)

    @classmethod
    def with_size(cls, size_bits: int, hash_count: int) -> "BloomFilter":
        """A filter with exactly m = size_bits and k = hash_count, to try other m and k than the formulas give."""
        for name, value in (("size_bits", size_bits), ("hash_count", hash_count)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        bloom = cls.__new__(cls)
        bloom.size_bits, bloom.hash_count = size_bits, hash_count
        bloom._bits = bytearray((size_bits + 7) // 8)
        return bloom

    def _positions(self, item: str) -> list[int]:
        """Double hashing: k positions h1 + i*h2 from one 128-bit digest."""
        digest = hashlib.blake2b(item.encode(), digest_size=16).digest()
        h1 = int.from_bytes(digest[:8], "big")
        h2 = int.from_bytes(digest[8:], "big") | 1  # odd, so the k positions do not collapse
        return [(h1 + i * h2) % self.size_bits for i in range(self.hash_count)]

    def add(self, item: str) -> None:
        for position in self._positions(item):
            self._bits[position // 8] |= 1 << (position % 8)

    def __contains__(self, item: str) -> bool:
        return all(self._bits[position // 8] & (1 << (position % 8)) for position in self._positions(item))

    def expected_false_positive_rate(self, items_added: int) -> float:
        """(1 - e^(-kn/m))^k for this filter's real m and k after n items."""
        k, m = self.hash_count, self.size_bits
        return (1 - math.exp(-k * items_added / m)) ** k
# --8<-- [end:filter]
