import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture
def lines_run():
    """lines_run(module, work): how many lines of the module's file run while work() runs, counted with a tracer."""

    def count(module: ModuleType, work) -> int:
        source, lines = Path(module.__file__).resolve(), 0

        def trace(frame, event, arg):
            nonlocal lines
            if Path(frame.f_code.co_filename).resolve() == source:
                lines += event == "line"
                return trace
            return None

        previous = sys.gettrace()  # coverage's tracer, if any: put it back afterwards
        sys.settrace(trace)
        try:
            work()
        finally:
            sys.settrace(previous)
        return lines

    return count
