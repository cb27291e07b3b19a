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

Nothing here follows a symbolic link it did not make: the lock and every temporary file are
created with O_EXCL | O_NOFOLLOW, and inputs are checked to be regular files of bounded size
before a byte is read (`check_regular`, `read_regular`), so a FIFO or a link to /dev/zero in
data/ is refused at once instead of hanging or reading forever.
"""
from __future__ import annotations

import contextlib
import errno
import gzip as _gzip
import io
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from fkgraph.errors import BusyError, DataError, UsageError

LOCK_NAME = ".fkgraph-build.lock"
#: The largest data file fkgraph reads (model.yamlio.MAX_BYTES is the same bound).
RECORD_MAX_BYTES = 20 * 1024 * 1024
#: Names tests use to stop a writer at a chosen point (see `pause_at`); never set in use.
PAUSE_VARIABLE = "FKGRAPH_TEST_PAUSE_AT"


class InputError(DataError):
    """An input is not a regular file, or is larger than its reader accepts; nothing was read."""

    def __init__(self, path, message: str):
        self.path = Path(path)
        super().__init__(f"{path}: {message}")


class UnsafePath(UsageError):
    """fkgraph would have to write through a symbolic link or a special file it did not make."""


_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link"}


def _check_stat(path, st: os.stat_result, max_bytes: int) -> os.stat_result:
    if not stat.S_ISREG(st.st_mode):
        what = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise InputError(path, f"is {what}, not a regular file; fkgraph reads only regular files")
    if st.st_size > max_bytes:
        raise InputError(path, f"is {st.st_size} bytes; at most {max_bytes} bytes are read (split the file)")
    return st


def check_regular(path: str | os.PathLike, max_bytes: int) -> os.stat_result:
    """The stat of `path` (a link is followed) if it is a regular file of at most `max_bytes`;
    InputError otherwise. Reads nothing, so a FIFO, a device or a huge sparse file costs nothing."""
    return _check_stat(path, os.stat(path), max_bytes)


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (InputError otherwise).

    Opened without blocking (a FIFO swapped in after a stat cannot hang the open), checked on the
    open descriptor, and read no further than `max_bytes` + 1 even if the file grows meanwhile."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _check_stat(path, os.fstat(fd), max_bytes)
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise InputError(path, f"grew past {max_bytes} bytes while being read; at most {max_bytes} bytes are read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def pause_at(point: str) -> None:
    """For tests of kills at a chosen moment: with $FKGRAPH_TEST_PAUSE_AT == `point`, say so on
    standard error and wait to be killed."""
    if os.environ.get(PAUSE_VARIABLE) == point:
        import sys
        import time

        print(f"fkgraph: paused at {point}", file=sys.stderr, flush=True)
        time.sleep(600)


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
            fd = _open_lock(path)
            if fd is None:
                continue  # removed between our two opens: try again
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
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield path
        finally:
            try:  # while still holding the lock, so nobody else holds this inode
                if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                    os.unlink(path)
            except FileNotFoundError:
                pass  # the folder was swapped for a new one (publish): its lock went with the old one
            os.close(fd)
    finally:
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()  # only succeeds when the failed build left the folder empty


def _open_lock(path: Path) -> int | None:
    """The lock file, created exclusively, or the existing one opened without following a link;
    None if it vanished between the two. UnsafePath when it is a link or not a regular file."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafePath(f"{path}: is a symbolic link; fkgraph does not write through a link in place of its "
                             "lock file: remove it") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        what = "is not a regular file" if not stat.S_ISREG(st.st_mode) else "is a hard link to another file"
        raise UnsafePath(f"{path}: {what}; remove it so that fkgraph can take its lock there")
    return fd


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

    The sibling is `.NAME.PID.XXXX.part`, created exclusively and never through a link; one left
    behind by a writer that was killed (SIGKILL cannot be cleaned up after) is removed by the next
    write of the same file. A `path` that names a folder (or ends in /) is refused in one line."""
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        raise UsageError(f"{path}: is a folder; give the name of the file to write, e.g. {Path(path) / 'NAME'}")
    path = Path(path)
    if _is_stream(path):  # `-o /dev/stdout`, a FIFO: written to (once complete), never replaced
        binary = "b" in mode
        with tempfile.TemporaryFile("w+b" if binary else "w+", **({} if binary else {"encoding": "utf-8"})) as f:
            yield f
            f.seek(0)
            with open(path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as out:
                shutil.copyfileobj(f, out)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent, path.name)
    # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW: it never follows or reuses a planted file
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


def _is_stream(path: Path) -> bool:
    """Whether `path` is written to rather than replaced: a FIFO, or something under /dev or /proc
    named as such (`-o /dev/stdout`). A link elsewhere is replaced, whatever it points to."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or str(path.absolute()).startswith(("/dev/", "/proc/"))


def _dead(pid: str) -> bool | None:
    """Whether no process `pid` can be running (True), one may be (False), or `pid` is no pid (None).

    A number no kernel hands out (`99999999999999999999`) names a dead writer, not an error."""
    if not (pid.isascii() and pid.isdigit()):
        return None
    if len(pid) > 10 or not 0 < int(pid) < 2 ** 31:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, under another user
    return False


def sweep_stale(parent: Path, name: str) -> None:
    """Remove temporary siblings (`.NAME.PID.….part`, files or staged folders) of processes that no
    longer run; a folder set aside by a run killed mid-swap is put back if NAME is missing."""
    import glob

    try:
        strays = sorted(parent.glob(f".{glob.escape(name)}.*.part"))
    except OSError:
        return
    for tmp in strays:
        if _dead(tmp.name[len(name) + 2:].split(".", 1)[0]) is not True:
            continue
        target = parent / name
        if tmp.name.endswith(".old.part") and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(tmp, target)  # the old complete set, back where it was
            continue
        _remove(tmp)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


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
def staged_folder(target: str | os.PathLike, *, whole: bool = True, keep=None) -> Iterator[Path]:
    """Yield a new, empty sibling of `target` to write into; swap it in on success, remove it on failure.

    With `whole` the staged folder replaces `target` in one step: a reader sees the old set of
    files or the new one, never a mixture, and a kill at any moment leaves one complete set at
    `target` (see `_swap`). `keep(relpath)` names files of the current `target` that are not
    this writer's: they are carried into the new folder (hard links) before the swap. Without
    `whole`, the staged files replace their namesakes in `target` one by one and the rest stay.
    A `target` that is a symbolic link stays one: the folder it points to is replaced."""
    target = Path(os.path.realpath(target))  # a link stays: the folder it points to is replaced
    if os.path.lexists(target) and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder; give a folder to write into")
    if whole and (target == Path.cwd().resolve() or target in Path.cwd().resolve().parents):
        raise UsageError(f"{target}: holds the current folder, which replacing it would pull away; "
                         "give an output folder of its own, e.g. ./dist")
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target.parent, target.name)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent))
    try:
        try:
            yield staged
        except OSError as e:
            if e.filename is None:
                e.filename = str(target)  # a write into the staged copy failed: report the folder asked for
            raise
        if whole:
            if keep is not None and target.is_dir():
                _carry(target, staged, keep)
            os.chmod(staged, 0o755)
            pause_at("staged")
            _swap(staged, target)
            pause_at("swapped")
            if keep is not None:
                _carry(staged, target, keep, move=True)
        else:
            target.mkdir(exist_ok=True)
            for f in sorted(staged.iterdir()):
                os.replace(f, target / f.name)
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # after a swap, what `target` held before


def _swap(staged: Path, target: Path) -> None:
    """Put `staged` at `target`; `staged` then holds the old folder (or nothing), for removal.

    Where the kernel has renameat2(RENAME_EXCHANGE) (Linux ≥ 3.15 on ext4, xfs, btrfs, tmpfs…)
    both names are exchanged in one step, so `target` is never missing. Elsewhere the old folder
    is renamed aside first: a kill between the two renames leaves it aside, complete, and the
    next run puts it back (`sweep_stale`)."""
    if not os.path.lexists(target):
        os.rename(staged, target)
    elif not _exchange(staged, target):
        aside = staged.with_name(staged.name.removesuffix(".part") + ".old.part")
        os.rename(target, aside)
        pause_at("aside")
        os.rename(staged, target)
        os.rename(aside, staged)
    with contextlib.suppress(OSError):
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _carry(old: Path, new: Path, keep, move: bool = False) -> None:
    """Bring into `new` every entry of `old` that `keep(relpath)` accepts and `new` lacks: before
    the swap as hard links (files and links), after it by moving what is still missing (special
    files, files written meanwhile), so that nothing of others is lost. Temporary files and the
    build lock stay behind."""
    for folder, dirs, files in os.walk(old):
        here = Path(folder)
        for name in sorted(dirs) + sorted(files):
            src = here / name
            rel = src.relative_to(old).as_posix()
            dst = new / rel
            skip = (name.startswith(".") and name.endswith(".part")) or name == LOCK_NAME
            if skip or (src.is_dir() and not src.is_symlink() and move and not os.path.lexists(dst) and keep(rel)):
                if name in dirs:
                    dirs.remove(name)  # skipped, or moved whole below
            if skip or os.path.lexists(dst) or not keep(rel):
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if move:
                with contextlib.suppress(OSError):
                    os.rename(src, dst)
            elif src.is_symlink():
                os.symlink(os.readlink(src), dst)
            elif src.is_dir():
                dst.mkdir()
            elif src.is_file():
                try:
                    os.link(src, dst, follow_symlinks=False)
                except OSError:
                    shutil.copy2(src, dst, follow_symlinks=False)
