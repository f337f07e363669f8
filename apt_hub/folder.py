"""Safe writes: files replaced whole, build folders changed as transactions, one writer at a time.

Every file apt-hub writes goes through `replacing_file` (a temporary file in the same folder, fsync, rename), and
every change to a build folder through `transaction` (a change of one file, through `one_file_change`: the file
written beside the folder, then moved in by one rename under the same lock):

1. Take the folder's lock (`.NAME.lock` beside it, `fcntl.flock`, holding the pid). The kernel drops the lock of a
   process that dies, so a killed writer never blocks the next one; a second writer stops naming the holder.
2. Repair what a killed run left: the folder itself if it was moved aside (see 4), then its staging copies.
3. Assemble the new state in a staging copy beside the folder (`.NAME.apt-staging-PID-RANDOM`). Parquet shards
   and the build's hidden measures (`MEASURES_DIR`) are hard-linked, since apt-hub never opens one for writing (a
   config is written into an emptied folder, a measures file is replaced whole or removed); every other file is
   copied, and every file apt-hub changes is written whole to a new file.
4. Make it visible in one step: `renameat2(RENAME_EXCHANGE)` swaps the staging copy and the folder atomically, so
   a reader (or `load_dataset`) sees the whole old folder or the whole new one at every instant, and a kill at any
   point leaves one of them whole. Where the exchange is not supported (not Linux, or a filesystem without it),
   the folder is renamed aside to `.NAME.apt-old-PID-RANDOM` and the staging copy renamed in its place; a kill
   between these two renames is repaired by the next run of any command that takes the lock (step 2).
5. Remove the staging path, which now holds the old state.

A leftover is recognised by its name AND by its marker, a file `<leftover>.apt-hub` written before the leftover
and holding the pid of its writer; only leftovers of dead processes are removed, so a user's file is never touched.
"""

import contextlib
import ctypes
import errno
import fcntl
import glob
import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import AptHubError, os_error_message

RECORD = "build.json"
# The per-row measures a build writes beside its shards for `stats` (hidden: never published).
MEASURES_DIR = ".measures"
MARKER_SUFFIX = ".apt-hub"
LEFTOVER = re.compile(r"\.(?P<name>.+)\.apt-(?P<kind>staging|old|tmp)-(?P<pid>\d+)-[0-9a-f]{8}")
# Test hooks: the named step kills the process (SIGKILL) or stops it (SIGSTOP) until it is continued.
KILL_AT, PAUSE_AT = "APT_HUB_KILL_AT", "APT_HUB_PAUSE_AT"
# Forces the two-rename commit, to test the repair of a kill between its renames.
NO_EXCHANGE = "APT_HUB_NO_EXCHANGE"
CHECKOUT = Path(__file__).resolve().parent.parent

_held: dict[Path, int] = {}
# The error number in the text of an error of Rust's I/O (polars) or Arrow's.
_OS_ERROR = re.compile(r"[(\[](?:os error|errno) (\d+)[)\]]", re.IGNORECASE)
# The staging copy of each transaction under way, and the folder it stages as the caller named it: an error names
# a file of the copy as the file of the folder.
_staged: dict[Path, Path] = {}


class FolderError(AptHubError):
    """An output path apt-hub refuses to write to, a locked build folder, or a damaged build record."""


def checkpoint(step: str) -> None:
    """A named step of a write: the test hooks stop or kill the process here when their variable names it."""
    if os.environ.get(KILL_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_AT) == step:
        os.kill(os.getpid(), signal.SIGSTOP)


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Name the file in an error of the file system raised while it is written.

    A full disk (`ENOSPC`) or a file past the size this process may write (`EFBIG`, `ulimit -f`) comes as an error
    without a file name (pyarrow's says "Error writing bytes to file", polars' carries the number in its text only:
    "(os error 28)"); it is raised again naming `path`, as the file of the build folder when it is one of a staging
    copy.
    """
    try:
        yield
    except OSError as error:
        found = _OS_ERROR.search(str(error))
        number = error.errno or (int(found[1]) if found else None)
        if error.filename is not None or number is None:
            raise
        raise OSError(number, os.strerror(number), str(shown(path))) from None


def shown(path: str | Path) -> Path:
    """A path as messages name it: a file of a transaction's staging copy as the file of the folder it stages."""
    path = Path(path)
    for staging, folder in _staged.items():
        if path == staging or staging in path.parents:
            return folder / path.relative_to(staging)
    return path


@contextlib.contextmanager
def replacing_file(
    path: str | Path, *, mode: str = "w", clobber: bool = True, beside: Path | None = None
) -> Iterator[IO]:
    """Write a file whole: the body writes to a temporary file beside `path`, which replaces `path` on success.

    A reader sees the old file or the new one, never half of one; a failure or a kill leaves `path` as it was (a
    killed run's temporary file is removed by the next write to the same folder).

    Args:
        path: the file to write; its folder is created.
        mode: `"w"` (text, UTF-8) or `"wb"`.
        clobber: replace an existing file; `False` refuses to, even one created while the body wrote.
        beside: write the temporary file beside this path instead, on the same file system (`one_file_change`:
            beside the build folder, which then holds not even a temporary file until the rename).

    Returns:
        A context manager giving the open temporary file.

    Raises:
        FileExistsError: `clobber` is false and `path` exists.

    Example:
        >>> with replacing_file("dist/apt/notes.txt") as file:  # doctest: +SKIP
        ...     file.write("hello")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(path.parent, of=glob.escape(path.name))
    with _marked(beside or path, "tmp") as temporary:
        encoding = None if "b" in mode else "utf-8"
        with writing(path), open(temporary, mode.replace("w", "x"), encoding=encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        checkpoint(f"write:{path.name}")
        if clobber:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the file exists, even one made meanwhile
        _fsync_dir(path.parent)


def atomic_write(path: str | Path, data: str | bytes, *, clobber: bool = True) -> Path:
    """Write `data` (text as UTF-8) to `path` whole, through `replacing_file`; returns the path."""
    with replacing_file(path, mode="wb" if isinstance(data, bytes) else "w", clobber=clobber) as file:
        file.write(data)
    return Path(path)


@contextlib.contextmanager
def _marked(beside: Path, kind: str) -> Iterator[Path]:
    """A fresh leftover path beside `beside`, with its marker written first and both removed on the way out."""
    path = beside.with_name(f".{beside.name}.apt-{kind}-{os.getpid()}-{secrets.token_hex(4)}")
    marker = _marker_of(path)
    _write_marker(marker, kind)
    try:
        yield path
    finally:
        _remove(path)
        marker.unlink(missing_ok=True)


def _write_marker(marker: Path, kind: str) -> None:
    try:
        with writing(marker):
            marker.write_text(json.dumps({"made_by": "apt-hub", "pid": os.getpid(), "kind": kind}) + "\n")
    except OSError:
        marker.unlink(missing_ok=True)  # a full disk may leave it empty: a marker nobody could read
        raise


def _marker_of(path: Path) -> Path:
    return path.with_name(path.name + MARKER_SUFFIX)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def leftovers(folder: str | Path, *, of: str = "*") -> list[Path]:
    """The leftovers of dead apt-hub processes in `folder` (only those of the file or folder named `of`, if given):
    a name of ours with a marker naming a dead pid."""
    found = []
    for marker in sorted(Path(folder).glob(f".{of}.apt-*{MARKER_SUFFIX}")):
        path = marker.with_name(marker.name.removesuffix(MARKER_SUFFIX))
        match = LEFTOVER.fullmatch(path.name)
        if match and _marker_pid(marker) == int(match["pid"]) and not _alive(int(match["pid"])):
            found.append(path)
    return found


def clean_leftovers(folder: str | Path, *, of: str = "*") -> list[Path]:
    """Remove the leftovers of dead apt-hub processes in `folder` (see `leftovers`); returns what was removed."""
    removed = leftovers(folder, of=of)
    for path in removed:
        _remove(path)
        _marker_of(path).unlink(missing_ok=True)
    return removed


def _marker_pid(marker: Path) -> int | None:
    try:
        value = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value.get("pid") if isinstance(value, dict) and value.get("made_by") == "apt-hub" else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _process_state(pid) != "Z"


def _process_state(pid: int) -> str | None:
    """The state letter of a process on Linux (`Z` for a zombie, dead but not yet reaped), else `None`."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# ---------------------------------------------------------------------------------------------- the lock


@contextlib.contextmanager
def locked(folder: str | Path) -> Iterator[None]:
    """Hold the lock of a build folder: one writer at a time (build, merge, card, stats, publish).

    The lock is `fcntl.flock` on `.NAME.lock` beside the folder, which holds the holder's pid and is removed when
    released. The kernel releases the lock when its holder dies, so the lock of a killed process is taken over (its
    file, left behind, is reused). Re-entrant within a process.

    Raises:
        FolderError: another process holds the lock (the message names its pid).
    """
    folder = _real(folder)
    if folder in _held:
        _held[folder] += 1
        try:
            yield
        finally:
            _held[folder] -= 1
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(f".{folder.name}.lock")
    handle = _take(folder, lock)
    _held[folder] = 1
    try:
        checkpoint("lock")
        yield
    finally:
        del _held[folder]
        lock.unlink(missing_ok=True)  # while still held: a waiting process then finds a new file (see _take)
        os.close(handle)


def _take(folder: Path, lock: Path) -> int:
    """Open and lock the lock file; retried when the file was removed by its previous holder meanwhile."""
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(handle)
            raise FolderError(
                f"{folder} is being written by another apt-hub process (pid {holder}, lock {lock}); "
                "wait for it to finish, then run this again."
            ) from None
        if os.path.exists(lock) and os.path.samestat(os.fstat(handle), os.stat(lock)):
            try:
                with writing(lock):
                    os.ftruncate(handle, 0)
                    os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
            except OSError:
                os.close(handle)
                raise
            return handle
        os.close(handle)


def _real(folder: str | Path) -> Path:
    """The folder's absolute path with symbolic links resolved: a linked build folder is changed where it lives."""
    return Path(os.path.realpath(folder))


# --------------------------------------------------------------------------------------- the output path


def read_record(folder: str | Path) -> dict:
    """The `build.json` of a build folder (`{"configs": {}}` when there is none).

    Raises:
        FolderError: the record is not valid JSON or not an object with `configs` (a truncated file, an edit).
    """
    path = Path(folder) / RECORD
    if not path.is_file():
        return {"configs": {}}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FolderError(
            f"{path}: damaged build record, not valid JSON ({error}); rebuild into a new folder."
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("configs"), dict):
        raise FolderError(
            f"{path}: damaged build record, expected an object with 'configs'; rebuild into a new folder."
        )
    return record


def is_build_folder(folder: str | Path) -> bool:
    """Whether `folder` is a build folder apt-hub made: a directory with its `build.json`."""
    return (Path(folder) / RECORD).is_file()


def not_a_build_folder(folder: str | Path, command: str) -> str:
    """Why `apt-hub COMMAND FOLDER` finds no build in `folder`, and what to run instead: the build folder it is
    inside, a build into it when it is missing or empty, never a build into a folder that holds other files.

    >>> not_a_build_folder("no/such/folder", "stats")
    'no/such/folder is not a build folder (no build.json): build one first: apt-hub build --build-dir no/such/folder'
    """
    outer = _build_folder_around(Path(folder))
    if outer is not None:
        flagged = {"build": f"apt-hub build --build-dir {outer}", "merge": f"apt-hub merge ... --build-dir {outer}"}
        again = flagged.get(command, f"apt-hub {command} {outer}")
        return f"{folder} is inside the build folder {outer}: {again}"
    if is_build_folder(folder):
        return f"{folder} holds no data/<config>/<split>-*.parquet: build again: apt-hub build --build-dir {folder}"
    if command == "build":
        return (
            f"{folder} is not a build folder (no {RECORD}); apt-hub replaces only folders it built: name a new or "
            "empty folder"
        )
    if os.path.isdir(folder) and any(Path(folder).iterdir()):
        return f"{folder} is not a build folder (no {RECORD}): give the folder that apt-hub build wrote"
    return f"{folder} is not a build folder (no {RECORD}): build one first: apt-hub build --build-dir {folder}"


def _build_folder_around(folder: Path) -> Path | None:
    """The nearest folder holding `folder` that is a build folder, named as `folder` is (relative or not)."""
    absolute = Path(os.path.abspath(folder))
    for parent in absolute.parents:
        if is_build_folder(parent):
            return parent if folder.is_absolute() else Path(os.path.relpath(parent))
    return None


def check_output_dir(folder: str | Path) -> None:
    """Refuse an output path apt-hub would have to replace without having made it, before any work starts.

    Refused: `.`, `..`, the current folder or one of its parents, the apt-hub checkout or one of its parents, a
    file, a folder that is neither empty nor a build folder (no `build.json`), and a build folder whose `build.json`
    is damaged. A missing path is fine.

    Raises:
        FolderError: the path is refused, with why.
    """
    real = check_replaceable(folder, "a build folder; apt-hub replaces only folders it built")
    if not os.path.lexists(real):
        return
    if is_build_folder(real):
        read_record(real)  # a damaged record stops here, before any work
    elif any(real.iterdir()):
        raise FolderError(not_a_build_folder(folder, "build"))


def check_replaceable(folder: str | Path, what: str = "a folder") -> Path:
    """Refuse a folder no transaction may replace: `.`, `..`, the current folder or one of its parents, the apt-hub
    checkout or one of its parents, and a file (`what` says what was expected instead). A missing path is fine.

    Returns:
        The folder's real path.

    Raises:
        FolderError: the path is refused, with why.
    """
    real = _real(folder)
    here = Path.cwd().resolve()
    if real == here or real in here.parents:
        raise FolderError(f"{folder}: refusing to replace the current folder or one of its parents; name another.")
    if real == CHECKOUT or (real in CHECKOUT.parents and (CHECKOUT / "pyproject.toml").is_file()):
        raise FolderError(f"{folder}: refusing to replace the apt-hub checkout or one of its parents; name another.")
    if os.path.lexists(real) and not real.is_dir():
        raise FolderError(f"{folder} is a file, not {what}.")
    return real


# ---------------------------------------------------------------------------------------- the transaction


@contextlib.contextmanager
def transaction(folder: str | Path, *, existing: bool = False, any_folder: bool = False) -> Iterator[Path]:
    """Change a build folder as one step: the body writes into a staging copy, which replaces the folder on success.

    The folder is locked for the whole transaction; a failure or a kill anywhere leaves it byte-identical, and the
    next transaction removes what a killed one left. See the module docstring for the steps.

    Args:
        folder: the build folder (created by the first transaction when missing).
        existing: the folder must already be a build folder (`card`, `stats`, `merge`).
        any_folder: the folder may be any folder (`export`'s), whatever it holds: every file of it is linked into
            the staging copy, so the body must only add files or replace them whole (`replacing_file`).

    Returns:
        A context manager giving the staging folder to write into.

    Raises:
        FolderError: the path is refused (see `check_output_dir`), is not a build folder while `existing`, or is
            locked by another process.

    Example:
        >>> with transaction("dist/apt") as staging:  # doctest: +SKIP
        ...     atomic_write(staging / "notes.txt", "hello")
    """
    target = _real(folder)
    with locked(target):
        if any_folder:
            recover(target)
            check_replaceable(folder)
        else:
            _ready(folder, target, existing=existing)
        with _marked(target, "staging") as staging:
            _staged[staging] = Path(folder)
            try:
                _stage(target, staging, any_folder=any_folder)
                checkpoint("staged")
                yield staging
                _sync_new_files(staging)
            finally:
                del _staged[staging]
            checkpoint("commit")
            _commit(staging, target)
            checkpoint("committed")


@contextlib.contextmanager
def one_file_change(folder: str | Path, name: str) -> Iterator[IO]:
    """Replace one file at the top of a build folder, under the folder's lock (`stats` writing `stats.json`).

    The body writes the whole new file to a marked temporary file beside the folder, which one rename then moves
    into it: the folder holds the whole old state or the whole new one at every instant, and a failure or a kill
    leaves it byte-identical (the next run removes the temporary file), as with a `transaction`, without the
    staging copy, whose copying, flushing and removal cost more than such a change. A change of more than one file
    takes a `transaction`.

    Args:
        folder: the build folder.
        name: the file replaced, relative to the folder.

    Returns:
        A context manager giving the open temporary file (text, UTF-8); the folder may be read meanwhile.

    Raises:
        FolderError: as `transaction(folder, existing=True)`.

    Example:
        >>> with one_file_change("dist/apt", "notes.txt") as file:  # doctest: +SKIP
        ...     file.write("hello")
    """
    target = _real(folder)
    with locked(target):
        _ready(folder, target, existing=True)
        with replacing_file(target / name, beside=target) as file:
            yield file


def _ready(folder: str | Path, target: Path, *, existing: bool) -> None:
    """Under the lock, before a change: repair what a killed run left, then refuse a path apt-hub may not change."""
    recover(target)
    check_output_dir(folder)
    if existing and not is_build_folder(target):
        raise FolderError(f"{folder} is not a build folder (no {RECORD}); run `apt-hub build` first.")


def repair(folder: str | Path) -> None:
    """Put back a build folder a killed two-rename commit left aside; every command reading a build calls this first.

    Costs one `stat` when the folder is there. Needs the lock, so that a live commit is never mistaken for a dead one.
    """
    target = _real(folder)
    if not os.path.lexists(target) and leftovers(target.parent, of=glob.escape(target.name)):
        with locked(target):
            recover(target)


def recover(target: Path) -> None:
    """Put back a build folder that a kill between the two renames of a commit left aside, then clean leftovers."""
    # Only this folder's leftovers: another folder's, set aside by its own killed commit, waits for its next run.
    of = glob.escape(target.name)
    if not os.path.lexists(target):
        olds = [path for path in leftovers(target.parent, of=of) if _kind(path) == "old"]
        if olds:
            os.replace(olds[-1], target)
            _marker_of(olds[-1]).unlink(missing_ok=True)
    clean_leftovers(target.parent, of=of)


def _kind(leftover: Path) -> str:
    """The kind of a leftover (`staging`, `old`, `tmp`), from its name."""
    match = LEFTOVER.fullmatch(leftover.name)
    return match["kind"] if match else ""


def _stage(target: Path, staging: Path, *, any_folder: bool = False) -> None:
    """A private copy of `target` in `staging`: parquet shards and measures hard-linked, every other file copied;
    for `any_folder`, every file linked and the folder's own permissions kept."""
    if target.is_dir():
        shutil.copytree(target, staging, symlinks=True, copy_function=_link if any_folder else _link_shard_or_copy)
    else:
        staging.mkdir()
    if not (any_folder and target.is_dir()):
        staging.chmod(0o755)


def _link(source: str, destination: str) -> None:
    """Every file hard-linked, where the transaction only adds files and replaces them whole (copied where no
    link can be made)."""
    try:
        os.link(source, destination)
    except OSError:
        _copy(source, destination)


def _link_shard_or_copy(source: str, destination: str) -> None:
    # Shards and measures are never opened for writing (a config is rewritten into an emptied folder, a measures
    # file through `replacing_file`, which makes a new file), so sharing them is safe, and spares `stats` and `card`
    # copying and flushing megabytes of measures; records, card and images are copied, so that not a byte of the
    # old folder can change through the staging copy.
    shard = source.endswith(".parquet") and f"{os.sep}data{os.sep}" in source
    if shard or f"{os.sep}{MEASURES_DIR}{os.sep}" in source:
        try:
            os.link(source, destination)
            return
        except OSError:
            pass
    _copy(source, destination)


def _copy(source: str, destination: str) -> None:
    try:
        shutil.copy2(source, destination)
    except OSError as error:  # copytree would go on copying the other files into a full disk, then list them all
        named = OSError(error.errno, error.strerror or str(error), str(shown(destination)))
        raise FolderError(os_error_message(named)) from None


def _sync_new_files(staging: Path) -> None:
    """Flush what the transaction wrote (files not shared with the old folder) before it becomes visible."""
    for path in staging.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_nlink == 1:
            handle = os.open(path, os.O_RDONLY)
            try:
                with writing(path):  # a disk that fills only now, as the file's blocks are allocated
                    os.fsync(handle)
            finally:
                os.close(handle)


def _commit(staging: Path, target: Path) -> None:
    """Make `staging` the folder at `target` in one step; `staging` then holds the old state (or nothing)."""
    if not os.path.lexists(target):
        os.rename(staging, target)
    elif not _exchange(staging, target):
        _rename_twice(staging, target)
    _fsync_dir(target.parent)


def _rename_twice(staging: Path, target: Path) -> None:
    """The commit where no exchange exists: the folder aside (marked, so that `recover` can put it back), then the
    staging copy in its place; the old folder ends at `staging`, for the caller to remove."""
    old = target.with_name(f".{target.name}.apt-old-{os.getpid()}-{secrets.token_hex(4)}")
    _write_marker(_marker_of(old), "old")
    os.rename(target, old)
    checkpoint("between-renames")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    else:
        os.rename(old, staging)
    finally:
        _marker_of(old).unlink(missing_ok=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux's `renameat2(RENAME_EXCHANGE)`; `False` where it is not supported."""
    if os.environ.get(NO_EXCHANGE) or not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    code = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if code == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(number, os.strerror(number), str(second))
