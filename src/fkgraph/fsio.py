"""Writing output safely: whole files, whole folders, one writer per output folder.

`atomic_write(path)` writes a temporary sibling (`.NAME.PID.XXXX.part`), fsyncs it and renames it
over `path`, so each file is always either the previous run's or the new one's. `staged_folder`
does the same for a folder: everything is written into a fresh sibling that is swapped in at the
end (the static site, the ontology documentation).

Two builds into the same folder at once must not interleave their files. `output_lock(dir)`
takes an exclusive `fcntl.flock` on `DIR/.fkgraph-build.lock`; a second build does not wait but
refuses at once with OutputBusy ("another fkgraph build is writing to DIR (pid N)"). The kernel
drops the lock when its holder exits, however it exits (SIGKILL included), so a lock is never
stale. The file holds the holder's pid and is removed when the build ends (a killed build leaves
an empty, unlocked file behind, which the next build simply takes). A build that writes several
files stages them all first and renames them last, one after another (see api.build_to); the
lock keeps two builds from mixing their files.
"""
from __future__ import annotations

import contextlib
import gzip as _gzip
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from fkgraph.errors import BusyError

LOCK_NAME = ".fkgraph-build.lock"


class OutputBusy(BusyError):
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


# ---- whole files ---------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary sibling of `path`; on success fsync and rename it over `path`.

    The sibling is `.NAME.PID.XXXX.part`; one left behind by a writer that was killed (SIGKILL
    cannot be cleaned up after) is removed by the next write of the same file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename in (None, tmp):
            e.filename = str(path)  # a full or read-only disk is reported at the file asked for
        raise


def _sweep_stale(path: Path) -> None:
    """Remove temporary siblings of `path` whose writing process no longer exists."""
    import glob

    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except OSError:
            pass  # alive, under another user


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (see `atomic_write`)."""
    with atomic_write(path) as f:
        f.write(data)
    return Path(path)


def gzip_bytes(data: bytes) -> bytes:
    """gzip that gives the same bytes every run: no file name, mtime 0, fixed level."""
    buf = io.BytesIO()
    with _gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


# ---- whole folders -------------------------------------------------------------------------------

@contextlib.contextmanager
def staged_folder(target: str | os.PathLike, *, whole: bool = True) -> Iterator[Path]:
    """Yield a new, empty sibling of `target` to write into; swap it in on success, remove it on failure.

    With `whole` the staged folder replaces `target` (a reader sees the old folder or the new
    one); otherwise its files replace their namesakes in `target` and `target`'s other files stay."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        try:
            yield staged
        except OSError as e:
            if e.filename is None:
                e.filename = str(target)  # a write into the staged copy failed: report the folder asked for
            raise
        if whole:
            os.chmod(staged, 0o755)
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                os.replace(target, old)
            os.replace(staged, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        else:
            target.mkdir(exist_ok=True)
            for f in sorted(staged.iterdir()):
                os.replace(f, target / f.name)
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # gone already once swapped in whole
