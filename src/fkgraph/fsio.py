"""One writer per output folder: the lock `fkgraph build` holds while it writes.

Two builds into the same folder at once must not interleave their files. `output_lock(dir)`
takes an exclusive `fcntl.flock` on `DIR/.fkgraph-build.lock`; a second build does not wait but
refuses at once with OutputBusy ("another fkgraph build is writing to DIR (pid N)"). The kernel
drops the lock when its holder exits, however it exits (SIGKILL included), so a lock is never
stale. The file holds the holder's pid and is removed when the build ends (a killed build leaves
an empty, unlocked file behind, which the next build simply takes).

Within the lock every file is written by `export.atomic_write` (a temporary sibling, fsync,
rename), so each file is always either the previous build's or the new one's. A build that
writes several files stages them all first and renames them last, one after another (see
api.build_to); the lock keeps two builds from mixing their files.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

LOCK_NAME = ".fkgraph-build.lock"


class OutputBusy(RuntimeError):
    """Another process holds the output folder's lock; nothing was written."""

    def __init__(self, directory: Path, pid: str):
        self.directory, self.pid = directory, pid
        super().__init__(f"another fkgraph build is writing to {directory} (pid {pid}); "
                         f"wait for it to finish, or build into another --output folder")


@contextlib.contextmanager
def output_lock(directory: str | os.PathLike) -> Iterator[Path]:
    """Hold the exclusive build lock of `directory` or raise OutputBusy.

    The lock file exists only while it is held, and a folder this call had to create is removed
    again if nothing was written into it: a failed build leaves no trace."""
    import fcntl

    directory = Path(directory)
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    try:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise OutputBusy(directory, holder) from None
            try:  # the holder before us may have unlinked the file after we opened it: lock the current one
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield path
        finally:
            os.unlink(path)  # while still holding the lock, so nobody else holds this inode
            os.close(fd)
    finally:
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()  # only succeeds when the failed build left the folder empty


def _holder(fd: int) -> str:
    """The pid the holder wrote (it may not have written it yet: then '?')."""
    import time

    for _ in range(20):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.01)
    return "?"
