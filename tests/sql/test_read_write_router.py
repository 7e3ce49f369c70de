"""snippets/sql/read_write_router.py on real streaming replication: a primary and a hot standby made with
pg_basebackup -R, both on loopback."""

import logging
import math

import psycopg
import pytest

from sql.read_write_router import ReadWriteRouter


def dsn(server) -> str:
    return f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres"


@pytest.fixture(scope="module")
def pair(start_postgres):
    with start_postgres() as primary, start_postgres(standby_of=primary.port) as standby:
        with psycopg.connect(dsn(primary), autocommit=True) as setup:
            setup.execute("CREATE TABLE balances (account TEXT PRIMARY KEY, cents INTEGER NOT NULL)")
        yield primary, standby


@pytest.fixture
def router(pair):
    primary, standby = pair
    router = ReadWriteRouter(dsn(primary), dsn(standby), wait_timeout=0.3)
    router.write("TRUNCATE balances")
    yield router
    router.close()


@pytest.fixture
def replay_paused(pair):
    """Stop the standby from applying WAL, as a slow replica would, and resume it afterwards."""
    _, standby = pair
    with psycopg.connect(dsn(standby), autocommit=True) as control:
        control.execute("SELECT pg_wal_replay_pause()")
        yield
        control.execute("SELECT pg_wal_replay_resume()")


def served_by_standby(router: ReadWriteRouter, **options) -> bool:
    return router.read("SELECT pg_is_in_recovery()", **options) == [(True,)]


def test_plain_reads_go_to_the_replica_and_critical_reads_to_the_primary(router):
    assert served_by_standby(router)
    assert not served_by_standby(router, critical=True)


def test_writes_go_to_the_primary_and_the_writer_then_reads_its_own_write_from_the_replica(router):
    router.write("INSERT INTO balances VALUES ('alice', 100)")
    assert router.read("SELECT cents FROM balances WHERE account = 'alice'") == [(100,)]
    assert served_by_standby(router)  # it waited for the replay, then read the standby


def test_without_waiting_a_replica_read_can_be_stale(pair, router, replay_paused):
    primary, standby = pair
    router.write("INSERT INTO balances VALUES ('bob', 250)")
    with psycopg.connect(dsn(standby)) as replica:  # what a client that skips the wait would see
        assert replica.execute("SELECT cents FROM balances WHERE account = 'bob'").fetchall() == []
    with psycopg.connect(dsn(primary)) as fresh:
        assert fresh.execute("SELECT cents FROM balances WHERE account = 'bob'").fetchall() == [(250,)]


def test_with_read_your_writes_a_lagging_replica_is_passed_over_for_the_primary(router, replay_paused, caplog):
    caplog.set_level(logging.INFO, logger="sql.read_write_router")
    router.write("INSERT INTO balances VALUES ('carol', 75)")
    assert router.read("SELECT cents FROM balances WHERE account = 'carol'") == [(75,)]
    assert not served_by_standby(router)
    assert "replica behind" in caplog.text


def test_a_client_that_wrote_nothing_reads_the_replica_even_while_it_lags(pair, replay_paused):
    primary, standby = pair
    reader = ReadWriteRouter(dsn(primary), dsn(standby), wait_timeout=0.3)
    try:
        assert served_by_standby(reader)
    finally:
        reader.close()


def test_a_stopped_replica_sends_reads_to_the_primary(start_postgres, caplog):
    with start_postgres() as primary:
        with start_postgres(standby_of=primary.port) as standby:
            router = ReadWriteRouter(dsn(primary), dsn(standby), wait_timeout=0.3)
            assert served_by_standby(router)
        caplog.set_level(logging.WARNING, logger="sql.read_write_router")
        assert router.read("SELECT 1") == [(1,)]  # the open replica connection fails: the primary answers
        assert router.read("SELECT 1") == [(1,)]  # a new connection is refused: the primary answers
        router.write("SELECT 1")
        assert router.read("SELECT 1") == [(1,)]  # after a write too
        assert "replica lost" in caplog.text and "replica unreachable" in caplog.text
        router.close()


def test_a_replica_lost_while_waiting_for_replay_sends_the_read_to_the_primary(start_postgres, caplog):
    with start_postgres() as primary:
        with start_postgres(standby_of=primary.port) as standby:
            router = ReadWriteRouter(dsn(primary), dsn(standby), wait_timeout=0.3)
            assert served_by_standby(router)  # connected while the standby ran
        router.write("SELECT 1")
        caplog.set_level(logging.WARNING, logger="sql.read_write_router")
        assert router.read("SELECT 1") == [(1,)]
        assert "replica lost" in caplog.text
        router.close()


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "1"])
def test_a_nonsense_wait_timeout_is_refused_by_name(timeout):
    with pytest.raises(ValueError, match="wait_timeout"):
        ReadWriteRouter("host=a", "host=b", wait_timeout=timeout)


def test_a_replica_dsn_equal_to_the_primary_is_refused_by_name():
    with pytest.raises(ValueError, match="replica_dsn"):
        ReadWriteRouter("host=a port=5432", "host=a port=5432")
