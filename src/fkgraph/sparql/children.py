"""Child processes that do not outlive fkgraph: the oxigraph server of `serve` and the worker of
a query with a deadline. A parent killed with SIGKILL runs no cleanup, so the kernel is asked to
kill the child when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`); elsewhere this is a no-op
and only the signal handlers of `serve` stop the child."""
from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


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


def preexec(sig: int = signal.SIGKILL):
    """A `subprocess.Popen(preexec_fn=…)` that ties the child's life to this process."""
    parent = os.getpid()

    def tie() -> None:
        die_with_parent(parent, sig)
    return tie


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
