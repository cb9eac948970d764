"""Atomic file operations for the published directory, its lock, and the crash-point test hook."""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from pipelines.lib.paths import published_dir

LOCK = ".publish.lock"
CRASH_ENV = "CLUSTERWATCH_PUBLISH_CRASH_AT"


class PublishError(RuntimeError):
    """The new version could not be written or verified; the previous version stays current."""


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def tmp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.tmp-{os.getpid()}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = tmp_name(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def atomic_copy(src: Path, dst: Path) -> None:
    tmp = tmp_name(dst)
    shutil.copyfile(src, tmp)
    fsync_file(tmp)
    os.replace(tmp, dst)
    fsync_dir(dst.parent)


def atomic_symlink(target: str, link: Path) -> None:
    """Point `link` at `target` (a relative path) in one step: a temp symlink renamed over it."""
    tmp = tmp_name(link)
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def link_or_copy(src: Path, dst: Path) -> None:
    """A hard link (same bytes, no copy, survives pruning of `src`), or a copy where links are impossible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC anywhere in the exception chain, whether raised by Python, DuckDB or SQLite."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc)
        if "No space left on device" in text or "database or disk is full" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


LOW_SPACE = 1 << 20  # below this, a failed write is the full disk's doing (SQLite says only "disk I/O error")


def disk_full(exc: BaseException, path: Path) -> bool:
    """ENOSPC in the exception chain, or a failure while the file system of `path` has (almost) no space left."""
    if is_disk_full(exc):
        return True
    try:
        return shutil.disk_usage(path).free < LOW_SPACE
    except OSError:
        return False


def write_error(what: str, exc: BaseException, root: Path) -> "PublishError":
    """One line for people: disk full says so; anything else names the error, never a traceback."""
    if disk_full(exc, root):
        return PublishError(f"{what}: disk full (no space left on the device of {root})")
    first = (str(exc).strip().splitlines() or [""])[0]
    return PublishError(f"{what}: {type(exc).__name__}: {first}")


def crash_point(point: str, table: str) -> None:
    """Test hook (see the package docstring): die here, like a killed process, without any cleanup."""
    want = os.environ.get(CRASH_ENV, "")
    if not want:
        return
    name, _, only = want.partition(":")
    if name == point and (not only or only == table):
        os._exit(75)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextmanager
def publication_lock(root: Path | None = None):
    """Exclusive lock on the published directory for a read-modify-write (blocks until free)."""
    root = Path(root or published_dir())
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
