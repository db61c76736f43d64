"""Training data from a CSV file: pick feature and target columns, split, normalise (numpy + csv).

Every problem with the file is a `CsvError` whose message names the row (as a spreadsheet
numbers it: the header is row 1), the column (by header name and number) and what was
expected, for example:

    row 7, column 'sepal_width' (2): expected a number, found 'abc'
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.core.datasets import (
    BINARY_LOSSES,
    SPARSE_LOSSES,
    Dataset,
    encode_labels,
    is_classification_loss,
)
from nnstudio.core.resources import resource
from nnstudio.core.text_safety import cut, one_line, terminal_text

RESOURCES = resource("datasets")
IRIS_PATH = RESOURCES / "iris.csv"
# Caps checked before anything is parsed, so any file is read, or refused, in bounded time and memory.
MAX_BYTES = 32 * 1024 * 1024
MAX_COLUMNS = 10_000
MAX_CELLS = 1_000_000  # lines x columns
MAX_CELL_CHARS = 1_000
SNIFF_CHARS = 4096


class CsvError(ValueError):
    """A CSV file that cannot become training data; `row`/`column` locate the problem (1-based)."""

    def __init__(self, message: str, path: str | Path | None = None, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        self.column = column


@dataclass(frozen=True)
class CsvTable:
    """The raw cells of a CSV file: a header (given or made up) and rows of strings."""

    path: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    has_header: bool
    row_numbers: tuple[int, ...]  # the spreadsheet row number of each of `rows` (the header is row 1)

    def column_index(self, column: str | int) -> int:
        """The 0-based index of a column given by header name or 1-based number ("3" or 3)."""
        if isinstance(column, int) or (
            isinstance(column, str) and column.strip().isdigit() and column not in self.header
        ):
            number = int(column)
            if not 1 <= number <= len(self.header):
                raise CsvError(
                    f"column {number} does not exist; the file has {len(self.header)} columns",
                    self.path,
                    column=str(column),
                )
            return number - 1
        if column in self.header:
            return self.header.index(column)
        raise CsvError(
            f"no column named {cell_text(str(column))}; the columns are {listing(self.header)}",
            self.path,
            column=str(column),
        )

    def column_label(self, index: int) -> str:
        return f"column {cell_text(self.header[index])} ({index + 1})"


def cell_text(text: str) -> str:
    """A cell or header as a message shows it: quoted, escaped, cut to 40 characters."""
    return terminal_text(repr(cut(text, 41)), 44)


def listing(texts: tuple[str, ...] | list[str], shown: int = 10) -> str:
    """`a, b, c, … (2,000 in all)`: at most `shown` texts, escaped and cut."""
    items = ", ".join(terminal_text(t, 40) for t in texts[:shown])
    return items if len(texts) <= shown else f"{items}, … ({len(texts):,} in all)"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(path: str | Path, text: str | None = None) -> CsvTable:
    """Read a CSV file's cells. The first row is a header unless every cell of it is a number.

    The file's size, and its shape (lines times the header's columns), are checked against the
    caps before anything is parsed; rows are then read one at a time, and the first row of the
    wrong width, or a cell over MAX_CELL_CHARS, stops the reading.
    """
    path = str(path)
    first_line: bytes | str
    if text is None:
        lines, head, first_line = _precheck_file(path)
        source: Any = _open_text(path)
    else:
        if len(text) > MAX_BYTES:
            raise CsvError(f"the text is {len(text):,} characters; at most {MAX_BYTES:,} are read", path)
        lines, head = text.count("\n") + 1, text[:SNIFF_CHARS]
        first_line = text[: text.find("\n")] if "\n" in text else text
        source = contextlib.nullcontext(io.StringIO(text))
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    raw = first_line if isinstance(first_line, bytes) else first_line.encode("utf-8", "surrogatepass")
    fields = raw.count(dialect.delimiter.encode()) + 1  # at least the header's columns: quotes may hide some
    if fields > MAX_COLUMNS:
        raise CsvError(f"about {fields:,} columns; at most {MAX_COLUMNS:,} are read", path)
    with source as handle:
        return _read_rows(path, handle, dialect, lines)


def _precheck_file(path: str) -> tuple[int, str, bytes]:
    """(lines, the first SNIFF_CHARS characters, the first line's bytes) of the file at `path`, after
    its size is checked; read in binary chunks, so nothing is parsed, and only the head decoded."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise CsvError(f"the file is {size:,} bytes; at most {MAX_BYTES:,} are read", path)
        lines, offset, first_end = 1, 0, -1
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_CHARS)
            handle.seek(0)
            while chunk := handle.read(1 << 20):
                if first_end < 0 and (at := chunk.find(b"\n")) >= 0:
                    first_end = offset + at
                lines += chunk.count(b"\n")
                offset += len(chunk)
            handle.seek(0)
            first_line = handle.read(first_end if first_end >= 0 else offset)
    except OSError as exc:
        raise CsvError(f"cannot read the file: {exc.strerror or exc}", path) from None
    return lines, head.decode("utf-8-sig", errors="replace"), first_line


@contextlib.contextmanager
def _open_text(path: str) -> Iterator[Any]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            yield handle
    except OSError as exc:
        raise CsvError(f"cannot read the file: {exc.strerror or exc}", path) from None


def _read_rows(path: str, handle: Any, dialect: Any, lines: int) -> CsvTable:
    reader = csv.reader(handle, dialect)
    body: list[tuple[str, ...]] = []
    numbers: list[int] = []
    header: tuple[str, ...] | None = None
    has_header = True
    try:
        for number, cells in enumerate(reader, start=1):
            if not "".join(cells).strip():
                continue  # an empty line, or one of blank cells
            if header is None:
                cells = [c.strip() for c in cells]  # the header's names; data cells are stripped when read
            if max(map(len, cells)) > MAX_CELL_CHARS:
                i, cell = next((i, c) for i, c in enumerate(cells) if len(c) > MAX_CELL_CHARS)
                raise CsvError(
                    f"row {number}, column {i + 1}: a cell of {len(cell):,} characters (limit {MAX_CELL_CHARS:,})",
                    path,
                    row=number,
                )
            if header is None:
                header, has_header = _header(path, cells, lines)
                if has_header:
                    continue
            if len(cells) != len(header):
                raise CsvError(
                    f"row {number}: has {len(cells):,} cells; expected {len(header):,} like the "
                    f"{'header' if has_header else 'first row'}",
                    path,
                    row=number,
                )
            body.append(tuple(cells))
            numbers.append(number)
    except csv.Error as exc:
        raise CsvError(f"not a readable CSV file: {one_line(str(exc), 120)}", path) from None
    except UnicodeDecodeError as exc:
        raise CsvError(f"the file is not UTF-8 text (byte {exc.start} of a block)", path) from None
    if header is None:
        raise CsvError("the file has no rows", path)
    if not body:
        raise CsvError("the file has a header but no data rows", path)
    return CsvTable(path, header, tuple(body), has_header, tuple(numbers))


def _header(path: str, first: list[str], lines: int) -> tuple[tuple[str, ...], bool]:
    """The header (given, or `column N` names) from the first row, after the shape caps."""
    if len(first) > MAX_COLUMNS:
        raise CsvError(f"{len(first):,} columns; at most {MAX_COLUMNS:,} are read", path)
    if lines * len(first) > MAX_CELLS:
        raise CsvError(f"about {lines:,} rows of {len(first):,} columns; at most {MAX_CELLS:,} cells are read", path)
    has_header = not all(_is_number(c) for c in first if c)
    if has_header:
        return tuple(c or f"column {i + 1}" for i, c in enumerate(first)), True
    return tuple(f"column {i + 1}" for i in range(len(first))), False


def numeric_column(table: CsvTable, index: int) -> np.ndarray:
    """A column as float64; a missing or non-numeric cell raises CsvError naming row and column.

    The column is converted in one pass; only a column that fails, or holds NaN or infinity, is
    gone through again cell by cell for the message that names the cell.
    """
    try:
        values = np.fromiter(map(float, (row[index] for row in table.rows)), np.float64, len(table.rows))
    except ValueError:  # float() takes the surrounding spaces, and refuses anything but a number
        values = None
    if values is None or not np.isfinite(values).all():
        return _numeric_cells(table, index, 0, len(table.rows))  # raises, naming the cell
    return values


def _numeric_cells(table: CsvTable, index: int, start: int, end: int) -> np.ndarray:
    """Rows `start` to `end` of a column converted cell by cell; CsvError at the first bad cell."""
    values = np.empty(end - start, dtype=np.float64)
    for i, row in enumerate(table.rows[start:end], start=start):
        cell = row[index].strip()
        number = table.row_numbers[i]
        if cell == "" or cell.lower() in ("na", "nan", "null", "none", "?"):
            raise CsvError(
                f"row {number}, {table.column_label(index)}: missing value; expected a number",
                table.path,
                row=number,
                column=table.header[index],
            )
        try:
            value = float(cell)
        except ValueError:
            raise CsvError(
                f"row {number}, {table.column_label(index)}: expected a number, found {cell_text(cell)}",
                table.path,
                row=number,
                column=table.header[index],
            ) from None
        if not np.isfinite(value):
            raise CsvError(
                f"row {number}, {table.column_label(index)}: expected a finite number, found {cell_text(cell)}",
                table.path,
                row=number,
                column=table.header[index],
            )
        values[i - start] = value
    return values


def load_csv(
    path: str | Path,
    features: list[str | int] | None = None,
    targets: list[str | int] | None = None,
    input_size: int | None = None,
    output_units: int | None = None,
    loss: str = "mean_squared_error",
    text: str | None = None,
) -> Dataset:
    """Features and targets from a CSV file, checked against the model's sizes and encoded for its loss.

    `targets` defaults to the last column, `features` to every other column. With a
    classification loss a single target column holds class labels (text or integers) that are
    encoded as the loss wants; otherwise every target column must be numeric.
    """
    table = read_table(path, text)
    width = len(table.header)
    target_idx = [table.column_index(c) for c in targets] if targets else [width - 1]
    if features:
        feature_idx = [table.column_index(c) for c in features]
    else:
        feature_idx = [i for i in range(width) if i not in target_idx]
    overlap = set(feature_idx) & set(target_idx)
    if overlap:
        i = min(overlap)
        raise CsvError(
            f"{table.column_label(i)} is chosen as both a feature and a target", table.path, column=table.header[i]
        )
    if not feature_idx:
        raise CsvError("no feature columns are left once the targets are taken", table.path)
    names = [table.header[i] for i in feature_idx]
    if input_size is not None and len(feature_idx) != input_size:
        raise CsvError(
            f"the model's Input takes {input_size} features but {len(feature_idx)} feature columns were chosen "
            f"({listing(names)})",
            table.path,
        )
    x = np.stack([numeric_column(table, i) for i in feature_idx], axis=1).astype(np.float32)

    classes: tuple[str, ...] = ()
    target_names = tuple(table.header[i] for i in target_idx)
    if len(target_idx) == 1 and (is_classification_loss(loss) or not _numeric(table, target_idx[0])):
        y, classes = _class_targets(table, target_idx[0], output_units, loss)
    else:
        y = np.stack([numeric_column(table, i) for i in target_idx], axis=1).astype(np.float32)
        if output_units is not None and y.shape[1] != output_units:
            raise CsvError(
                f"the model has {output_units} outputs but {y.shape[1]} target columns were chosen "
                f"({listing(target_names)})",
                table.path,
            )
    name = Path(table.path).stem if table.path else "csv"
    return Dataset(name, x, y, tuple(names), target_names, classes, info={"path": table.path, "rows": len(x)})


def _numeric(table: CsvTable, index: int) -> bool:
    """A column with any number in it is numeric (so a stray word is reported, not taken as a class)."""
    return any(_is_number(row[index]) for row in table.rows)


def _class_targets(table: CsvTable, index: int, output_units: int | None, loss: str):
    cells = [row[index].strip() for row in table.rows]
    for i, cell in enumerate(cells):
        if cell == "":
            number = table.row_numbers[i]
            raise CsvError(
                f"row {number}, {table.column_label(index)}: missing value; expected a class label",
                table.path,
                row=number,
                column=table.header[index],
            )
    keys = sorted(set(cells), key=float) if all(_is_number(c) for c in cells) else sorted(set(cells))
    lookup = {c: k for k, c in enumerate(keys)}
    labels = np.array([lookup[c] for c in cells], dtype=np.int64)
    count = len(keys)
    units = output_units if output_units is not None else (1 if count == 2 and loss in BINARY_LOSSES else count)
    if loss not in BINARY_LOSSES:  # one-hot rows (categorical or regression losses) or integers (sparse)
        ok = count <= units if loss in SPARSE_LOSSES else (count == units or (units == 1 and count == 2))
        if not ok:
            raise CsvError(
                f"{table.column_label(index)} has {count} classes ({listing(keys)}) but the model has "
                f"{units} outputs; expected {f'at least {count}' if loss in SPARSE_LOSSES else 'one output per class'}",
                table.path,
                column=table.header[index],
            )
    elif loss in BINARY_LOSSES and not (units == 1 and count <= 2) and count != units:
        raise CsvError(
            f"{table.column_label(index)} has {count} classes ({listing(keys)}) but the model has "
            f"{units} outputs; binary cross-entropy expects 2 classes and 1 output",
            table.path,
            column=table.header[index],
        )
    return encode_labels(labels, count, units, loss), tuple(keys)


def load_iris(
    input_size: int | None = 4, output_units: int | None = 3, loss: str = "categorical_crossentropy"
) -> Dataset:
    """Fisher's Iris data shipped in resources/datasets (4 features, 3 species)."""
    return load_csv(IRIS_PATH, input_size=input_size, output_units=output_units, loss=loss)


@dataclass(frozen=True)
class Normaliser:
    """z-score statistics from the training part, applied to any part."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Normaliser:
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        return cls(mean.astype(np.float32), np.where(std > 1e-12, std, 1.0).astype(np.float32))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)


# -- one description of "the data" for the command line, the engine and the training panel -----

SOURCES: tuple[str, ...] = ("synthetic", "iris", "csv")


@dataclass(frozen=True)
class DataConfig:
    """Where training data comes from; small and picklable, so it can travel to the engine.

    source "synthetic" uses `task`, `samples`, `noise`, `seed`; "iris" the shipped Iris file;
    "csv" the file at `path` with `features` and `targets` (names or 1-based numbers; empty:
    every column but the last, and the last). `normalise` z-scores the features with the
    training part's mean and standard deviation (CSV and Iris only).
    """

    source: str = "synthetic"
    task: str = "auto"
    samples: int = 512
    noise: float = 0.1
    seed: int = 0
    path: str | None = None
    features: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    normalise: bool = True

    def describe(self) -> str:
        if self.source == "synthetic":
            return f"synthetic {self.task} task, {self.samples} samples"
        if self.source == "iris":
            return "Iris (150 flowers)"
        return f"CSV {Path(self.path or '').name}"


@dataclass(frozen=True)
class PreparedData:
    """Training and validation arrays ready for `fit`, and how they were made."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    dataset: Dataset
    normaliser: Normaliser | None = None

    @property
    def validation_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None if self.x_val is None or self.y_val is None else (self.x_val, self.y_val)


def prepare(spec, config: DataConfig, validation_split: float = 0.0) -> PreparedData:
    """Load or make the data `config` describes for `spec`, split it and normalise it.

    Raises CsvError (file problems, sizes that do not fit the model) or DatasetError.
    """
    from nnstudio.core.datasets import DatasetError, for_spec, model_shapes, sample_count, single_io_problem, split

    if config.source == "synthetic":
        data = for_spec(spec, config.task, config.samples, config.seed, config.noise)
    elif config.source in ("csv", "iris"):
        problem = single_io_problem(spec)
        if problem:
            raise CsvError(problem)
        input_shape, output_shape = model_shapes(spec)
        if len(input_shape) != 1:
            raise CsvError(f"a CSV file feeds a flat Input; this model's Input has shape {input_shape}", config.path)
        path = IRIS_PATH if config.source == "iris" else config.path
        if not path:
            raise CsvError("no CSV file chosen")
        data = load_csv(
            path,
            list(config.features) or None,
            list(config.targets) or None,
            input_size=input_shape[0],
            output_units=output_shape[-1],
            loss=spec.compile.loss,
        )
        if len(output_shape) != 1:
            raise CsvError(
                f"a CSV file's targets fit a flat output; this model's output has shape {output_shape}", path
            )
    else:
        raise DatasetError(f"unknown data source {config.source!r}; choose one of {', '.join(SOURCES)}")
    x, y, x_val, y_val = split(data.x, data.y, validation_split, config.seed)
    normaliser = None
    if config.normalise and config.source != "synthetic":
        normaliser = Normaliser.fit(x)
        x = normaliser.apply(x)
        x_val = normaliser.apply(x_val)
    if sample_count(x_val) == 0:
        x_val = y_val = None
    return PreparedData(x, y, x_val, y_val, data, normaliser)
