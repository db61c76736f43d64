"""Reading a `.keras` archive safely: zip checks, a strict config allow-list, no Keras, nothing run.

A `.keras` file is a zip holding `metadata.json`, `config.json` and `model.weights.h5`. Keras's
own loader has had a long line of code-injection and resource-exhaustion bugs, so this module
reads the archive itself: member names, sizes and compression ratios are checked before any
byte is inflated, and `config.json` is parsed against an allow-list of Keras's own Sequential
model and the catalog's layers (a Functional model's graph is read by `keras_functional`). The result is a `ModelSpec` that keeps the file's layer names
and compile settings. Neither Keras nor TensorFlow is imported, and nothing from the file runs.
"""

from __future__ import annotations

import io
import json
import math
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from nnstudio.core.catalog import LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.compile_options import (
    IGNORED_LOSS_KEYS,
    IGNORED_OPTIMIZER_KEYS,
    OPTIMIZER_CLASSES,
    Options,
    freeze,
    is_default,
    loss_defaults,
    optimizer_defaults,
)
from nnstudio.core.file_values import (
    MAX_METRICS,
    as_float_where_keras_expects_one,
    is_finite_number,
    metrics_problem,
    name_problem,
    shown,
    value_problem,
)
from nnstudio.core.json_depth import json_shape
from nnstudio.core.layers.base import LayerType
from nnstudio.core.layers.config_values import UNSUPPORTED_ENDINGS, is_float32, is_plain, is_true
from nnstudio.core.layers.naming import to_snake_case
from nnstudio.core.layers.registry import all_types, by_config_class, known_classes_hint
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec
from nnstudio.core.summary import Summary, analyze
from nnstudio.core.text_safety import terminal_text
from nnstudio.core.zip_precheck import ZipDirectoryError, directory_size

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
WEIGHTS_MEMBER = "model.weights.h5"
ASSETS_PREFIX = "assets/"

MAX_ARCHIVE_BYTES = 4 * 1024**3
MAX_MEMBERS = 64
MAX_DIRECTORY_BYTES = 64 * 1024  # 64 members with long names and extra fields fit several times
MAX_CONFIG_BYTES = 8 * 1024**2
MAX_METADATA_BYTES = 64 * 1024
MAX_WEIGHTS_BYTES = 2 * 1024**3
MAX_LAYERS = 10_000
MAX_ASSETS_BYTES = 16 * 1024**2
MAX_COMPRESSION_RATIO = 200  # applies to members larger than RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024**2
MAX_JSON_DEPTH = 32
MAX_JSON_CONTAINERS = 250_000  # 10,000 layers of Keras's config need at most about 180,000
MAX_NAME_CHARS = 256

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
TENSOR_CLASS = "__keras_tensor__"  # Keras's plain-data reference to a layer's output in inbound_nodes

_OPTIMIZER_CLASSES = {keras_class: snake for snake, keras_class in OPTIMIZER_CLASSES.items()}
_LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
}
_METRIC_ALIASES = {**_LOSS_ALIASES, "acc": "accuracy", "rmse": "root_mean_squared_error"}
_REFUSED_CLASSES = {
    "Lambda": "Lambda layers carry Python code and are refused",
    "TFSMLayer": "TFSMLayer loads and runs a TensorFlow SavedModel and is refused",
    "function": "function objects name code to call and are refused",
}


class ArchiveError(ValueError):
    """A `.keras` file nnstudio refuses to read; `where` names the file and the part at fault."""

    def __init__(self, message: str, where: Any = "") -> None:
        message, where = _printable(message), _printable(str(where))
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message


def _printable(text: str, limit: int = 600) -> str:
    """`text` with line breaks and other control characters escaped (`\\x1b`) and cut to `limit`
    characters, so a message stays one harmless line."""
    return terminal_text(text, limit)


# -- the zip container -----------------------------------------------------------------------


def _short(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, safe for a one-line message."""
    return shown(value, limit)


def first_line(error: BaseException) -> str:
    """The first line of an exception's text, cut to 120 characters."""
    lines = str(error).splitlines()
    return (lines[0] if lines else type(error).__name__)[:120]


def _check_member_name(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse absolute paths, `..`, links and anything but the members Keras writes."""
    name = info.filename
    if not name or len(name) > MAX_NAME_CHARS or any(ord(ch) < 32 for ch in name):
        raise ArchiveError(f"archive member with an unusable name {_short(name)}", where)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"archive member {_short(name)} has an absolute path", where)
    if ".." in re.split(r"[/\\]", name):
        raise ArchiveError(f"archive member {_short(name)} climbs out of the archive with '..'", where)
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        raise ArchiveError(f"archive member {_short(name)} is a symbolic link", where)
    if name in (CONFIG_MEMBER, METADATA_MEMBER, WEIGHTS_MEMBER):
        return
    if name.startswith(ASSETS_PREFIX) and "\\" not in name:
        return
    raise ArchiveError(f"unexpected archive member {_short(name)}; a .keras file holds only what Keras writes", where)


def _check_member_size(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse encrypted or oddly compressed members, and sizes or ratios over the caps, from the header."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise ArchiveError(f"archive member {name!r} is encrypted", where)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ArchiveError(f"archive member {name!r} uses an unsupported compression method", where)
    cap = _size_cap(name)
    if info.file_size > cap:
        raise ArchiveError(f"archive member {name!r} is {info.file_size:,} bytes; the limit is {cap:,}", where)
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise ArchiveError(
            f"archive member {name!r} would inflate {ratio:,.0f} times (limit {MAX_COMPRESSION_RATIO}); "
            "this looks like a zip bomb",
            where,
        )


def _size_cap(name: str) -> int:
    """The most bytes member `name` may inflate to."""
    if name == CONFIG_MEMBER:
        return MAX_CONFIG_BYTES
    if name == METADATA_MEMBER:
        return MAX_METADATA_BYTES
    if name == WEIGHTS_MEMBER:
        return MAX_WEIGHTS_BYTES
    return MAX_ASSETS_BYTES


@contextmanager
def open_archive(path: str | Path) -> Iterator[zipfile.ZipFile]:
    """Open `path` as a `.keras` zip after checking every member's name, size and compression."""
    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ArchiveError("not a file", where)
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ArchiveError(f"cannot read file: {exc.strerror or exc}", where) from None
    if size > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"the file is {size:,} bytes; the limit is {MAX_ARCHIVE_BYTES:,}", where)
    if head.startswith(HDF5_MAGIC):
        raise ArchiveError("an HDF5 file, not a .keras archive (legacy .h5 models are not supported)", where)
    if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        raise ArchiveError("not a .keras file: it is not a zip archive", where)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read file: {exc.strerror or exc}", where) from None
    with handle:
        _check_directory_size(handle, size, where)  # before zipfile parses the whole directory
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, struct.error) as exc:
            raise ArchiveError(f"truncated or damaged zip archive: {first_line(exc)}", where) from None
        with archive:
            yield _checked_members(archive, where)


def _check_directory_size(handle: IO[bytes], size: int, where: str) -> None:
    """Refuse, from the zip's end records alone, a central directory with more than MAX_MEMBERS
    entries or more than MAX_DIRECTORY_BYTES bytes."""
    try:
        entries, directory = directory_size(handle, size)
    except ZipDirectoryError as exc:
        raise ArchiveError(f"truncated or damaged zip archive: {exc}", where) from None
    except (OSError, struct.error) as exc:
        raise ArchiveError(f"cannot read file: {first_line(exc)}", where) from None
    if entries > MAX_MEMBERS:
        raise ArchiveError(f"the archive holds {entries:,} members; the limit is {MAX_MEMBERS}", where)
    if directory > MAX_DIRECTORY_BYTES:
        raise ArchiveError(
            f"the archive's directory takes {directory:,} bytes; the limit is {MAX_DIRECTORY_BYTES:,}", where
        )
    handle.seek(0)


def _checked_members(archive: zipfile.ZipFile, where: str) -> zipfile.ZipFile:
    """`archive` after every member's name, size and compression passed the checks."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"the archive holds {len(infos):,} members; the limit is {MAX_MEMBERS}", where)
    seen: set[str] = set()
    assets = 0
    for info in infos:
        _check_member_name(info, where)
        if info.filename in seen:
            raise ArchiveError(f"archive member {_short(info.filename)} appears twice", where)
        seen.add(info.filename)
        _check_member_size(info, where)
        if info.filename.startswith(ASSETS_PREFIX):
            assets += info.file_size
    if assets > MAX_ASSETS_BYTES:
        raise ArchiveError(f"the assets take {assets:,} bytes; the limit is {MAX_ASSETS_BYTES:,}", where)
    return archive


def copy_member(archive: zipfile.ZipFile, name: str, out: IO[bytes], where: str) -> int:
    """Inflate member `name` into `out`, never past its cap, whatever its header claims; returns bytes."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ArchiveError(f"the archive has no {name}", where) from None
    cap = _size_cap(name)
    written = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(1024 * 1024):
                written += len(chunk)
                if written > cap or written > info.file_size:
                    raise ArchiveError(f"archive member {name!r} inflates past its declared size", where)
                out.write(chunk)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"truncated or damaged zip archive: {first_line(exc)}", f"{where}: {name}") from None
    if written != info.file_size:
        raise ArchiveError(f"archive member {name!r} is shorter than its header says", where)
    return written


class StoredMember(io.RawIOBase):
    """A member stored uncompressed, read in place: a read-only, seekable window of the archive file
    that ends where the member ends."""

    def __init__(self, handle: io.BufferedReader, start: int, size: int) -> None:
        super().__init__()
        self._handle, self._start, self._size, self._position = handle, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = max(0, min(len(buffer), self._size - self._position))
        if not wanted:
            return 0
        self._handle.seek(self._start + self._position)
        got = self._handle.readinto(memoryview(buffer)[:wanted]) or 0
        self._position += got
        return got


def _stored_start(handle: IO[bytes], info: zipfile.ZipInfo, size: int) -> int | None:
    """Where the data of `info` starts in the archive, when it is stored uncompressed, unencrypted,
    and its local header agrees with the directory and the data lies inside the file; else None."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or info.compress_size != info.file_size:
        return None
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != ZIP_MAGIC:
        return None
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    if handle.read(name_length) != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437"):
        return None
    start = info.header_offset + 30 + name_length + extra_length
    return start if start + info.file_size <= size else None


@contextmanager
def member_file(
    path: str | Path, archive: zipfile.ZipFile, name: str, where: str, check_crc: bool = True
) -> Iterator[IO[bytes]]:
    """Member `name` of the checked `archive` (opened from `path`) as a seekable, read-only file.

    A member stored uncompressed (what Keras writes) is read in place, once its CRC-32 is found
    right (unless not `check_crc`: only its structure is to be read); any other is inflated by
    `copy_member` (its caps and checks) into a temporary file."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ArchiveError(f"the archive has no {name}", where) from None
    try:
        handle = Path(path).open("rb")  # noqa: SIM115  (closed by the `with handle` below)
    except OSError as exc:
        raise ArchiveError(f"cannot read file: {exc.strerror or exc}", where) from None
    with handle:
        try:
            start = _stored_start(handle, info, Path(path).stat().st_size)
            if start is not None and check_crc:
                _check_stored_crc(handle, start, info, where)
        except (OSError, struct.error, UnicodeEncodeError) as exc:
            raise ArchiveError(f"truncated or damaged zip archive: {first_line(exc)}", f"{where}: {name}") from None
        if start is not None:
            yield io.BufferedReader(StoredMember(handle, start, info.file_size))
            return
    with tempfile.TemporaryFile(prefix="nnstudio-member-") as copy:
        copy_member(archive, name, copy, where)
        copy.seek(0)
        yield copy


def _check_stored_crc(handle: IO[bytes], start: int, info: zipfile.ZipInfo, where: str) -> None:
    """Refuse a stored member whose bytes do not match its CRC-32 (as zipfile does when it reads one)."""
    handle.seek(start)
    crc, left = 0, info.file_size
    while left:
        chunk = handle.read(min(left, 4 * 1024 * 1024))
        if not chunk:
            raise ArchiveError(f"archive member {info.filename!r} is shorter than its header says", where)
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    if crc != info.CRC:
        raise ArchiveError(
            f"truncated or damaged zip archive: Bad CRC-32 for file {info.filename!r}", f"{where}: {info.filename}"
        )


def _read_member(archive: zipfile.ZipFile, name: str, where: str) -> bytes:
    buffer = io.BytesIO()
    copy_member(archive, name, buffer, where)
    return buffer.getvalue()


# -- JSON ------------------------------------------------------------------------------------


def _parse_json(data: bytes, where: str) -> Any:
    """Strict JSON: UTF-8, bounded depth, no NaN/Infinity, no duplicate keys."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"not UTF-8 text (invalid byte at {exc.start})", where) from None
    _check_depth(text, where)

    def refuse_constant(name: str) -> Any:
        raise ArchiveError(f"{name} is not a number a model can use", where)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ArchiveError(f"the key {_short(key)} appears twice in one object", where)
            result[key] = value
        return result

    def finite_float(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):  # 1e400 would be infinity
            raise ArchiveError(f"{number[:40]} is not a number a model can use", where)
        return value

    try:
        return json.loads(
            text, parse_constant=refuse_constant, parse_float=finite_float, object_pairs_hook=no_duplicates
        )
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where) from None
    except ArchiveError:
        raise
    except (ValueError, RecursionError) as exc:  # e.g. an integer with more digits than Python converts
        raise ArchiveError(f"not usable JSON: {first_line(exc)}", where) from None


def _check_depth(text: str, where: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (before the parser recurses into it) or holding
    more than MAX_JSON_CONTAINERS arrays and objects (each is walked and checked)."""
    depth, containers = json_shape(text)
    if depth > MAX_JSON_DEPTH:
        raise ArchiveError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", where)
    if containers > MAX_JSON_CONTAINERS:
        raise ArchiveError(
            f"the JSON holds {containers:,} arrays and objects; the limit is {MAX_JSON_CONTAINERS:,}", where
        )


class JsonPath:
    """Where an object sits in a JSON tree, kept as a link to its parent: making one costs nothing
    whatever its keys' lengths, and the text (`$.config.layers[2]`, long keys cut) is built only
    when a message needs it. Rebuilding the text for every object made the walk quadratic."""

    __slots__ = ("parent", "step")

    def __init__(self, parent: JsonPath | None, step: str | int | None) -> None:
        self.parent = parent
        self.step = step

    def steps(self) -> list[str | int]:
        steps: list[str | int] = []
        node: JsonPath | None = self
        while node is not None and node.parent is not None:
            steps.append(node.step)  # type: ignore[arg-type]
            node = node.parent
        return steps[::-1]

    def __str__(self) -> str:
        parts = ["$"]
        for step in self.steps():
            parts.append(f"[{step}]" if isinstance(step, int) else f".{path_key(step)}")
        return "".join(parts)


ROOT = JsonPath(None, None)


def path_key(key: Any) -> str:
    """A key as it may appear in a JSON path of a message: escaped and cut to 40 characters."""
    return terminal_text(str(key), 40)


def _walk(document: Any) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every object in a JSON tree with its path, in document order; linear in the tree's size."""
    stack: list[tuple[JsonPath, Any]] = [(ROOT, document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            yield path, value
            stack.extend(
                (JsonPath(path, key), item) for key, item in reversed(value.items()) if isinstance(item, (dict, list))
            )
        elif isinstance(value, list):
            stack.extend(
                (JsonPath(path, i), item)
                for i, item in reversed(list(enumerate(value)))
                if isinstance(item, (dict, list))
            )


def _screen(document: Any, where: str) -> None:
    """Refuse, anywhere in the config, objects that name code or modules outside Keras."""
    for path, obj in _walk(document):
        if _is_builtin_function_reference(path, obj):
            continue
        module = obj.get("module")
        class_name = obj.get("class_name")
        if "module" in obj and not (isinstance(module, str) and (module == "keras" or module.startswith("keras."))):
            raise ArchiveError(
                f"the config names the module {_short(module)}; only Keras's own are allowed", f"{where} {path}"
            )
        if "class_name" in obj:
            if not isinstance(class_name, str):
                raise ArchiveError(f"class_name must be a string. Received: {_short(class_name)}", f"{where} {path}")
            label = _label(obj)
            if class_name in _REFUSED_CLASSES:
                raise ArchiveError(f"{label}{_REFUSED_CLASSES[class_name]}", f"{where} {path}")
            if class_name == TENSOR_CLASS and not _is_tensor_reference(path, obj):
                raise ArchiveError(
                    f"a tensor reference ({TENSOR_CLASS}) belongs only in a layer's inbound_nodes", f"{where} {path}"
                )
            if class_name.startswith("__") and class_name != TENSOR_CLASS:
                raise ArchiveError(
                    f"{label}serialized Python objects ({_short(class_name)}) are refused", f"{where} {path}"
                )
        if "registered_name" in obj:
            registered = obj["registered_name"]
            if registered is not None and registered != class_name:
                raise ArchiveError(
                    f"{_label(obj)}{_short(registered)} is a registered custom object, not Keras's own",
                    f"{where} {path}",
                )


def _is_tensor_reference(path: JsonPath, obj: dict[str, Any]) -> bool:
    """Whether `obj` sits where Keras writes the tensors a layer is called on: in the `args` or
    `kwargs` of one of its `inbound_nodes` (`$.config.layers[i].inbound_nodes[j].args...`). The
    functional reader parses these as references, never as objects."""
    steps = path.steps()
    return (
        len(steps) >= 6
        and steps[:2] == ["config", "layers"]
        and isinstance(steps[2], int)
        and steps[3] == "inbound_nodes"
        and isinstance(steps[4], int)
        and steps[5] in ("args", "kwargs")
    )


def _is_builtin_function_reference(path: JsonPath, obj: dict[str, Any]) -> bool:
    """Keras's way of naming one of its own loss or metric functions, e.g. `compile(loss=keras.losses.huber)`.

    Keras writes `{"module": "builtins", "class_name": "function", "config": "huber"}` (with a
    `shared_object_id` when the same function is the loss and a metric); only a catalog name is
    accepted, and only where the compile config holds a loss or a metric.
    """
    if obj.get("module") != "builtins" or obj.get("class_name") != "function":
        return False
    keys = {"module", "class_name", "config", "registered_name", "shared_object_id"}
    if set(obj) - keys or obj.get("registered_name") not in (
        None,
        "function",
    ):
        return False
    name = obj.get("config")
    steps = path.steps()
    if steps == ["compile_config", "loss"]:
        return isinstance(name, str) and _LOSS_ALIASES.get(name, name) in LOSSES
    if len(steps) == 3 and steps[:2] == ["compile_config", "metrics"] and isinstance(steps[2], int):
        return isinstance(name, str) and _METRIC_ALIASES.get(name, name) in METRICS
    return False


def _label(obj: dict[str, Any]) -> str:
    config = obj.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    return f"{name}: " if isinstance(name, str) and len(name) <= 128 and name.isprintable() else ""


# -- config.json -> ModelSpec ----------------------------------------------------------------

# Only the registry's layer types are read; each lists the config keys Keras writes for it.
_LAYER_ENTRY_KEYS = {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}


def read_keras_config(path: str | Path, param_budget: int | None = None) -> ModelSpec:
    """The model in a `.keras` file as a spec, after the zip and config checks; nothing is run."""
    where = str(path)
    with open_archive(path) as archive:
        names = set(archive.namelist())
        if CONFIG_MEMBER not in names:
            raise ArchiveError("the archive has no config.json; it is not a Keras model", where)
        if METADATA_MEMBER in names:
            metadata = _parse_json(_read_member(archive, METADATA_MEMBER, where), f"{where}: {METADATA_MEMBER}")
            if not isinstance(metadata, dict):
                raise ArchiveError("metadata.json must hold an object", f"{where}: {METADATA_MEMBER}")
        data = _read_member(archive, CONFIG_MEMBER, where)
    spec, summary = _parse_config(data, f"{where}: {CONFIG_MEMBER}", param_budget)
    if summary is not None and summary.issues:
        issue = summary.issues[0]
        raise ArchiveError(issue.message, f"{where}: {CONFIG_MEMBER}")
    return spec


def parse_keras_config(data: bytes, where: str = CONFIG_MEMBER) -> ModelSpec:
    """Turn `config.json` bytes into a spec, refusing everything outside the allow-list."""
    return _parse_config(data, where, None)[0]


def model_config(document: Any, own_keys: set[str], default_name: str, where: str) -> tuple[Any, str, list]:
    """A model document's `config`, name and layer entries, checked as both model classes need: only
    known keys (the shared ones and `own_keys`), a sound name, trainable, float32, 1 to MAX_LAYERS layers."""
    config = document.get("config")
    _expect_object(config, "$.config", where)
    _only_keys(config, {"name", "trainable", "dtype", "layers"} | own_keys, "$.config", where)
    name = config.get("name", default_name)
    _check_name(name, "$.config.name", where)
    if not is_true(config.get("trainable", True)):
        raise ArchiveError("a frozen model (trainable=false) is not supported", f"{where} $.config.trainable")
    if "dtype" in config and not is_float32(config["dtype"]):
        raise ArchiveError("only float32 models are supported", f"{where} $.config.dtype")
    entries = config.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ArchiveError("the model has no layers", f"{where} $.config.layers")
    if len(entries) > MAX_LAYERS:
        raise ArchiveError(f"{len(entries):,} layers; the limit is {MAX_LAYERS:,}", f"{where} $.config.layers")
    return config, name, entries


def _parse_config(data: bytes, where: str, param_budget: int | None) -> tuple[ModelSpec, Summary | None]:
    """The spec in `config.json` bytes and its analysis (made once: the build shapes are checked against it);
    a functional model is checked by its own reader, which raises on the first problem (analysis None)."""
    document = _parse_json(data, where)
    _screen(document, where)
    _expect_object(document, "$", where)
    _only_keys(
        document, {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}, "$", where
    )
    if document.get("class_name") == "Functional":
        from nnstudio.core.keras_functional import parse_functional

        return parse_functional(document, where, param_budget), None
    if document.get("class_name") != "Sequential":
        raise ArchiveError(
            f"only Sequential and Functional models can be opened; this file holds "
            f"{_short(document.get('class_name'))}",
            f"{where} $.class_name",
        )
    if document.get("module") not in ("keras", "keras.models"):
        raise ArchiveError(
            f"Sequential from an unexpected module {_short(document.get('module'))}", f"{where} $.module"
        )
    config, name, entries = model_config(document, {"build_input_shape"}, "sequential", where)
    layers = []
    input_class = next(t.config_class for t in config_types() if t.is_input)
    if not (isinstance(entries[0], dict) and entries[0].get("class_name") == input_class):
        layers.append(_input_from_build_shape(config.get("build_input_shape"), where))
    # (spec index, JSON path, shape): every shape Keras would build a layer or the model with
    build_shapes: list[tuple[int, str, Any]] = [(0, "$.config.build_input_shape", config.get("build_input_shape"))]
    for i, entry in enumerate(entries):
        layers.append(_parse_layer(entry, f"$.config.layers[{i}]", where))
        if isinstance(entry.get("build_config"), dict):
            path = f"$.config.layers[{i}].build_config.input_shape"
            build_shapes.append((len(layers) - 1, path, entry["build_config"].get("input_shape")))
    if "build_config" in document:
        _check_build_config(document["build_config"], "$.build_config", where)
        build_shapes.append((0, "$.build_config.input_shape", document["build_config"].get("input_shape")))
    compile_spec = _parse_compile(document.get("compile_config"), "$.compile_config", where)
    spec = ModelSpec(name=name, layers=tuple(layers), compile=compile_spec)
    summary = analyze(spec, param_budget)
    _check_build_shapes(spec, summary, build_shapes, where)
    return spec, summary


def _check_build_shapes(spec: ModelSpec, summary: Summary, declared: list[tuple[int, str, Any]], where: str) -> None:
    """Refuse build shapes that disagree with the shapes nnstudio infers.

    Keras builds a layer with its `build_config.input_shape` (and the model with its own) before
    it loads a single weight, so a Dense whose build_config claims 500,000 inputs would allocate
    for them whatever the model feeds it: the parameter budget holds only if the two agree.
    """
    if summary.issues or summary.input_shape is None:
        return  # the model is refused by its analysis, which says why more plainly
    inputs: dict[int, Any] = {0: summary.input_shape}  # spec index -> the shape the layer receives
    previous: Any = summary.input_shape
    for row in summary.rows:
        inputs[row.index] = previous
        previous = row.output_shape
    for index, path, shape in declared:
        expected = inputs.get(index)
        if shape is None or expected is None:
            continue  # no build shape (Keras builds from the model's input), or a layer the analysis refuses
        if not _same_shape(shape, [None, *expected]):
            name = spec.layers[index].name if index else spec.name
            raise ArchiveError(
                f"{name}: the stored build shape {_short(shape)} disagrees with the input shape "
                f"{_short((None, *expected))} the model gives it",
                f"{where} {path}",
            )


def _same_shape(shape: Any, expected: list[Any]) -> bool:
    """`shape` is `expected` exactly: a list of the same ints (no floats, no booleans) and None."""
    if not isinstance(shape, list) or len(shape) != len(expected):
        return False
    return all(
        (a is None and b is None) or (type(a) is int and type(b) is int and a == b)
        for a, b in zip(shape, expected, strict=True)
    )


def _input_from_build_shape(shape: Any, where: str) -> LayerSpec:
    """An Input for a Sequential saved without an InputLayer entry, from its build_input_shape."""
    here = f"{where} $.config.build_input_shape"
    if not isinstance(shape, list) or len(shape) < 2:
        raise ArchiveError("the model has no InputLayer and no build_input_shape", here)
    kind = next(t for t in config_types() if t.is_input)
    shape_param = kind.param("shape")
    try:
        sample_shape = shape_param.kind.from_config("build_input_shape", shape)
    except ValueError as exc:
        raise ArchiveError(str(exc), here) from None
    return LayerSpec(kind.class_name, kind.name_stem, kind.stored({**kind.defaults(), "shape": sample_shape}))


def config_types() -> list[LayerType]:
    """The layer types a `.keras` config may hold."""
    return list(all_types())


def _config_type(keras_class: Any, module: Any) -> LayerType:
    """The type of a config entry by its module and class (an operation node `keras.src.ops.numpy`
    `Add` is not the layer `keras.layers.Add`); else by its class alone (its module is then checked)."""
    if isinstance(module, str):
        try:
            return by_config_class(keras_class, module)
        except KeyError:
            pass
    return by_config_class(keras_class)


def _parse_layer(entry: Any, path: str, where: str) -> LayerSpec:
    _expect_object(entry, path, where)
    _only_keys(entry, _LAYER_ENTRY_KEYS, path, where)
    here = f"{where} {path}"
    keras_class = entry.get("class_name")
    config = entry.get("config")
    _expect_object(config, f"{path}.config", where)
    name = config.get("name")
    _check_name(name, f"{path}.config.name", where)
    try:
        kind = _config_type(keras_class, entry.get("module"))
    except (KeyError, TypeError):
        raise ArchiveError(
            f"{name}: the layer class {_short(keras_class)} is not supported; "
            f"{known_classes_hint(keras_class, config=True)}",
            here,
        ) from None
    if entry.get("module") != kind.keras_module:
        raise ArchiveError(f"{name}: layer from an unexpected module {_short(entry.get('module'))}", here)
    if "build_config" in entry:
        _check_build_config(entry["build_config"], f"{path}.build_config", where)
    if entry.get("compile_config") not in (None, {}):  # a model used as a layer (a nested Sequential) is not compiled
        raise ArchiveError(f"{name}: a compiled model inside the model is not supported", f"{here}.compile_config")
    by_key = {p.key: p for p in kind.params}
    checks = kind.config_checks()
    params: dict[str, Any] = {}
    for key, value in config.items():
        key_here = _KeyPath(where, path, key)
        if key == "name":
            continue
        if key in by_key:
            param = by_key[key]
            try:
                params[param.name] = param.kind.from_config(key, value)
            except ValueError as exc:
                raise ArchiveError(f"{name}: {exc}", key_here) from None
            problem = _read_back_problem(param, params[param.name])  # the project reader's rule: it reads back
            if problem:
                raise ArchiveError(f"{name}: {key}: {problem}", key_here)
        elif key in checks:
            if not checks[key](value):
                raise ArchiveError(f"{name}: {_unsupported(key, value)}", key_here)
        else:
            raise ArchiveError(
                f"{name}: {kind.config_class} has no setting {_short(key)} that nnstudio supports", key_here
            )
    values = kind.defaults()
    values.update(params)
    if kind.read_config is not None:
        values = kind.read_config(values)
    return LayerSpec(kind.class_name, name, kind.stored(values))


def _read_back_problem(param: Any, value: Any) -> str | None:
    """Why a project file could not hold `value`, or None: `file_values.value_problem` at the
    parameter's nesting, and a layer inside the layer read as the project reader reads it."""
    if not (param.kind.nested or param.kind.object_values):
        return value_problem(value, param.kind.nesting)
    try:
        param.kind.from_project(param.name, value)
    except ValueError as exc:
        return str(exc)
    return None


class _KeyPath:
    """`<file> $.config.layers[3].config.<key>` for a message, made only when one is raised."""

    __slots__ = ("where", "path", "key")

    def __init__(self, where: str, path: str, key: Any) -> None:
        self.where, self.path, self.key = where, path, key

    def __str__(self) -> str:
        return f"{self.where} {self.path}.config.{path_key(self.key)}"


def _unsupported(key: str, value: Any) -> str:
    """Why the value of a config key outside the parameters is refused."""
    if key.endswith(UNSUPPORTED_ENDINGS) or key == "quantization_config":
        return f"{key} is not supported. Received: {key}={_short(value)}"
    if key == "dtype":
        return f"only float32 layers are supported. Received: dtype={_short(value)}"
    if key == "trainable":
        return f"frozen layers (trainable=false) are not supported. Received: trainable={_short(value)}"
    if key == "batch_size":
        return f"a fixed batch size is not supported. Received: batch_size={_short(value)}"
    if key in ("sparse", "ragged", "optional"):
        return f"{key} inputs are not supported. Received: {key}={_short(value)}"
    return f"unsupported value. Received: {key}={_short(value)}"


def _check_build_config(value: Any, path: str, where: str) -> None:
    _expect_object(value, path, where)
    _only_keys(value, {"input_shape"}, path, where)
    shape = value.get("input_shape")
    if shape is not None and not (is_plain(shape) and isinstance(shape, list)):
        raise ArchiveError(f"input_shape must be a list of sizes. Received: {_short(shape)}", f"{where} {path}")


def _check_name(name: Any, path: str, where: str) -> None:
    problem = name_problem(name)
    if problem:
        raise ArchiveError(problem, f"{where} {path}")


def _expect_object(value: Any, path: str, where: str) -> None:
    if not isinstance(value, dict):
        raise ArchiveError(f"expected an object, found {type(value).__name__}", f"{where} {path}")


def _only_keys(obj: dict[str, Any], allowed: set[str], path: str, where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ArchiveError(f"unexpected key {_short(key)}", f"{where} {path}.{path_key(key)}")


# -- compile_config --------------------------------------------------------------------------

_COMPILE_KEYS = {
    "optimizer",
    "loss",
    "loss_weights",
    "metrics",
    "weighted_metrics",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
    "auto_scale_loss",
}


def _parse_compile(config: Any, path: str, where: str) -> CompileSpec:
    if config is None or config == {}:
        return CompileSpec()
    _expect_object(config, path, where)
    _only_keys(config, _COMPILE_KEYS, path, where)
    for key in ("loss_weights", "weighted_metrics"):
        if config.get(key) is not None:
            raise ArchiveError(f"compile: {key} is not supported", f"{where} {path}.{key}")
    for key in ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"):
        if key in config and not is_plain(config[key]):
            raise ArchiveError(f"compile: {key} must be a plain value", f"{where} {path}.{key}")
    optimizer, learning_rate, optimizer_options = _parse_optimizer(
        config.get("optimizer", "adam"), f"{path}.optimizer", where
    )
    loss, loss_options = _parse_loss(config.get("loss", "mean_squared_error"), f"{path}.loss", where)
    metrics = config.get("metrics")
    if metrics is None:
        metrics = []
    if not isinstance(metrics, list):
        raise ArchiveError("compile: metrics must be a list", f"{where} {path}.metrics")
    if len(metrics) > MAX_METRICS:
        raise ArchiveError(f"compile: {metrics_problem(metrics)}", f"{where} {path}.metrics")
    names = tuple(
        _named(m, "keras.metrics", _METRIC_ALIASES, METRICS, "metric", f"{path}.metrics[{i}]", where)
        for i, m in enumerate(metrics)
    )
    problem = metrics_problem(list(names))
    if problem:
        raise ArchiveError(f"compile: {problem}", f"{where} {path}.metrics")

    return CompileSpec(
        loss=loss,
        optimizer=optimizer,
        learning_rate=learning_rate,
        metrics=names,
        optimizer_options=optimizer_options,
        loss_options=loss_options,
    )


def _parse_optimizer(value: Any, path: str, where: str) -> tuple[str, float | None, Options]:
    """The optimizer's catalog name, its learning rate (None: the default) and its non-default settings."""
    here = f"{where} {path}"
    if isinstance(value, str):
        if value.lower() in OPTIMIZERS:
            return value.lower(), None, ()
        raise ArchiveError(f"compile: unknown optimizer {_short(value)}", here)
    _expect_object(value, path, where)
    if value.get("module") != "keras.optimizers" or value.get("class_name") not in _OPTIMIZER_CLASSES:
        raise ArchiveError(f"compile: unsupported optimizer {_short(value.get('class_name'))}", here)
    config = value.get("config", {})
    _expect_object(config, f"{path}.config", where)
    for key, item in config.items():
        if key != "learning_rate" and not is_plain(item):
            raise ArchiveError(
                f"compile: optimizer setting {_short(key)} must be a plain value", f"{here}.config.{path_key(key)}"
            )
    name = _OPTIMIZER_CLASSES[value["class_name"]]
    options = _options(
        config, optimizer_defaults(name), IGNORED_OPTIMIZER_KEYS, f"optimizer {value['class_name']}", f"{here}.config"
    )
    lr = config.get("learning_rate")
    if lr is None:
        return name, None, options
    if isinstance(lr, dict):
        raise ArchiveError("compile: learning-rate schedules are not supported", f"{here}.config.learning_rate")
    if not is_finite_number(lr) or lr <= 0:
        raise ArchiveError(
            f"compile: learning_rate must be a positive number. Received: learning_rate={_short(lr)}",
            f"{here}.config.learning_rate",
        )
    return name, float32_round(lr), options


def _parse_loss(value: Any, path: str, where: str) -> tuple[str, Options]:
    """The loss's catalog name and, for a serialized Keras loss object, its non-default settings."""
    name = _named(value, "keras.losses", _LOSS_ALIASES, LOSSES, "loss", path, where)
    if not (isinstance(value, dict) and value.get("module") == "keras.losses"):
        return name, ()  # a name or one of Keras's loss functions: Keras's defaults
    config = value.get("config", {})
    return name, _options(
        config, loss_defaults(name), IGNORED_LOSS_KEYS, f"loss {value.get('class_name')}", f"{where} {path}.config"
    )


def _options(
    config: dict[str, Any], defaults: dict[str, Any], ignored: frozenset[str], what: str, here: str
) -> Options:
    """The plain settings in `config` that differ from Keras's `defaults`. A setting this Keras does
    not write for the class is skipped when it is off (None or false: another Keras version's
    option, unused) and refused otherwise (nnstudio could not write it back)."""
    kept: dict[str, Any] = {}
    for key, item in config.items():
        if key in ignored or (key not in defaults and (item is None or item is False)):
            continue
        if key not in defaults:
            raise ArchiveError(
                f"compile: {what} has no setting {_short(key)} that nnstudio knows", f"{here}.{path_key(key)}"
            )
        if not is_plain(item):
            raise ArchiveError(
                f"compile: {what} setting {_short(key)} must be a plain value", f"{here}.{path_key(key)}"
            )
        problem = value_problem(item)  # the project reader's rule, so the saved project reads back
        if problem:
            raise ArchiveError(f"compile: {what} setting {_short(key)}: {problem}", f"{here}.{key}")
        item = as_float_where_keras_expects_one(item, defaults[key])
        if not is_default(item, defaults[key]):
            kept[key] = item
    return freeze(kept)


def _named(
    value: Any, module: str, aliases: dict[str, str], known: tuple[str, ...], what: str, path: str, where: str
) -> str:
    """A loss or metric given as a Keras name or a serialized Keras object, as a catalog name."""
    here = f"{where} {path}"
    if isinstance(value, dict) and value.get("module") == "builtins" and value.get("class_name") == "function":
        name = value.get("config")  # one of Keras's own functions, screened by _is_builtin_function_reference
        if not isinstance(name, str):
            raise ArchiveError(f"compile: a {what} function must be named. Received: {_short(name)}", here)
    elif isinstance(value, dict):
        if value.get("module") != module:
            raise ArchiveError(f"compile: {what} from an unexpected module {_short(value.get('module'))}", here)
        config = value.get("config", {})
        if not isinstance(config, dict) or not all(is_plain(v) for v in config.values()):
            raise ArchiveError(f"compile: the {what}'s settings must be plain values", here)
        name = to_snake_case(value.get("class_name", ""))
    elif isinstance(value, str):
        name = value
    else:
        raise ArchiveError(f"compile: a {what} must be a Keras name or object. Received: {_short(value)}", here)
    name = aliases.get(name, name)
    if name not in known:
        raise ArchiveError(f"compile: unsupported {what} {_short(name)}", here)
    return name


def float32_round(value: float) -> float:
    """The shortest decimal that is the same float32: 0.0010000000474974513 -> 0.001."""
    target = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", candidate))[0] == target:
            return candidate
    return value


# -- dispatch --------------------------------------------------------------------------------


def load_model_file(path: str | Path, check_weights: bool = True, check_crc: bool = True) -> ModelSpec:
    """The model in a `.nnstudio` project or `.keras` archive; ProjectError or ArchiveError if refused.

    A `.keras` file gets the zip and config checks and, with `check_weights`, the weights checks:
    its weights file's structure and, with `check_crc`, the CRC-32 of every byte of it (for a stored
    member; an inflated one is always checked), which whoever reads the weights later checks too.
    """
    from nnstudio.core.project import ProjectError, load_project

    path = Path(path)
    if path.suffix.lower() == ".nnstudio":
        return load_project(path)[0]
    if path.suffix.lower() != ".keras":
        try:
            with path.open("rb") as handle:
                head = handle.read(4)
        except OSError as exc:
            raise ArchiveError(f"cannot read file: {exc.strerror or exc}", str(path)) from None
        if not head.startswith((ZIP_MAGIC, HDF5_MAGIC)):
            if path.suffix.lower() in ("", ".json"):
                return load_project(path)[0]
            raise ProjectError("unknown file type; nnstudio opens .nnstudio and .keras files", str(path))
    spec = read_keras_config(path)
    if check_weights:
        from nnstudio.core.weights_check import check_keras_weights

        check_keras_weights(path, spec, check_crc)
    return spec
