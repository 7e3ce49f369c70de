"""Writes and critical reads to the primary, other reads to a replica, with read-your-writes by WAL position."""

import logging
import math
import time

import psycopg

log = logging.getLogger(__name__)


# --8<-- [start:router]
class ReadWriteRouter:
    """One client's view of a PostgreSQL primary and one hot standby.

    After this client writes, a replica read first waits until the standby has replayed the
    write's WAL position, for at most `wait_timeout` seconds; then it reads from the primary.
    A standby that cannot be reached also sends reads to the primary.
    """

    def __init__(self, primary_dsn: str, replica_dsn: str, wait_timeout: float = 0.5) -> None:
        if replica_dsn == primary_dsn:
            raise ValueError("replica_dsn must differ from primary_dsn, or every read goes to the primary")
        if not (isinstance(wait_timeout, int | float) and math.isfinite(wait_timeout) and wait_timeout > 0):
            raise ValueError(f"wait_timeout must be a positive number of seconds, got {wait_timeout!r}")
        self.wait_timeout = wait_timeout
        self.primary = psycopg.connect(primary_dsn, autocommit=True)
        self._replica_dsn = replica_dsn
        self._replica: psycopg.Connection | None = None
        self._my_last_write: str | None = None  # pg_lsn text, such as '0/3000148'

    def write(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.primary.transaction():
            cursor = self.primary.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
        self._my_last_write = self.primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        return rows

    def read(self, sql: str, params: tuple = (), critical: bool = False) -> list[tuple]:
        """`critical`: must see every committed write, by anyone, so only the primary will do."""
        replica = None if critical else self._replica_or_none()
        if replica is not None and self._replayed_my_writes(replica):
            try:
                return replica.execute(sql, params).fetchall()
            except psycopg.OperationalError as error:
                log.warning("replica lost, reading from the primary: %s", error)
                self._replica = None
        return self.primary.execute(sql, params).fetchall()
# --8<-- [end:router]

    # --8<-- [start:replica]
    def _replica_or_none(self) -> psycopg.Connection | None:
        if self._replica is None or self._replica.closed:
            try:
                self._replica = psycopg.connect(self._replica_dsn, autocommit=True, connect_timeout=1)
            except psycopg.OperationalError as error:
                log.warning("replica unreachable, reading from the primary: %s", error)
                return None
        return self._replica

    def _replayed_my_writes(self, replica: psycopg.Connection) -> bool:
        if self._my_last_write is None:
            return True  # this client wrote nothing, so any replica state is one it may see
        deadline = time.monotonic() + self.wait_timeout
        while True:
            try:
                caught_up = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (self._my_last_write,)
                ).fetchone()[0]
            except psycopg.OperationalError as error:
                log.warning("replica lost, reading from the primary: %s", error)
                self._replica = None
                return False
            if caught_up:
                return True
            if time.monotonic() >= deadline:
                log.info("replica behind after %.2fs, reading from the primary", self.wait_timeout)
                return False
            time.sleep(0.005)
    # --8<-- [end:replica]

    def close(self) -> None:
        self.primary.close()
        if self._replica is not None:
            self._replica.close()
