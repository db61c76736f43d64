"""Checking a `.keras` file's `model.weights.h5` against its config with h5py, before Keras sees it.

Keras stores each layer's variables as `layers/<snake class name>[_N]/vars/<i>`, numbered by
class occurrence (the second Dense is `layers/dense_1` whatever its name), and the optimizer's
state under `optimizer/vars`. A layer that keeps its variables in sublayers has them in groups
of those inside its own (`layers/multi_head_attention/query_dense/vars/<i>`), as each variable's
`store` in the registry says; sublayers without variables (`_softmax`) leave empty groups, which
the type names (`empty_sublayers`). Every dataset's shape must be the one the config implies; links
that leave the file (external or soft links), a group reached twice (a cycle), external storage
and virtual datasets are refused. Only metadata is read, in one walk of the file's links: no dataset
is loaded into memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from nnstudio.core.graph_shapes import GraphError, graph_shapes
from nnstudio.core.keras_archive import WEIGHTS_MEMBER, ArchiveError, first_line, member_file, open_archive
from nnstudio.core.layers.registry import is_input, layer_type
from nnstudio.core.shapes import Shape, infer_all
from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.summary import analyze

MAX_OBJECTS = 100_000
MAX_DEPTH = 8
# What h5py raises on a damaged file (HDF5's errors surface as OSError, KeyError, RuntimeError, ...).
_H5_ERRORS = (OSError, ValueError, KeyError, RuntimeError, TypeError, IndexError, AttributeError)


@dataclass(frozen=True)
class SavedLayer:
    """What a layer's group in model.weights.h5 holds: the layer's name (for messages), each
    variable's store (the sublayer group inside the layer's, "" for its own `vars`) and shape in
    Keras's order, and the sublayer groups Keras writes without variables."""

    name: str
    stored: tuple[tuple[str, Shape], ...]
    empty: tuple[str, ...] = ()
    dtypes: tuple[str, ...] = ()  # each variable's dtype, in `stored`'s order (none given: all float32)

    def dtype(self, i: int) -> str:
        """The dtype of variable `i` (Normalization's count is an int64)."""
        return self.dtypes[i] if self.dtypes else "float32"

    @property
    def shapes(self) -> list[Shape]:
        return [shape for _store, shape in self.stored]


def saved_layer(layer: LayerSpec, inputs: list[Shape]) -> SavedLayer:
    """The group a Keras-saved `layer` fed `inputs` (one shape per input tensor) has in model.weights.h5."""
    _outputs, variables = infer_all(layer, inputs)
    kind = layer_type(layer.class_name)
    empty = kind.empty_sublayers + (kind.empty_groups(kind.values(layer.params)) if kind.empty_groups else ())
    return SavedLayer(
        layer.name, tuple((v.store, v.shape) for v in variables), empty, tuple(v.dtype for v in variables)
    )


def weights_group(class_name: str, counts: dict[str, int]) -> str:
    """The group Keras gives the next layer of `class_name` (`dense`, `dense_1`, ...), counting in `counts`."""
    stem = layer_type(class_name).name_stem
    n = counts.get(stem, 0)
    counts[stem] = n + 1
    return stem if n == 0 else f"{stem}_{n}"


def expected_weight_shapes(spec: ModelSpec) -> dict[str, SavedLayer]:
    """`{h5 group: SavedLayer}` for every layer after the Input (a Sequential), or for every layer of a
    functional model in its config's order, its Inputs included (their groups are empty); a
    layer called several times has one group, sized by its first call."""
    if spec.is_functional:
        return _functional_weight_shapes(spec)
    summary = analyze(spec)
    if summary.issues:
        raise ArchiveError(summary.issues[0].message, "config.json")
    counts: dict[str, int] = {}
    result: dict[str, SavedLayer] = {}
    shape: Shape = summary.input_shape or ()
    for row in summary.rows:
        layer = spec.layers[row.index]
        result[weights_group(layer.class_name, counts)] = saved_layer(layer, [shape])
        shape = row.output_shape or ()
    return result


def _functional_weight_shapes(spec: ModelSpec) -> dict[str, SavedLayer]:
    try:
        shapes = graph_shapes(spec)
    except GraphError as exc:
        raise ArchiveError(exc.message, "config.json") from None
    counts: dict[str, int] = {}
    result: dict[str, SavedLayer] = {}
    for layer in spec.layers:
        group = weights_group(layer.class_name, counts)
        if is_input(layer.class_name):
            result[group] = SavedLayer(layer.name, ())
        else:
            result[group] = saved_layer(layer, list(shapes.calls[layer.id][0].inputs))
    return result


def check_keras_weights(path: str | Path, spec: ModelSpec, check_crc: bool = True) -> None:
    """Raise ArchiveError unless the archive's weights file is sound and matches `spec` exactly
    (without `check_crc`, a stored weights file's bytes are not summed: only its structure is read)."""
    _with_weights_file(path, spec, read=False, check_crc=check_crc)


def read_keras_weights(path: str | Path, spec: ModelSpec) -> dict[str, list[np.ndarray]]:
    """The checked weights of the archive at `path` (see `check_keras_weights`), by layer name, as
    float32 arrays in Keras's `get_weights()` order: exactly what Keras would load, read by h5py
    without handing the file's config to Keras. ArchiveError when refused or unreadable."""
    return _with_weights_file(path, spec, read=True)


def _with_weights_file(
    path: str | Path, spec: ModelSpec, read: bool, check_crc: bool = True
) -> dict[str, list[np.ndarray]]:
    where = str(path)
    try:
        expected = expected_weight_shapes(spec)
    except ArchiveError as exc:
        raise ArchiveError(exc.message, f"{where}: {exc.where}") from None
    with open_archive(path) as archive:
        if WEIGHTS_MEMBER not in archive.namelist():
            raise ArchiveError("the archive has no model.weights.h5", where)
        with member_file(path, archive, WEIGHTS_MEMBER, where, check_crc) as weights:  # in place when stored
            check_weights_file(weights, expected, f"{where}: {WEIGHTS_MEMBER}")
            return read_weights_file(weights, expected, f"{where}: {WEIGHTS_MEMBER}") if read else {}


def read_weights_file(
    path: Path | IO[bytes], expected: dict[str, SavedLayer], where: str
) -> dict[str, list[np.ndarray]]:
    """The layers' arrays of a checked weights file, as float32, by layer name, in Keras's order."""
    import h5py

    weights: dict[str, list[np.ndarray]] = {}
    try:
        with h5py.File(path, "r") as h5:
            for group, saved in expected.items():
                arrays: list[np.ndarray] = []
                taken: dict[str, int] = {}
                for n, (store, _shape) in enumerate(saved.stored):
                    i = taken.get(store, 0)
                    taken[store] = i + 1
                    inner = f"{store}/" if store else ""
                    arrays.append(np.asarray(h5[f"layers/{group}/{inner}vars/{i}"][()], dtype=saved.dtype(n)))
                weights[saved.name] = arrays
    except _H5_ERRORS as exc:
        raise ArchiveError(f"model.weights.h5 cannot be read: {first_line(exc)}", where) from None
    return weights


def check_weights_file(path: Path | IO[bytes], expected: dict[str, SavedLayer], where: str) -> None:
    """Check a `model.weights.h5` (a file, or a seekable file object) against `expected` (see
    `expected_weight_shapes`)."""
    import h5py

    if isinstance(path, (str, Path)):
        with open(path, "rb") as handle:
            head = handle.read(8)
    else:
        path.seek(0)
        head = path.read(8)
        path.seek(0)
    if head != b"\x89HDF\r\n\x1a\n":
        raise ArchiveError("model.weights.h5 is not an HDF5 file", where)
    try:
        h5 = h5py.File(path, "r")
    except _H5_ERRORS as exc:
        raise ArchiveError(f"model.weights.h5 cannot be read: {first_line(exc)}", where) from None
    with h5:
        try:
            _check_tree(h5, expected, where)
        except ArchiveError:
            raise
        except _H5_ERRORS as exc:
            raise ArchiveError(f"model.weights.h5 is damaged: {first_line(exc)}", where) from None


def _check_tree(h5: Any, expected: dict[str, SavedLayer], where: str) -> None:
    h5 = _walk(h5, where)  # every link and object checked; the checks below read this index only
    _only(h5, {"layers", "optimizer", "vars"}, "/", where)
    if "vars" in h5:
        _vars(h5, "vars", where)  # the model's own variables: Sequential has none
        if len(h5["vars"]):
            raise ArchiveError(
                "the model itself holds variables; a Sequential or Functional model has none", f"{where} /vars"
            )
    layers = h5.get("layers")
    if layers is None:
        if any(saved.stored for saved in expected.values()):
            raise ArchiveError("the weights file has no layers group", where)
        layers = {}
    elif not isinstance(layers, _Group):
        raise ArchiveError("layers must be a group", f"{where} /layers")
    for group in layers:
        if group not in expected:
            raise ArchiveError(f"weights for a layer the config does not have ({group})", f"{where} /layers/{group}")
    for group, saved in expected.items():
        here = f"{where} /layers/{group}"
        if group not in layers:
            if saved.stored:
                raise ArchiveError(f"{saved.name}: no weights stored for this layer", here)
            continue
        by_store: dict[str, list[Shape]] = {}
        floats: dict[str, list[bool]] = {}  # whether each variable at a store holds floats (else integers)
        for n, (store, shape) in enumerate(saved.stored):
            by_store.setdefault(store, []).append(shape)
            floats.setdefault(store, []).append(np.dtype(saved.dtype(n)).kind == "f")
        for empty in saved.empty:
            by_store.setdefault(empty, [])
        _check_layer_group(layers[group], "", by_store, floats, saved.name, f"/layers/{group}", where)
    if "optimizer" in h5:
        _only(h5["optimizer"], {"vars"}, "/optimizer", where)
        total = 0
        for i, dataset in enumerate(_vars(h5["optimizer"], "vars", f"{where} /optimizer")):
            if dataset.dtype.kind not in "fiu":
                raise ArchiveError(f"optimizer variable {i} is {dataset.dtype}, not numbers", f"{where} /optimizer")
            total += math.prod(dataset.shape or ()) * dataset.dtype.itemsize
        if total > 4 * 1024**3:
            raise ArchiveError(f"the optimizer state would take {total:,} bytes", f"{where} /optimizer")


def _check_layer_group(
    group: Any,
    store: str,
    by_store: dict[str, list[Shape]],
    floats: dict[str, list[bool]],
    name: str,
    path: str,
    where: str,
) -> None:
    """The variables of one layer under `group`: `vars` holds those kept at `store`, and each
    sublayer is a subgroup leading to the stores below it (a sublayer without variables may hold
    an empty `vars` or nothing)."""
    here = f"{where} {path}"
    prefix = f"{store}/" if store else ""
    below = {s[len(prefix) :].split("/")[0] for s in by_store if s != store and s.startswith(prefix)}
    _only(group, {"vars", *below}, path, where)
    shapes = by_store.get(store, [])
    found = _vars(group, "vars", here) if "vars" in group else []
    if len(found) != len(shapes):
        raise ArchiveError(f"{name}: {len(found)} weight arrays stored, the config needs {len(shapes)}", here)
    for i, (dataset, shape) in enumerate(zip(found, shapes, strict=True)):
        if tuple(dataset.shape) != tuple(shape):
            raise ArchiveError(
                f"{name}: weight {i} has shape {tuple(dataset.shape)}, the config needs {tuple(shape)}", here
            )
        is_float = floats.get(store, [])[i] if i < len(floats.get(store, [])) else True
        if is_float and dataset.dtype.kind != "f":
            raise ArchiveError(f"{name}: weight {i} is {dataset.dtype}, not a float array", here)
        if not is_float and dataset.dtype.kind not in "iu":
            raise ArchiveError(f"{name}: weight {i} is {dataset.dtype}, not an integer", here)
    for child in sorted(below):
        inner = f"{store}/{child}" if store else child
        if child not in group:
            if any(s == inner or s.startswith(f"{inner}/") for s, shapes in by_store.items() if shapes):
                raise ArchiveError(f"{name}: no weights stored for its part {inner!r}", here)
            continue
        _check_layer_group(group[child], inner, by_store, floats, name, f"{path}/{child}", where)


class _Group(dict):
    """A group of the weights file as the walk found it: its links' names, in the file's order, to
    `_Group`s and `_Dataset`s."""


@dataclass(frozen=True)
class _Dataset:
    """A dataset's metadata (its data is never read by the check)."""

    shape: tuple[int, ...]
    dtype: np.dtype


def _walk(h5: Any, where: str) -> _Group:
    """The file's tree, from one walk of every link (HDF5's own visit, name order, depth first) that
    follows none: only hard links inside the file are allowed, at most MAX_OBJECTS of them, groups
    nested at most MAX_DEPTH deep, no group reached twice (a cycle or an alias, which HDF5's visit
    does not enter again), datasets neither external, virtual nor compressed by a missing filter,
    and no other kind of object."""
    import h5py

    root = _Group()
    groups: dict[str, tuple[_Group, int]] = {"": (root, len(h5.id))}  # path -> group, its number of links
    problem: list[Exception] = []
    count = 0

    def visit(name: bytes, info: Any) -> int | None:
        # An exception must not leave the callback (h5py would turn it into a SystemError): it
        # stops the walk and is raised after it (h5py's own errors then say the file is damaged).
        try:
            _visit(name.decode("utf-8"), info)
        except Exception as exc:
            problem.append(exc)
            return 1
        return None

    def _visit(key: str, info: Any) -> None:
        nonlocal count
        here = f"/{key}"
        count += 1
        if count > MAX_OBJECTS:
            raise ArchiveError(f"more than {MAX_OBJECTS:,} objects in the weights file", where)
        if info.type == h5py.h5l.TYPE_EXTERNAL:
            filename = h5.id.links.get_val(key.encode("utf-8"))[0].decode("utf-8", "replace")
            raise ArchiveError(f"an external link to {filename!r} is refused", f"{where} {here}")
        if info.type == h5py.h5l.TYPE_SOFT:
            target = h5.id.links.get_val(key.encode("utf-8")).decode("utf-8", "replace")
            raise ArchiveError(f"a soft link to {target!r} is refused", f"{where} {here}")
        if info.type != h5py.h5l.TYPE_HARD:
            raise ArchiveError("an unknown kind of link is refused", f"{where} {here}")
        parent_path, _, leaf = key.rpartition("/")
        parent = groups[parent_path][0]
        item = h5py.h5o.open(h5.id, key.encode("utf-8"))
        if isinstance(item, h5py.h5g.GroupID):
            if key.count("/") + 1 > MAX_DEPTH:
                raise ArchiveError(f"groups nested deeper than {MAX_DEPTH} levels", f"{where} {here}")
            group = parent[leaf] = _Group()
            groups[key] = (group, len(item))
        elif isinstance(item, h5py.h5d.DatasetID):
            plist = item.get_create_plist()
            if plist.get_external_count():
                raise ArchiveError("a dataset stored in an external file is refused", f"{where} {here}")
            if plist.get_layout() == h5py.h5d.VIRTUAL:
                raise ArchiveError("a virtual dataset is refused", f"{where} {here}")
            _check_filters(plist, f"{where} {here}")
            parent[leaf] = _Dataset(tuple(item.shape), item.dtype)
        else:
            raise ArchiveError("an unexpected kind of object (named datatype?) is refused", f"{where} {here}")

    h5.id.links.visit(visit, info=True)
    if problem:
        raise problem[0]
    for path, (group, links) in groups.items():
        if len(group) != links:  # HDF5 did not walk into it again
            raise ArchiveError("a group linked from two places (a cycle?) is refused", f"{where} /{path}")
    return root


def _check_filters(plist: Any, where: str) -> None:
    """Refuse a dataset (by its creation properties) compressed with a filter this HDF5 library
    lacks: nothing could read it."""
    import h5py

    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if not h5py.h5z.filter_avail(code):
            raise ArchiveError(f"the weights use the HDF5 filter {code}, which is not available here", where)


def _only(group: Any, allowed: set[str], path: str, where: str) -> None:
    if not isinstance(group, _Group):
        raise ArchiveError("expected a group", f"{where} {path}")
    for key in group:
        if key not in allowed:
            raise ArchiveError(f"unexpected entry {key!r} in the weights file", f"{where} {path.rstrip('/')}/{key}")


def _vars(parent: Any, key: str, where: str) -> list[Any]:
    """The datasets `0`, `1`, ... of a `vars` group, in order."""
    group = parent[key]
    if not isinstance(group, _Group):
        raise ArchiveError("vars must be a group", where)
    names = list(group)
    if sorted(names, key=lambda n: int(n) if n.isdigit() else -1) != [str(i) for i in range(len(names))]:
        raise ArchiveError(f"variables must be numbered 0, 1, …; found {sorted(names)[:5]}", where)
    datasets = [group[str(i)] for i in range(len(names))]
    for i, dataset in enumerate(datasets):
        if not isinstance(dataset, _Dataset):
            raise ArchiveError(f"variable {i} is not a dataset", where)
    return datasets
