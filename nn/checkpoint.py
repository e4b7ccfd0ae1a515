"""Checkpoints: `save(obj, path)` / `load(path)` for models, optimizer states and nested dicts of arrays.

Format: a numpy `.npz` (zip) archive. Each array leaf is one member (`a0`,
`a1`, ...); one more member, `__checkpoint__`, is a 0-d unicode array holding JSON
metadata: a format marker, a version and the nested structure (dicts with str
or int keys, lists, tuples, and leaves that are arrays or Python None, bool,
int, float, str). Nothing is pickled, and `load` reads with `allow_pickle=False`.

`save` is atomic: it serializes everything first (an unsupported leaf fails
before the disk is touched), writes a temporary file in the target's folder,
flushes and fsyncs it, then `os.replace`s it over the target, so a crash or an
error mid-save leaves the previous checkpoint intact and no half-written file.
`load` refuses, with a `CheckpointError` saying which, a file that is not a
zip archive, that is truncated or corrupted, that carries pickled (object)
arrays, or that was not written by `save`. Before any array is read, each
member's .npy header is parsed and the size it declares is compared with the
bytes the member actually stores: a damaged header that declares 10^12 elements
is refused without trying to allocate terabytes.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_notes import Tensor

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "tinygrad_notes.checkpoint"
VERSION = 1
META_KEY = "__checkpoint__"
_ZIP_MAGIC = b"PK\x03\x04"
_ARRAY_KINDS = "biufc"  # bool, ints, floats, complex: what .npy stores without pickle
_NPY_MAGIC = b"\x93NUMPY"
_MAX_HEADER = 10_000  # bytes; numpy's own limit for a .npy header it will parse
_MAX_DEFLATE_RATIO = 1100  # deflate cannot expand data more than ~1032 times: a member claiming more lies


class CheckpointError(ValueError):
    """A file `load` refuses (not a checkpoint, truncated, corrupted, pickled) or a value `save` cannot store."""


# ---- save -----------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` to `path` atomically: a Module or anything with `state_dict()` (its state is stored),
    or a nested dict/list/tuple of arrays, Tensors, numbers, str, bool and None.

    The path is used as given (no ".npz" is appended). Tensors are stored as their
    arrays and come back from `load` as numpy arrays; numpy scalars come back as
    0-d arrays (their dtype kept).
    """
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, arrays, "obj")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays[META_KEY] = np.array(meta)
    _atomic_write(os.fspath(path), arrays)


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str) -> dict[str, Any]:
    """The JSON node for `value`; array leaves go into `arrays`. `where` names the spot for errors."""
    if callable(getattr(value, "state_dict", None)) and not isinstance(value, (Mapping, Tensor, np.ndarray)):
        value = value.state_dict()  # a Module, an optimizer: store its state
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ARRAY_KINDS:
            raise CheckpointError(f"save: {where} is an array of dtype {array.dtype}, which .npz can only store by "
                                  "pickling; store numbers (bool, int, float, complex) or convert it")
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"array": key}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise CheckpointError(f"save: {where} has a key {k!r} of type {type(k).__name__}; keys must be "
                                      "str or int")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    raise CheckpointError(f"save: {where} is a {type(value).__name__}, which a checkpoint cannot store; use arrays, "
                          "Tensors, numbers, str, bool, None, and dicts/lists/tuples of them (or an object with "
                          "state_dict())")


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive into an open binary file (a separate function so tests can make it fail midway)."""
    np.savez(file, **arrays)


def _atomic_write(path: str, arrays: dict[str, np.ndarray]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _no_folder(path, folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX; not possible everywhere)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _no_folder(path: str, folder: str) -> OSError:
    """The error for a target whose folder is missing (naming the first missing folder), or is a file."""
    if os.path.exists(folder):
        return NotADirectoryError(f"save: cannot write {path}: {folder} is not a folder")
    missing = folder
    while not os.path.exists(os.path.dirname(missing)) and os.path.dirname(missing) != missing:
        missing = os.path.dirname(missing)
    return FileNotFoundError(f"save: cannot write {path}: the folder {missing} does not exist; create it first, "
                             f"e.g. os.makedirs({folder!r}, exist_ok=True)")


def _file_mode(path: str) -> int:
    """The permissions the new file gets: the old checkpoint's, else the usual 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# ---- load -----------------------------------------------------------------------------------
def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by `save`: the nested structure back, arrays as numpy arrays."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(len(_ZIP_MAGIC))
    if head != _ZIP_MAGIC:
        raise CheckpointError(f"load: {path} is not a checkpoint: it is not an .npz (zip) archive "
                              f"(it starts with {head!r})")
    try:
        with zipfile.ZipFile(path) as zf:
            _check_member_sizes(zf, path, os.path.getsize(path))
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if META_KEY not in names:
                raise CheckpointError(f"load: {path} is an .npz archive but not a checkpoint written by nn.save "
                                      f"(no {META_KEY!r} entry; its members: {', '.join(names[:10]) or 'none'})")
            members = {name: archive[name] for name in names}
    except CheckpointError:
        raise
    except ValueError as err:
        if "pickle" in str(err):
            raise CheckpointError(f"load: {path} carries pickled (object) arrays; refusing to unpickle them, since "
                                  "unpickling can run arbitrary code. nn.save never writes them.") from None
        raise CheckpointError(f"load: {path} is corrupted ({err})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as err:
        raise CheckpointError(f"load: {path} is truncated or corrupted ({type(err).__name__}: {err})") from None
    for name, value in members.items():
        if not isinstance(value, np.ndarray):
            raise CheckpointError(f"load: {path} is corrupted: member {name!r} is not a .npy array")
    meta = _read_meta(members.pop(META_KEY), path)
    used: set[str] = set()
    root = _decode(meta["root"], members, used, path)
    if used != set(members):
        extra = sorted(set(members) - used)
        raise CheckpointError(f"load: {path} is corrupted: arrays {extra[:10]} are not described by its metadata")
    return root


def _check_member_sizes(zf: zipfile.ZipFile, path: str, file_bytes: int) -> None:
    """Refuse a member whose sizes cannot be true, before numpy allocates what its header declares.

    The zip entry's sizes must fit the file (a stored member holds as many bytes as it says; a deflated one
    cannot expand more than deflate can), and a .npy member's header must declare exactly the bytes that
    follow it: shape x itemsize == stored size - header size.
    """
    for info in zf.infolist():
        if info.compress_size > file_bytes or (info.compress_type == zipfile.ZIP_STORED
                                               and info.file_size != info.compress_size) \
                or info.file_size > info.compress_size * _MAX_DEFLATE_RATIO + 1024:
            raise CheckpointError(f"load: {path} is corrupted: member {info.filename!r} claims {info.file_size:,} "
                                  f"bytes from {info.compress_size:,} stored in a file of {file_bytes:,}")
        if not info.filename.endswith(".npy"):
            continue
        with zf.open(info) as member:
            shape, dtype, header_bytes = _npy_header(member, info.filename, path)
        if dtype.hasobject:
            continue  # refused as pickled when np.load reads it
        declared = math.prod(shape) * dtype.itemsize
        stored = info.file_size - header_bytes
        if declared != stored:
            raise CheckpointError(
                f"load: {path} is corrupted: member {info.filename!r} declares shape {shape} of {dtype} "
                f"({_size_text(declared)}) but stores {_size_text(max(stored, 0))}; refusing to allocate it")


def _npy_header(member: Any, name: str, path: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header size in bytes) of a .npy stream, read without touching its data."""
    def corrupted(why: str) -> CheckpointError:
        return CheckpointError(f"load: {path} is corrupted: member {name!r} {why}")

    head = member.read(len(_NPY_MAGIC) + 2)
    if len(head) < len(_NPY_MAGIC) + 2 or not head.startswith(_NPY_MAGIC):
        raise corrupted("is not a .npy array (no .npy magic)")
    major = head[len(_NPY_MAGIC)]
    length_bytes = 2 if major == 1 else 4
    raw_length = member.read(length_bytes)
    length = int.from_bytes(raw_length, "little")
    if len(raw_length) != length_bytes or major not in (1, 2, 3) or length > _MAX_HEADER:
        raise corrupted(f"has a .npy header this library cannot read (version {major}, {length} bytes)")
    text = member.read(length).decode("latin1" if major < 3 else "utf8", errors="replace")
    try:
        header = ast.literal_eval(text)  # a Python literal, never code
        shape, dtype = tuple(header["shape"]), np.lib.format.descr_to_dtype(header["descr"])
    except (ValueError, SyntaxError, TypeError, KeyError) as err:
        raise corrupted(f"has an unreadable .npy header ({type(err).__name__}: {err})") from None
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise corrupted(f"declares an impossible shape {shape}")
    return shape, dtype, len(head) + length_bytes + length


def _size_text(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.2f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _read_meta(array: np.ndarray, path: str) -> dict[str, Any]:
    if array.dtype.kind != "U" or array.ndim != 0:
        raise CheckpointError(f"load: {path} is corrupted: its metadata entry is not a text value")
    try:
        meta = json.loads(str(array))
    except ValueError as err:
        raise CheckpointError(f"load: {path} is corrupted: its metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "root" not in meta:
        raise CheckpointError(f"load: {path} is not a checkpoint written by nn.save (format marker missing)")
    version = meta.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(f"load: {path} has checkpoint format version {version!r}; this library reads versions "
                              f"up to {VERSION}: upgrade tinygrad_notes to read it")
    return meta


def _decode(node: Any, members: dict[str, np.ndarray], used: set[str], path: str) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"load: {path} is corrupted: unexpected metadata node {str(node)[:80]}")
    (kind, body), = node.items()
    if kind == "value" and (body is None or isinstance(body, (bool, int, float, str))):
        return body
    if kind == "array" and isinstance(body, str):
        if body not in members:
            raise CheckpointError(f"load: {path} is corrupted: array {body!r} named in its metadata is missing")
        used.add(body)
        return members[body]
    if kind in ("list", "tuple") and isinstance(body, list):
        items = [_decode(item, members, used, path) for item in body]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                raise CheckpointError(f"load: {path} is corrupted: bad dict entry {str(pair)[:80]}")
            out[pair[0]] = _decode(pair[1], members, used, path)
        return out
    raise CheckpointError(f"load: {path} is corrupted: unexpected metadata node {str(node)[:80]}")
