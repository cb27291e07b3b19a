"""Child processes that do not outlive fkgraph: the oxigraph server of `serve` and the worker of
a query with a deadline. A parent killed with SIGKILL runs no cleanup, so the kernel is asked to
kill the child when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`); elsewhere this is a no-op
and only the signal handlers of `serve` stop the child.

The oxigraph server also executes SPARQL `SERVICE` clauses (it has no switch to turn them off)
and listens on a loopback port anyone on the machine, or a rebound web page, can reach. So it is
started under a seccomp filter (libseccomp through `pyseccomp`) that refuses every outgoing
connection: it can accept requests but never make one (no server-side request forgery)."""
from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_PR_SET_NO_NEW_PRIVS = 38
#: what a process needs to reach out: connections, datagrams with an address, asynchronous I/O
_OUTBOUND = ("connect", "sendmsg", "sendmmsg", "io_uring_setup")


class SandboxError(RuntimeError):
    """The filter that keeps a child from making connections cannot be installed here."""


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child just forked from `parent` (pid): be sent `sig` when the parent dies; exit at
    once if it died before this call (the request would then never fire)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            return
    if os.getppid() != parent:
        os._exit(1)


def preexec(sig: int = signal.SIGKILL, offline: bool = False):
    """A `subprocess.Popen(preexec_fn=…)` that ties the child's life to this process; with
    `offline`, the child also can never connect anywhere (`no_outbound`)."""
    parent = os.getpid()
    program = no_outbound() if offline else None

    def tie() -> None:
        die_with_parent(parent, sig)
        if program is not None and not program():
            os._exit(126)  # never run the child unfiltered
    return tie


def no_outbound():
    """A function that, called in a child, installs a seccomp filter refusing (EPERM) every
    outgoing connection and datagram, and returns True if it did. The filter is compiled here,
    in the parent, so that the child only makes two `prctl` calls between fork and exec."""
    if not sys.platform.startswith("linux"):
        raise SandboxError("refusing outgoing connections needs Linux (seccomp)")
    import ctypes
    import errno
    import tempfile

    try:
        import pyseccomp as sc

        f = sc.SyscallFilter(sc.ALLOW)
        for name in _OUTBOUND:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        f.add_rule(sc.ERRNO(errno.EPERM), "sendto", sc.Arg(4, sc.NE, 0))  # send() passes no address
        with tempfile.TemporaryFile() as out:
            f.export_bpf(out)
            out.seek(0)
            code = out.read()
    except (ImportError, OSError, RuntimeError, ValueError) as e:
        raise SandboxError(f"cannot build the seccomp filter ({type(e).__name__}: {e})") from None

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(code, len(code))
    program = Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]

    def install() -> bool:
        keep = (buffer, program)  # alive until the child execs
        return bool(keep) and prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) == 0 and \
            prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(program), 0, 0) == 0
    return install


def temporary_folder(prefix: str) -> str:
    """A new temporary folder named for this process (`PREFIX-PID-…`), after removing those of
    processes that no longer run: a parent killed with SIGKILL cannot remove its own."""
    import shutil
    import tempfile
    from pathlib import Path

    for old in Path(tempfile.gettempdir()).glob(f"{prefix}-*-*"):
        pid = old.name[len(prefix) + 1:].split("-", 1)[0]
        if pid.isdigit() and old.is_dir() and not old.is_symlink() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # someone else's, or not a pid we can ask about: leave it
    return True
