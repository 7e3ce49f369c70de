import os
import sys
import urllib.request
from pathlib import Path

import psycopg
import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


def http_server(port, directory):
    return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_server_answers_from_its_own_directory_and_is_gone_afterwards(start_server):
    with start_server("http", http_server) as server:
        (server.directory / "hello.txt").write_text("hi")
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/hello.txt", timeout=5) as response:
            assert response.read() == b"hi"
    assert server.process.returncode is not None
    assert not alive(server.process.pid)
    assert not server.directory.exists()


def test_server_is_stopped_and_cleaned_up_when_the_test_body_fails(start_server):
    with pytest.raises(ZeroDivisionError):
        with start_server("http", http_server) as server:
            1 / 0
    assert not alive(server.process.pid)
    assert not server.directory.exists()


def test_a_server_that_dies_at_start_up_reports_its_log(start_server):
    def crashing(port, directory):
        return [sys.executable, "-c", "import sys; print('bad flag --frobnicate'); sys.exit(3)"]

    with pytest.raises(RuntimeError, match=r"(?s)crasher exited with 3.*bad flag --frobnicate"):
        with start_server("crasher", crashing):
            pass


def test_a_server_that_never_answers_times_out_and_is_killed(start_server, tmp_path):
    pid_file = tmp_path / "pid"

    def silent(port, directory):
        return [sys.executable, "-c", f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"]

    with pytest.raises(TimeoutError, match="silent not ready"):
        with start_server("silent", silent, timeout=1):
            pass
    assert not alive(int(pid_file.read_text()))


@pytest.mark.parametrize(("ci", "expected"), [("true", pytest.ExitCode.TESTS_FAILED), ("", pytest.ExitCode.OK)])
def test_a_skipped_test_fails_the_run_only_in_ci(pytester, monkeypatch, ci, expected):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("import pytest\n\ndef test_needs_a_broker():\n    pytest.skip('no broker')\n")
    monkeypatch.setenv("CI", ci)
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == expected


def test_postgres_runs_on_loopback_from_its_own_temporary_directory(postgres_server):
    with psycopg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname="postgres") as db:
        data_directory, = db.execute("SHOW data_directory").fetchone()
        listening, = db.execute("SHOW listen_addresses").fetchone()
        version, = db.execute("SHOW server_version_num").fetchone()
    assert Path(data_directory).parent == postgres_server.directory
    assert listening == "127.0.0.1"
    assert int(version) >= 150000
