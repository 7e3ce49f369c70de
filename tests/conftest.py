"""Shared test machinery: real servers on free loopback ports, and no silent skips in CI."""

import contextlib
import importlib.resources
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import psycopg
import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from hypothesis import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

SNIPPETS = Path(__file__).parents[1] / "snippets"

pytest_plugins = ["pytester"]


# The longest modules, each a single Chromium session, go first: `--dist loadfile` hands out modules in
# collection order, and tests/site comes last alphabetically, so they would otherwise finish the run alone.
LONGEST_FIRST = ("test_every_page.py", "test_every_page_second_half.py", "test_copy_buttons.py", "test_search.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return LONGEST_FIRST.index(item.path.name) if item.path.name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


# Tests prove behaviour, never speed: a busy machine must not fail a property test by its running time.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")


@dataclass(frozen=True)
class Server:
    port: int
    directory: Path
    process: subprocess.Popen


@contextlib.contextmanager
def running_server(
    name: str,
    command: Callable[[int, Path], list[str]],
    ready: Callable[[int], bool] = accepts_connections,
    timeout: float = 30.0,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Iterator[Server]:
    """Start `command(port, directory)` on a free loopback port in a fresh temporary directory.

    Waits until `ready(port)` is true, yields the server, then stops its whole process group and
    removes the directory, also when the test body fails. Start-up failures raise with the log.
    """
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        directory = Path(tmp)
        port = free_port()
        log_path = directory / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command(port, directory),
                cwd=directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + timeout
            while not ready(port):
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready on port {port} after {timeout}s:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.02)
            yield Server(port, directory, process)
        finally:
            _stop(process, stop_signal)


def _stop(process: subprocess.Popen, first: signal.Signals) -> None:
    for sig, grace in ((first, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def npm_install(package_dir: Path, workspace: Path) -> Path:
    """Install package_dir's package.json and package-lock.json into workspace with `npm ci`: workspace/node_modules.

    Pinned exact versions, --ignore-scripts (no package used here needs an install script). Needs node, npm, and the
    npm registry or a warm npm cache; raises RuntimeError naming what is missing or what npm said.
    """
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not found: install the Debian packages nodejs and npm")
    workspace.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(package_dir / name, workspace / name)
    installed = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=workspace,
                               capture_output=True, text=True, timeout=600)
    if installed.returncode != 0:
        raise RuntimeError(f"npm ci could not install {package_dir}/package-lock.json:\n{installed.stderr[-2000:]}")
    return workspace / "node_modules"


@pytest.fixture(scope="session")
def npm_ci():
    """`npm_install` for tests: e.g. `npm_ci(package_dir, tmp_path_factory.mktemp("npm"))`."""
    return npm_install


@pytest.fixture(scope="session")
def start_server():
    """`running_server` for tests; fixtures for Redis, PostgreSQL, nginx and Kafka build on it."""
    return running_server


@pytest.fixture(scope="session")
def run_snippet():
    """Run a snippet file as a program, the way the page's "Output" tab says, and return its stdout."""

    def run(path: Path) -> str:
        module = ".".join(path.relative_to(SNIPPETS).with_suffix("").parts)
        env = {**os.environ, "PYTHONPATH": str(SNIPPETS)}
        done = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True, env=env, check=True)
        return done.stdout

    return run


def redis_command(*flags: str, directory: Path | None = None) -> Callable[[int, Path], list[str]]:
    """The command line for a throwaway redis-server; `directory`, if given, survives restarts."""

    def command(port: int, scratch: Path) -> list[str]:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        where = str(directory or scratch)
        return [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", where, "--save", "", "--appendonly", "no", *flags]

    return command


def redis_answers(port: int) -> bool:
    # no retries: redis-py's default retry would sleep in backoff on every refused probe
    probe = redis.Redis(port=port, socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
    with contextlib.suppress(redis.ConnectionError, redis.ResponseError):
        return probe.ping()
    return False


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis on a free loopback port for the whole session; tests flush what they use."""
    with running_server("redis", redis_command(), ready=redis_answers) as server:
        yield server


@pytest.fixture(scope="session")
def start_redis():
    """`start_redis(*flags, directory=None)`: a Redis of the test's own, to stop, freeze or restart."""

    def start(*flags: str, directory: Path | None = None):
        return running_server("redis-private", redis_command(*flags, directory=directory), ready=redis_answers)

    return start


@pytest.fixture
def redis_client(redis_server):
    client = redis.Redis(port=redis_server.port, decode_responses=True)
    client.flushall()
    yield client
    client.close()


def kafka_command(port: int, directory: Path) -> list[str]:
    """noida-db's Kafka service alone: the binary itself, since stopping its wrapper script leaves it running."""
    binary = importlib.resources.files("noida_db") / "noida-db"
    return [str(binary), "start", "--only", "kafka", "--host", "127.0.0.1", "--kafka-port", str(port), "--data-dir", str(directory)]


def kafka_answers(bootstrap: str) -> bool:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    with contextlib.suppress(KafkaException):
        return bool(admin.list_topics(timeout=1).brokers)
    return False


def wait_for_kafka(bootstrap: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not kafka_answers(bootstrap):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no Kafka broker answers at KAFKA_BOOTSTRAP_SERVERS={bootstrap} after {timeout}s")
        time.sleep(0.5)
    return bootstrap


@contextlib.contextmanager
def kafka_broker() -> Iterator[str]:
    """bootstrap.servers: the user's KAFKA_BOOTSTRAP_SERVERS, or a noida-db broker started here."""
    if configured := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield wait_for_kafka(configured)  # a container started a moment ago needs a few seconds
        return
    with running_server("kafka", kafka_command, ready=lambda port: kafka_answers(f"127.0.0.1:{port}")) as server:
        yield f"127.0.0.1:{server.port}"


@pytest.fixture(scope="session")
def kafka_bootstrap():
    with kafka_broker() as bootstrap:
        yield bootstrap


FAST_SHUTDOWN = signal.SIGINT  # PostgreSQL's "fast" mode: disconnect clients and stop, instead of waiting for them


def postgres_binaries() -> Path:
    installed = list(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not installed:
        raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql: install the Debian package postgresql")
    return max(installed, key=lambda path: int(path.parents[1].name)).parent


def as_postgres_user(directory: Path, script: str) -> list[str]:
    """Run a shell script as nobody when run as root, because PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return ["sh", "-c", script]
    shutil.chown(directory, "nobody", "nogroup")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", script]


def serve(binaries: Path, port: int, directory: Path, durable: bool = False) -> str:
    """The postgres command line; pg_stat_statements is preloaded, since it needs shared memory at start.
    Tests run with fsync off, for speed; `durable` keeps PostgreSQL's default, fsync on."""
    return (f"exec {binaries}/postgres -D {directory / 'data'} -p {port} -k {directory} -c listen_addresses=127.0.0.1"
            f" -c fsync={'on' if durable else 'off'} -c shared_preload_libraries=pg_stat_statements")


def postgres_command(port: int, directory: Path, durable: bool = False) -> list[str]:
    """initdb in `directory`, then PostgreSQL in the foreground on loopback."""
    binaries = postgres_binaries()
    initdb = f"{binaries}/initdb -D {directory / 'data'} -U postgres --auth=trust -E UTF8 --no-sync >/dev/null"
    return as_postgres_user(directory, f"{initdb} && {serve(binaries, port, directory, durable)}")


def standby_command(primary_port: int) -> Callable[[int, Path], list[str]]:
    """A hot standby of the primary on `primary_port`: pg_basebackup -R, then streaming replication."""

    def command(port: int, directory: Path) -> list[str]:
        binaries = postgres_binaries()
        backup = (f"{binaries}/pg_basebackup -h 127.0.0.1 -p {primary_port} -U postgres -D {directory / 'data'} "
                  "-R -X stream --no-sync --checkpoint=fast")
        return as_postgres_user(directory, f"{backup} && {serve(binaries, port, directory)}")

    return command


def postgres_answers(port: int) -> bool:
    with contextlib.suppress(psycopg.OperationalError):
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=1):
            return True
    return False


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on a free loopback port for the whole session, user postgres, no password."""
    with running_server("postgres", postgres_command, ready=postgres_answers, timeout=60, stop_signal=FAST_SHUTDOWN) as server:
        yield server


@pytest.fixture(scope="session")
def start_postgres():
    """start_postgres() or start_postgres(standby_of=port): a PostgreSQL of the test's own, to stop or lag."""

    def start(standby_of: int | None = None):
        command = postgres_command if standby_of is None else standby_command(standby_of)
        return running_server("postgres", command, ready=postgres_answers, timeout=60, stop_signal=FAST_SHUTDOWN)

    return start
