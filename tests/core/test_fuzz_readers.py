"""Fuzz tests of the readers of untrusted files: thousands of mutated inputs, only clear errors.

`loads_project` may raise only ProjectError, the `.keras` reader (zip, config, weights) only
ArchiveError, and the CSV reader only CsvError, whatever bytes or JSON they are given; every
message stays on one line. Whatever a reader accepts saves as a project that reads back equal,
and the code generated from it holds every value as data (tests/core/test_codegen_safety.py).
"""

from __future__ import annotations

import copy
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.core.codegen import python_script
from nnstudio.core.csv_data import CsvError, load_csv
from nnstudio.core.graph_shapes import graph_shapes
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config, read_keras_config
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.core.weights_check import check_keras_weights
from tests.core.test_codegen_safety import check_functional_script, check_model_script
from tests.core.test_keras_archive_corpus import (
    adam_compile,
    layer_entry,
    lesson_config,
    lesson_weights,
    model_config,
    weights_bytes,
    write_keras,
)


def fast(examples: int) -> settings:
    """Hypothesis settings for a quick fuzz run of `examples` inputs."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["keras", "keras.layers", "os", "Dense", "Lambda", "function", "__lambda__", "relu", "float16"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["module", "class_name", "config", "registered_name", "name", "units", "shape", "layers", "dtype", "x"]
)

ALL_LAYERS_CONFIG = model_config(
    [3, 4],
    [
        layer_entry("Dense", "d", units=6),
        layer_entry("BatchNormalization", "bn"),
        layer_entry("LayerNormalization", "ln"),
        layer_entry("Dropout", "drop"),
        layer_entry("Activation", "act"),
        layer_entry("Flatten", "flat"),
        layer_entry("Reshape", "re", target_shape=[2, -1]),
    ],
    adam_compile(metrics=["accuracy"]),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) to a node of a JSON tree."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated_documents(draw: Any, original: Any) -> Any:
    """`original` with one to three nodes replaced, deleted or given an extra key."""
    document = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            document = draw(JSON) if action == "replace" else document
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        target = parent[path[-1]]
        if action == "replace":
            parent[path[-1]] = draw(JSON)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(target, dict):
            target[draw(KEYS)] = draw(JSON)
        elif isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(JSON))
    return document


@st.composite
def mutated_bytes(draw: Any, original: bytes) -> bytes:
    """`original` with bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "truncate":
            del data[at:]
        else:
            data[at : at + 4] = draw(
                st.sampled_from([b"{", b"[", b'"', b"\\u0000", b"1e999", b"null", b"PK\x03\x04", b"\xff"])
            )
    return bytes(data)


def _one_line(error: Exception) -> None:
    assert "\n" not in str(error)


# -- project files --------------------------------------------------------------------------

PROJECT_TEXT = dumps_project(lesson_spec(), {"zoom": 1.0})


@fast(600)
@given(mutated_bytes(PROJECT_TEXT.encode()))
def test_project_loader_bytes(data: bytes) -> None:
    try:
        spec, _editor = loads_project(data)
    except ProjectError as error:
        _one_line(error)
    else:
        analyze(spec)  # a file that loads can always be analysed


@fast(400)
@given(mutated_documents(json.loads(PROJECT_TEXT)))
def test_project_loader_documents(document: Any) -> None:
    try:
        spec, _editor = loads_project(json.dumps(document))
    except ProjectError as error:
        _one_line(error)
    else:
        analyze(spec)


# -- .keras files ---------------------------------------------------------------------------


@fast(700)
@given(mutated_documents(ALL_LAYERS_CONFIG))
def test_keras_config_documents(document: Any) -> None:
    try:
        spec = parse_keras_config(json.dumps(document).encode())
    except ArchiveError as error:
        _one_line(error)
    else:
        analyze(spec)


@fast(400)
@given(mutated_bytes(json.dumps(lesson_config()).encode()))
def test_keras_config_bytes(data: bytes) -> None:
    try:
        parse_keras_config(data)
    except ArchiveError as error:
        _one_line(error)


with tempfile.TemporaryDirectory() as _folder:
    LESSON_ARCHIVE = write_keras(
        Path(_folder) / "l.keras", lesson_config(), weights_bytes(lesson_weights())
    ).read_bytes()
    DEFLATED_ARCHIVE = write_keras(
        Path(_folder) / "d.keras", lesson_config(), weights_bytes(lesson_weights()), compression=zipfile.ZIP_DEFLATED
    ).read_bytes()
LESSON_WEIGHTS = weights_bytes(lesson_weights())


@fast(400)
@given(st.sampled_from([LESSON_ARCHIVE, DEFLATED_ARCHIVE]).flatmap(mutated_bytes))
def test_keras_archive_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.keras"
        path.write_bytes(data)
        try:
            check_keras_weights(path, read_keras_config(path))
        except ArchiveError as error:
            _one_line(error)


@fast(300)
@given(mutated_bytes(LESSON_WEIGHTS))
def test_keras_weights_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_keras(Path(folder) / "m.keras", lesson_config(), data)
        try:
            check_keras_weights(path, read_keras_config(path))
        except ArchiveError as error:
            _one_line(error)


# -- round trips and generators over what the readers accept ------------------------------------


@fast(400)
@given(mutated_documents(ALL_LAYERS_CONFIG))
def test_what_the_keras_reader_accepts_reads_back_as_a_project_and_generates_safe_code(document: Any) -> None:
    try:
        spec = parse_keras_config(json.dumps(document).encode())
    except ArchiveError as error:
        _one_line(error)
        return
    assert loads_project(dumps_project(spec))[0] == spec  # a saved project of any opened file reads back
    check_model_script(python_script(spec), spec)


@fast(300)
@given(mutated_documents(json.loads(PROJECT_TEXT)))
def test_what_the_project_reader_accepts_generates_safe_code(document: Any) -> None:
    try:
        spec, _editor = loads_project(json.dumps(document))
    except ProjectError as error:
        _one_line(error)
        return
    assert loads_project(dumps_project(spec))[0] == spec
    try:
        source = python_script(spec)
    except (ValueError, TypeError, KeyError) as error:  # an unknown class or optimizer: refused, not written
        _one_line(error)
        return
    check_model_script(source, spec)


# -- CSV files ---------------------------------------------------------------------------------

CSV_TEXT = "sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"
CELLS = st.sampled_from(["1", "-2.5", "1e400", "nan", "", "x", '"', '"a,b"', "\x1b[2J", "\ud800", "é", ";", "\t", "\r"])


@st.composite
def csv_texts(draw: Any) -> str:
    """The Iris head with rows, cells and separators mutated, or a table made of odd cells."""
    if draw(st.booleans()):
        data = draw(mutated_bytes(CSV_TEXT.encode()))
        return data.decode("utf-8", "surrogateescape")
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(CELLS, min_size=width, max_size=width + 1), min_size=0, max_size=6))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    return "\n".join(separator.join(row) for row in rows)


@fast(500)
@given(csv_texts(), st.sampled_from(["mean_squared_error", "categorical_crossentropy", "binary_crossentropy"]))
def test_csv_reader_gives_data_or_one_clear_line(text: str, loss: str) -> None:
    try:
        data = load_csv("fuzz.csv", text=text, loss=loss)
    except CsvError as error:
        message = str(error)
        assert "\n" not in message and message.isprintable() and len(message) < 400, repr(message)
    else:
        assert len(data.x) == len(data.y) > 0
        assert np.isfinite(data.x).all()


FUNCTIONAL_CONFIG = json.loads((Path(__file__).parent / "data" / "functional_mha_config.json").read_text())


@fast(300)
@given(mutated_documents(FUNCTIONAL_CONFIG))
def test_functional_config_documents(document: Any) -> None:
    """A mutated functional config is refused in one line, or reads as a graph whose shapes can be
    inferred and whose project file reads back."""
    try:
        spec = parse_keras_config(json.dumps(document).encode())
    except ArchiveError as error:
        _one_line(error)
        return
    graph_shapes(spec)
    assert loads_project(dumps_project(spec))[0] == spec
    check_functional_script(python_script(spec), spec)
