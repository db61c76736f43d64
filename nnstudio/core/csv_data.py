"""Training data from a CSV file: pick feature and target columns, split, normalise (numpy + csv).

Every problem with the file is a `CsvError` whose message names the row (as a spreadsheet
numbers it: the header is row 1), the column (by header name and number) and what was
expected, for example:

    row 7, column 'sepal_width' (2): expected a number, found 'abc'
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio.core.datasets import (
    BINARY_LOSSES,
    SPARSE_LOSSES,
    Dataset,
    encode_labels,
    is_classification_loss,
)
from nnstudio.core.resources import resource

RESOURCES = resource("datasets")
IRIS_PATH = RESOURCES / "iris.csv"
MAX_BYTES = 200 * 1024 * 1024


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
            f"no column named {column!r}; the columns are {', '.join(self.header)}", self.path, column=str(column)
        )

    def column_label(self, index: int) -> str:
        return f"column {self.header[index]!r} ({index + 1})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(path: str | Path, text: str | None = None) -> CsvTable:
    """Read a CSV file's cells. The first row is a header unless every cell of it is a number."""
    path = str(path)
    if text is None:
        try:
            size = Path(path).stat().st_size
            if size > MAX_BYTES:
                raise CsvError(f"the file is {size:,} bytes; at most {MAX_BYTES:,} are read", path)
            with open(path, newline="", encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as exc:
            raise CsvError(f"cannot read the file: {exc.strerror or exc}", path) from exc
        except UnicodeDecodeError as exc:
            raise CsvError(f"the file is not UTF-8 text (byte {exc.start})", path) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise CsvError(f"not a readable CSV file: {exc}", path) from exc
    numbered = [(n, [c.strip() for c in row]) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise CsvError("the file has no rows", path)
    first_number, first = numbered[0]
    has_header = not all(_is_number(c) for c in first if c)
    if has_header:
        header = tuple(c or f"column {i + 1}" for i, c in enumerate(first))
        body = numbered[1:]
    else:
        header = tuple(f"column {i + 1}" for i in range(len(first)))
        body = numbered
    if not body:
        raise CsvError("the file has a header but no data rows", path)
    for number, row in body:
        if len(row) != len(header):
            raise CsvError(
                f"row {number}: has {len(row)} cells; expected {len(header)} like the {'header' if has_header else 'first row'}",
                path,
                row=number,
            )
    return CsvTable(path, header, tuple(tuple(r) for _, r in body), has_header, tuple(n for n, _ in body))


def numeric_column(table: CsvTable, index: int) -> np.ndarray:
    """A column as float64; a missing or non-numeric cell raises CsvError naming row and column."""
    values = np.empty(len(table.rows), dtype=np.float64)
    for i, row in enumerate(table.rows):
        cell = row[index]
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
                f"row {number}, {table.column_label(index)}: expected a number, found {cell!r}",
                table.path,
                row=number,
                column=table.header[index],
            ) from None
        if not np.isfinite(value):
            raise CsvError(
                f"row {number}, {table.column_label(index)}: expected a finite number, found {cell!r}",
                table.path,
                row=number,
                column=table.header[index],
            )
        values[i] = value
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
            f"({', '.join(names)})",
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
                f"({', '.join(target_names)})",
                table.path,
            )
    name = Path(table.path).stem if table.path else "csv"
    return Dataset(name, x, y, tuple(names), target_names, classes, info={"path": table.path, "rows": len(x)})


def _numeric(table: CsvTable, index: int) -> bool:
    """A column with any number in it is numeric (so a stray word is reported, not taken as a class)."""
    return any(_is_number(row[index]) for row in table.rows)


def _class_targets(table: CsvTable, index: int, output_units: int | None, loss: str):
    cells = [row[index] for row in table.rows]
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
                f"{table.column_label(index)} has {count} classes ({', '.join(keys[:10])}) but the model has "
                f"{units} outputs; expected {f'at least {count}' if loss in SPARSE_LOSSES else 'one output per class'}",
                table.path,
                column=table.header[index],
            )
    elif loss in BINARY_LOSSES and not (units == 1 and count <= 2) and count != units:
        raise CsvError(
            f"{table.column_label(index)} has {count} classes ({', '.join(keys[:10])}) but the model has "
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
    from nnstudio.core.datasets import DatasetError, for_spec, model_shapes, split

    if config.source == "synthetic":
        data = for_spec(spec, config.task, config.samples, config.seed, config.noise)
    elif config.source in ("csv", "iris"):
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
    if len(x_val) == 0:
        x_val = y_val = None
    return PreparedData(x, y, x_val, y_val, data, normaliser)
