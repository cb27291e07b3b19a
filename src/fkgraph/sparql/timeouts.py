"""Stop a slow embedded query at a deadline.

pyoxigraph has no query timeout, and a Python thread cannot be stopped from outside, so a query
with a deadline runs in a forked child process: the child inherits the in-memory store (copy on
write, nothing is serialised), evaluates the query and sends the rows back through a pipe; the
parent waits at most `timeout` seconds and otherwise kills the child (SIGKILL) and raises
QueryTimeout. Without a timeout nothing of this happens: the query runs in the calling process.

The fork, the pipe and the pickled rows cost a little on every query, so this is only used when
a timeout is asked for. Needs `fork`
(Linux, macOS); elsewhere the query runs in-process and the timeout cannot be enforced.
"""
from __future__ import annotations

import os
import pickle
import time
from typing import Any, Callable

from fkgraph.errors import BusyError


class QueryTimeout(BusyError, TimeoutError):
    """The query ran longer than its timeout and was stopped; nothing was returned."""

    def __init__(self, what: str, seconds: float):
        self.what, self.seconds = what, seconds
        super().__init__(f"{what} did not finish within {seconds:g} s and was stopped; give it more time "
                         f"with --timeout, or narrow it with parameters")


def _child(conn, parent, fn, args, kwargs) -> None:
    from fkgraph.sparql.children import die_with_parent

    die_with_parent(parent)  # a killed `fkgraph query` must not leave its worker running
    try:
        result = ("ok", fn(*args, **kwargs))
    except BaseException as e:  # sent to the parent, which re-raises it
        result = ("error", e)
    try:
        conn.send_bytes(pickle.dumps(result))
    except Exception as e:  # an unpicklable result or exception: say what it was
        conn.send_bytes(pickle.dumps(("error", RuntimeError(f"{type(e).__name__}: {e}"))))
    finally:
        conn.close()
        os._exit(0)  # skip atexit handlers and buffered output inherited from the parent


def available() -> bool:
    import multiprocessing  # only a query with a deadline pays for it

    return "fork" in multiprocessing.get_all_start_methods()


def call(fn: Callable[..., Any], *args, timeout: float | None = None, what: str = "the query", **kwargs) -> Any:
    """`fn(*args, **kwargs)`, stopped after `timeout` seconds (QueryTimeout). No timeout: a plain call."""
    if timeout is None or not available():
        return fn(*args, **kwargs)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, os.getpid(), fn, args, kwargs), daemon=True)
    proc.start()
    send.close()
    deadline = time.monotonic() + timeout
    try:
        # poll() returns as soon as the child sends or dies (EOF), so a crash is not a timeout.
        if not receive.poll(max(0.0, deadline - time.monotonic())):
            raise QueryTimeout(what, timeout)
        try:
            status, value = pickle.loads(receive.recv_bytes())
        except EOFError:
            raise RuntimeError(f"{what} stopped without an answer (the worker process exited "
                               f"with status {proc.exitcode})") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    if status == "error":
        raise value
    return value
