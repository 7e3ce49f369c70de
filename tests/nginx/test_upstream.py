"""snippets/nginx/upstream.conf on Debian's nginx, in front of small Python backends on loopback.

The test changes only the listen port and the three server addresses. nginx runs two worker
processes, so the exact counts below also show that `zone` makes them share one state.
"""

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SNIPPET = Path(__file__).parents[2] / "snippets" / "nginx" / "upstream.conf"
ADDRESSES = ["10.0.0.11:8080", "10.0.0.12:8080", "10.0.0.13:8080"]


class Backend:
    """An HTTP/1.1 server that answers with its name and remembers what reached it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.forwarded_for: list[str | None] = []
        self.connections: set[tuple[str, int]] = set()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open unless told otherwise

            def do_GET(self) -> None:
                backend.forwarded_for.append(self.headers.get("X-Forwarded-For"))
                backend.connections.add(self.client_address)
                body = backend.name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                if self.close_connection:  # an HTTP/1.0 request, or "Connection: close"
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def requests(self) -> int:
        return len(self.forwarded_for)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def backends():
    started = [Backend(name) for name in ("app1", "app2", "app3")]
    yield started
    for backend in started:
        backend.stop()


@pytest.fixture
def balancer(nginx_server, replace_in_config):
    """Start nginx with the snippet, edited by `changes`, in front of `backends`."""

    def start(backends: list[Backend], changes: dict[str, str] | None = None):
        def site(port: int, directory: Path) -> str:
            edits = {"listen 8080;": f"listen 127.0.0.1:{port};", **(changes or {})}
            edits |= {old: f"127.0.0.1:{b.port}" for old, b in zip(ADDRESSES, backends)}
            return replace_in_config(SNIPPET.read_text(), edits)

        return nginx_server(site)

    return start


def get(port: int) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def served(port: int, n: int) -> list[str]:
    replies = [get(port) for _ in range(n)]
    assert all(status == 200 for status, _ in replies), replies
    return [body for _, body in replies]


def test_nginx_t_accepts_the_snippet(backends, balancer):
    with balancer(backends) as nginx:
        assert "syntax is ok" in nginx.checked and "test is successful" in nginx.checked


def test_weights_3_to_1_hold_exactly_over_every_cycle_of_4(backends, balancer):
    with balancer(backends) as nginx:
        # Smooth weighted round robin interleaves instead of sending 3 in a row.
        assert served(nginx.port, 8) == ["app1", "app1", "app2", "app1"] * 2
    assert backends[2].requests == 0  # the backup is not used while the others are up
    assert set(backends[0].forwarded_for) == {"127.0.0.1"}  # the client's address reaches the app


def test_keepalive_reuses_connections_only_with_http_1_1_and_no_connection_header(backends, balancer):
    with balancer(backends) as nginx:
        served(nginx.port, 12)
    app1 = backends[0]
    assert app1.requests == 9
    assert len(app1.connections) <= 2  # at most one idle connection per worker process was needed

    for backend in backends:
        backend.connections.clear()
        backend.forwarded_for.clear()
    without = {'proxy_http_version 1.1;': "", 'proxy_set_header Connection "";': ""}
    with balancer(backends, without) as nginx:
        served(nginx.port, 12)
    assert app1.requests == 9
    assert len(app1.connections) == 9  # HTTP/1.0 and "Connection: close": a new connection per request


def test_a_down_server_is_taken_out_after_max_fails_and_clients_see_no_error(backends, balancer):
    app1, app2, _ = backends
    app2.stop()  # its port now refuses connections
    with balancer(backends) as nginx:
        assert served(nginx.port, 16) == ["app1"] * 16  # each failed attempt was retried on app1
        log = nginx.error_log()
    refused = re.findall(rf"connect\(\) failed \(111: Connection refused\).*upstream: \"http://127\.0\.0\.1:{app2.port}/", log)
    assert len(refused) == 2  # max_fails=2, counted once for both workers thanks to `zone`
    assert len(re.findall(r"upstream server temporarily disabled", log)) == 1


def test_the_backup_serves_only_when_every_primary_server_is_out(backends, balancer):
    app1, app2, app3 = backends
    app1.stop()
    app2.stop()
    with balancer(backends) as nginx:
        assert served(nginx.port, 4) == ["app3"] * 4
