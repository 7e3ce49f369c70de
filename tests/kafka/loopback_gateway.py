"""A loopback HTTP gateway that admits a few requests at once and can stall, for the consumer tests that call it."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_POLL_MS = 7000  # librdkafka requires max.poll.interval.ms >= session.timeout.ms (6000 here)
STALL_SECONDS = MAX_POLL_MS / 1000 + 3  # the gateway hangs clearly longer than max.poll.interval.ms


class Gateway(ThreadingHTTPServer):
    """The notes' gateway that "can handle a few": at most `limit` requests at once, 503 beyond that.

    It counts the most requests it ever held at once, the 503s it sent, and the ids (request bodies)
    it accepted. stall() holds every request until release(). answers[id] scripts statuses to send
    for that id before it is accepted (e.g. [500, 502]).
    """

    daemon_threads = True

    def __init__(self, limit: int) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.limit = limit
        self.lock = threading.Condition()
        self.active = self.max_active = self.rejected = self.held = 0
        self.accepted: list[bytes] = []
        self.held_ids: list[bytes] = []
        self.scripted: list[tuple[bytes, int]] = []
        self.answers: dict[bytes, list[int]] = {}
        self.open = threading.Event()
        self.open.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/pay"

    def stall(self) -> None:
        self.open.clear()

    def release(self) -> None:
        self.open.set()

    def enter(self, body: bytes) -> int:
        with self.lock:
            if self.active >= self.limit:
                self.rejected += 1
                return 503
            if script := self.answers.get(body):
                status = script.pop(0)
                self.scripted.append((body, status))
                return status
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            return 200

    def hold(self, body: bytes) -> None:
        with self.lock:
            self.held += 1
            if not self.open.is_set():
                self.held_ids.append(body)
            self.lock.notify_all()
        self.open.wait()
        with self.lock:
            self.held -= 1

    def leave(self, body: bytes) -> None:
        with self.lock:
            self.active -= 1
            self.accepted.append(body)
            self.lock.notify_all()

    def wait_for(self, condition, timeout: float = 30.0) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: condition(self), timeout), f"gateway: condition not met in {timeout}s"


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.enter(body)
        if status == 200:
            self.server.hold(body)
            self.server.leave(body)  # before answering: the client may send its next request at once
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def running_gateway(limit: int):
    gateway = Gateway(limit)
    thread = threading.Thread(target=gateway.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.release()
        gateway.shutdown()
        gateway.server_close()
        thread.join(10)

