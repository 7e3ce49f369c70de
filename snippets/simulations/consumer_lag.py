"""A deterministic, discrete-time simulation of consumer lag behind a shared downstream gateway (stdlib only)."""

from dataclasses import dataclass, field

FLOW_CONTROLS = (None, "pause", "rate_limit")


# --8<-- [start:simulate]
@dataclass
class Result:
    times: list[float] = field(default_factory=list)  # seconds, at the end of each step
    lag: list[list[int]] = field(default_factory=list)  # lag[p][k]: end offset minus processed, partition p, step k
    in_flight: list[list[int]] = field(default_factory=list)  # in_flight[c][k]: fetched, not yet processed

    def total_lag(self) -> list[int]:
        return [sum(column) for column in zip(*self.lag)]


def _upto(rate: float, steps: int, step_ms: int) -> int:
    """Whole events that `rate` per second produces in the first `steps` steps: no randomness, no drift."""
    return int(rate * steps * step_ms // 1000)


def _in_step(rate: float, k: int, step_ms: int) -> int:
    return _upto(rate, k + 1, step_ms) - _upto(rate, k, step_ms)


def _share(budget: int, wants: dict[int, int], start: int) -> dict[int, int]:
    """Deal `budget` out fairly (max-min) over the non-zero `wants`; leftovers go round robin from `start`."""
    got = dict.fromkeys(wants, 0)
    hungry = [key for key in wants if wants[key]]
    while budget > 0 and hungry:
        each = budget // len(hungry)
        if each == 0:
            first = start % len(hungry)
            for key in (hungry[first:] + hungry[:first])[:budget]:
                got[key] += 1
            break
        for key in hungry:
            take = min(each, wants[key] - got[key])
            got[key] += take
            budget -= take
        hungry = [key for key in hungry if got[key] < wants[key]]
    return got


def simulate(
    partitions: int,
    consumers: int,
    producer_rate: float,  # messages per second, spread round robin over the partitions
    processing_time: float,  # seconds of consumer work per message; each consumer handles one at a time
    gateway_capacity: float,  # requests per second, shared by the whole group; every message needs one
    duration: float,  # seconds to simulate
    produce_for: float | None = None,  # seconds at producer_rate; None means the whole run
    rate_after: float = 0.0,  # messages per second after produce_for
    flow_control: str | None = None,  # None, "pause" or "rate_limit"
    max_in_flight: int = 100,  # "pause": per consumer; "rate_limit": the group's token bucket burst
    step_ms: int = 100,
) -> Result:
    for name, value in (("partitions", partitions), ("consumers", consumers), ("step_ms", step_ms)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    for name, value in (("processing_time", processing_time), ("gateway_capacity", gateway_capacity)):
        if not 0 < value < float("inf"):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    for name, value in (("producer_rate", producer_rate), ("rate_after", rate_after), ("duration", duration)):
        if not 0 <= value < float("inf"):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if produce_for is not None and not 0 <= produce_for < float("inf"):
        raise ValueError(f"produce_for must be None or a number >= 0, got {produce_for!r}")
    if flow_control not in FLOW_CONTROLS:
        raise ValueError(f"flow_control must be one of {FLOW_CONTROLS}, got {flow_control!r}")
    if not isinstance(max_in_flight, int) or max_in_flight < 1:
        raise ValueError(f"max_in_flight must be a whole number >= 1, got {max_in_flight!r}")

    steps = round(duration * 1000 / step_ms)
    switch = steps if produce_for is None else min(steps, round(produce_for * 1000 / step_ms))
    owner = [p % consumers for p in range(partitions)]  # round robin; consumers >= partitions get nothing
    mine = [[p for p in range(partitions) if owner[p] == c] for c in range(consumers)]
    end, fetched, done = [0] * partitions, [0] * partitions, [0] * partitions
    paused, tokens, sent = [False] * consumers, max_in_flight, 0
    result = Result(lag=[[] for _ in range(partitions)], in_flight=[[] for _ in range(consumers)])

    def produced(k: int) -> int:  # messages written in the first k steps
        if k <= switch:
            return _upto(producer_rate, k, step_ms)
        return _upto(producer_rate, switch, step_ms) + _upto(rate_after, k - switch, step_ms)

    for k in range(steps):
        for _ in range(produced(k + 1) - produced(k)):  # 1. the producer appends, round robin
            end[sent % partitions] += 1
            sent += 1
        waiting = {p: end[p] - fetched[p] for p in range(partitions)}  # 2. consumers fetch
        if flow_control is None:
            take = waiting
        elif flow_control == "pause":
            take = {}
            for c in range(consumers):
                room = 0 if paused[c] else max_in_flight - sum(fetched[p] - done[p] for p in mine[c])
                take |= _share(room, {p: waiting[p] for p in mine[c]}, k)
        else:  # a token bucket that refills at the gateway's rate; each fetched message costs a token
            tokens = min(max_in_flight, tokens + _in_step(gateway_capacity, k, step_ms))
            take = _share(tokens, waiting, k)
            tokens -= sum(take.values())
        for p, n in take.items():
            fetched[p] += n
        cpu = _in_step(1 / processing_time, k, step_ms)
        ready = {}  # 3. each consumer works on what it holds, as far as its own speed allows
        for c in range(consumers):
            ready |= _share(cpu, {p: fetched[p] - done[p] for p in mine[c]}, k)
        gateway = _in_step(gateway_capacity, k, step_ms)
        for p, n in _share(gateway, ready, k).items():  # 4. the shared gateway lets only so many through
            done[p] += n
        result.times.append((k + 1) * step_ms / 1000)
        for p in range(partitions):
            result.lag[p].append(end[p] - done[p])
        for c in range(consumers):
            held = sum(fetched[p] - done[p] for p in mine[c])
            result.in_flight[c].append(held)
            if held >= max_in_flight:  # 5. pause at the bound, resume at half of it
                paused[c] = True
            elif held <= max_in_flight // 2:
                paused[c] = False
    return result
# --8<-- [end:simulate]


if __name__ == "__main__":
    # --8<-- [start:usage]
    run = simulate(partitions=6, consumers=12, producer_rate=300, processing_time=0.01,
                   gateway_capacity=200, duration=10, flow_control="pause", max_in_flight=50)
    print(run.total_lag()[-1], max(max(series) for series in run.in_flight))  # 1000 behind, never over 50 held
    # --8<-- [end:usage]
