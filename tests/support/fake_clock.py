"""The one fake clock of the test suite: it reads `now` and moves only when a test sets it."""


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
