"""Proves snippets/simulations/consumer_lag.py: the three claims of the consumer lag lab, on a simulated clock."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.consumer_lag import simulate

STEP = 0.1  # seconds: the simulator's default step_ms of 100


def whole(rate: float, seconds: float) -> int:
    """Whole messages that `rate` per second makes in `seconds`, as the simulator counts them."""
    return int(rate * round(seconds / STEP) * 100 // 1000)


def per_step(rate: float) -> int:
    return math.ceil(rate * STEP)


flow_controls = st.sampled_from([None, "pause", "rate_limit"])


@settings(max_examples=60)
@given(
    partitions=st.integers(1, 8),
    producer_rate=st.integers(0, 400),
    processing_time=st.sampled_from([0.001, 0.005, 0.02, 0.1, 0.5]),
    gateway_capacity=st.integers(1, 400),
    flow_control=flow_controls,
    max_in_flight=st.integers(1, 60),
    produce_for=st.integers(0, 5),
)
def test_consumers_beyond_the_partition_count_change_nothing(partitions, flow_control, **knobs):
    runs = [simulate(partitions, c, duration=8, flow_control=flow_control, **knobs) for c in (partitions, 2 * partitions)]
    assert runs[0].lag == runs[1].lag
    assert runs[0].in_flight == runs[1].in_flight[:partitions]
    assert all(series == [0] * len(series) for series in runs[1].in_flight[partitions:])  # the extras hold nothing


@settings(max_examples=60)
@given(
    partitions=st.integers(1, 8),
    extra=st.integers(0, 8),
    gateway_capacity=st.integers(1, 200),
    surplus=st.integers(1, 200),
    flow_control=st.sampled_from([None, "pause"]),
)
def test_a_slow_gateway_makes_lag_grow_at_the_difference_whatever_the_consumer_count(
    partitions, extra, gateway_capacity, surplus, flow_control
):
    producer_rate = gateway_capacity + surplus
    for consumers in {1, partitions, partitions + extra}:
        run = simulate(
            partitions,
            consumers,
            producer_rate,
            processing_time=1 / (gateway_capacity + 10),  # each consumer alone could keep the gateway busy
            gateway_capacity=gateway_capacity,
            duration=10,
            flow_control=flow_control,
            max_in_flight=2 * per_step(gateway_capacity) + 2,
        )
        expected = [whole(producer_rate, t) - whole(gateway_capacity, t) for t in run.times]
        assert run.total_lag() == expected  # producer minus gateway, at every step
        assert expected[-1] - expected[49] == surplus * 5  # from 5 s to 10 s: (rate - capacity) * 5 s


@settings(max_examples=60)
@given(
    partitions=st.integers(1, 8),
    consumers=st.integers(1, 16),
    producer_rate=st.integers(0, 500),
    processing_time=st.sampled_from([0.001, 0.005, 0.02, 0.1]),
    gateway_capacity=st.integers(1, 300),
    max_in_flight=st.integers(1, 80),
    produce_for=st.integers(0, 3),
    rate_after=st.integers(0, 1000),
)
def test_pause_resume_keeps_each_consumer_within_its_bound(partitions, consumers, max_in_flight, **knobs):
    run = simulate(partitions, consumers, duration=6, flow_control="pause", max_in_flight=max_in_flight, **knobs)
    assert max(max(series) for series in run.in_flight) <= max_in_flight


@settings(max_examples=60)
@given(
    partitions=st.integers(1, 8),
    consumers=st.integers(1, 16),
    producer_rate=st.integers(0, 500),
    gateway_capacity=st.integers(1, 300),
    max_in_flight=st.integers(1, 80),
    produce_for=st.integers(0, 3),
    rate_after=st.integers(0, 1000),  # a quiet start, then a burst, or the reverse
)
def test_a_rate_limit_at_the_gateway_capacity_keeps_the_group_within_its_bound(
    partitions, consumers, gateway_capacity, max_in_flight, **knobs
):
    run = simulate(
        partitions,
        consumers,
        processing_time=1 / (gateway_capacity + 10),  # the bound holds while the gateway, not the consumers, is the limit
        gateway_capacity=gateway_capacity,
        duration=6,
        flow_control="rate_limit",
        max_in_flight=max_in_flight,
        **knobs,
    )
    assert max(sum(held) for held in zip(*run.in_flight)) <= max_in_flight


def test_without_flow_control_in_flight_work_grows_without_bound():
    run = simulate(4, 4, 300, processing_time=0.001, gateway_capacity=100, duration=20, max_in_flight=50)
    assert sum(series[-1] for series in run.in_flight) == run.total_lag()[-1] == 4000  # all of it fetched, waiting


@settings(max_examples=60)
@given(
    partitions=st.integers(1, 8),
    consumers=st.integers(1, 16),
    gateway_capacity=st.integers(1, 200),
    surplus=st.integers(50, 200),
    rate_after=st.integers(0, 199),
    flow_control=st.sampled_from(["pause", "rate_limit"]),
)
def test_after_the_producer_slows_lag_drains_at_the_gateway_rate(
    partitions, consumers, gateway_capacity, surplus, rate_after, flow_control
):
    rate_after = min(rate_after, gateway_capacity - 1)  # stopped (0) or below the capacity
    max_in_flight = 2 * per_step(gateway_capacity) + 2
    run = simulate(
        partitions,
        consumers,
        gateway_capacity + surplus,
        processing_time=1 / (gateway_capacity + 10),
        gateway_capacity=gateway_capacity,
        duration=30,
        produce_for=10,
        rate_after=rate_after,
        flow_control=flow_control,
        max_in_flight=max_in_flight,
    )
    lag = run.total_lag()
    assert lag[99] == surplus * 10  # the backlog built in 10 s
    checked = 0
    for k in range(100, len(lag)):
        if lag[k - 1] < partitions * max_in_flight:  # near the end, too little is left to keep the gateway busy
            break
        t0, t1 = run.times[k - 1] - 10, run.times[k] - 10
        drained = whole(gateway_capacity, run.times[k]) - whole(gateway_capacity, run.times[k - 1])
        assert lag[k - 1] - lag[k] == drained - (whole(rate_after, t1) - whole(rate_after, t0))
        checked += 1
    assert checked
    if (gateway_capacity - rate_after) * 10 >= surplus * 10 + partitions * max_in_flight:  # time enough to catch up
        assert lag[-1] <= per_step(rate_after) * partitions


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("partitions", 0),
        ("consumers", 0),
        ("consumers", 1.5),
        ("producer_rate", -1),
        ("processing_time", 0),
        ("gateway_capacity", float("inf")),
        ("duration", -1),
        ("produce_for", -2),
        ("rate_after", float("nan")),
        ("flow_control", "drop"),
        ("max_in_flight", 0),
        ("step_ms", 0),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(argument, value):
    knobs = dict(partitions=2, consumers=2, producer_rate=10, processing_time=0.01, gateway_capacity=10, duration=1)
    with pytest.raises(ValueError, match=argument):
        simulate(**{**knobs, argument: value})
