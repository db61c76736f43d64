"""The analytic summary: what Keras's `model.summary()` will say, computed without Keras.

`analyze(spec)` walks the layers once (a functional model: its calls, each after the calls that
feed it), inferring shapes and parameter counts and collecting every validation problem;
`summary_text` and `summary_json` render the result as Keras and the command line's `--json`
contract do. A functional model's rows come in Keras's order, its Inputs included, with what each
layer is connected to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any

from nnstudio.core.graph import call_count, calls_to_outputs, graph_problems, keras_order, same_graph, sequential_like
from nnstudio.core.layers.base import format_shapes
from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.memo import IdentityMemo
from nnstudio.core.shapes import (
    BYTES_PER_PARAM,
    Inferred,
    InferredCalls,
    LayerError,
    Shape,
    infer_calls,
    infer_kept,
    reinfer_calls,
)
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef
from nnstudio.core.validation import HOW_TO_RAISE_BUDGET, Issue, check_compile, check_layer, check_model_name
from nnstudio.core.validation import param_budget as current_budget

Connection = tuple[str, int, int]  # (layer name, node index, tensor index), as Keras prints `name[0][0]`


@dataclass(frozen=True)
class LayerRow:
    """One row of the summary: a layer (after the Input in a Sequential model; every layer, Inputs
    included, in a functional one), its output shape (a shared layer's: its last call's, as Keras
    prints it), parameter counts (once, however often the layer is called) and inbound tensors."""

    index: int  # position in the spec's layers
    name: str
    class_name: str
    output_shape: Shape | None  # None when it cannot be inferred
    trainable: int = 0
    non_trainable: int = 0
    error: str | None = None
    more_outputs: tuple[Shape, ...] = ()  # the other outputs of a layer that gives several (return_state)
    # bytes beyond float32's 4 a parameter, trainable and not (Normalization's int64 count: 4 more)
    extra_bytes: tuple[int, int] = (0, 0)
    connected_to: tuple[Connection, ...] = ()  # every call's input tensors, calls in order (functional only)

    @cached_property
    def type_name(self) -> str:
        """The Keras class Keras prints (`InputLayer` for an Input)."""
        kind = layer_types().get(self.class_name)
        return kind.config_class if kind is not None else self.class_name

    @cached_property
    def connected_text(self) -> str:
        """The Connected to cell as Keras prints it: `dense[0][0], dense_1[0][0]`, or `-`."""
        return ", ".join(f"{name}[{node}][{tensor}]" for name, node, tensor in self.connected_to) or "-"

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def output_shapes(self) -> list[Shape | None]:
        """Every output's shape: the output, then the others (states)."""
        return [self.output_shape, *self.more_outputs]

    @cached_property
    def shape_text(self) -> str:
        """The Output Shape cell as Keras prints it."""
        return format_shapes(self.output_shapes)


@dataclass(frozen=True)
class Summary:
    """Everything the summary table shows, plus the problems that stop Keras from building."""

    name: str
    input_shape: Shape | None
    rows: tuple[LayerRow, ...]
    issues: tuple[Issue, ...] = field(default_factory=tuple)
    functional: bool = False  # rows hold the Inputs and what each layer is connected to
    sequential_like: bool = True  # Keras prints it without the Connected to column
    input_shapes: tuple[Shape | None, ...] = ()  # each model input's shape (a functional model)
    output_shapes: tuple[Shape | None, ...] = ()  # each model output's shape (a functional model)

    @property
    def ok(self) -> bool:
        return not self.issues

    @cached_property
    def trainable_params(self) -> int:
        return sum(r.trainable for r in self.rows)

    @cached_property
    def non_trainable_params(self) -> int:
        return sum(r.non_trainable for r in self.rows)

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @cached_property
    def trainable_bytes(self) -> int:
        """The trainable weights' memory as Keras's summary counts it (each by its dtype)."""
        return self.trainable_params * BYTES_PER_PARAM + sum(r.extra_bytes[0] for r in self.rows)

    @cached_property
    def non_trainable_bytes(self) -> int:
        return self.non_trainable_params * BYTES_PER_PARAM + sum(r.extra_bytes[1] for r in self.rows)

    @property
    def total_bytes(self) -> int:
        return self.trainable_bytes + self.non_trainable_bytes

    def issues_for(self, index: int) -> list[Issue]:
        """The problems of layer `index` (from an index built once: views ask for every row)."""
        by_layer = self.__dict__.get("_by_layer")
        if by_layer is None:
            by_layer = _index(self.issues)
            object.__setattr__(self, "_by_layer", by_layer)
        return list(by_layer.get(index, ()))


def readable_bytes(size: float) -> str:
    """Keras's `readable_memory_size`: 7.79 KB, 0.00 B, 3.64 TB (binary units)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def count_with_size(count: int, size: int | None = None) -> str:
    """`1,994 (7.79 KB)`: a parameter count with its memory (`size` bytes; float32's by default), as Keras prints it."""
    return f"{count:,} ({readable_bytes(count * BYTES_PER_PARAM if size is None else size)})"


def _index(issues: tuple[Issue, ...] | list[Issue]) -> dict[int | None, list[Issue]]:
    by_layer: dict[int | None, list[Issue]] = {}
    for issue in issues:
        by_layer.setdefault(issue.layer_index, []).append(issue)
    return by_layer


class _Issues(list):
    """The problems found so far, with each layer's also kept by index (linear, not layers x issues)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_layer: dict[int | None, list[Issue]] = {}

    def append(self, issue: Issue) -> None:
        super().append(issue)
        self.by_layer.setdefault(issue.layer_index, []).append(issue)

    def extend(self, issues) -> None:
        for issue in issues:
            self.append(issue)


_layer_checks: IdentityMemo[list[Issue]] = IdentityMemo()  # check_layer's problems per layer object and index
# each layer's row, kept per layer object with what else it was made from (the same objects again: an
# edited model's untouched rows are the same LayerRow objects, which views compare by identity)
_rows: IdentityMemo[LayerRow] = IdentityMemo()


def _row(
    index: int,
    layer: LayerSpec,
    inferred: Inferred | None,
    shapes: tuple[Shape, ...] | None,
    error: str | None,
    connected: tuple[Connection, ...] = (),
) -> LayerRow:
    """Layer `index`'s row: its last call's output `shapes` and the parameters its first call's `inferred`
    counts (None for an Input), or no shape when it has an `error` or no shapes."""

    def make() -> LayerRow:
        if error is not None or shapes is None:
            return LayerRow(index, layer.name, layer.class_name, None, error=error, connected_to=connected)
        counted = (
            (0, 0, (0, 0)) if inferred is None else (inferred.trainable, inferred.non_trainable, inferred.extra_bytes)
        )
        return LayerRow(
            index,
            layer.name,
            layer.class_name,
            shapes[0],
            counted[0],
            counted[1],
            more_outputs=tuple(shapes[1:]),
            extra_bytes=counted[2],
            connected_to=connected,
        )

    return _rows.get(layer, (index, inferred, shapes, error, connected), make)


def analyze(spec: ModelSpec, param_budget: int | None = None) -> Summary:
    """Infer every layer's output shape and parameters and collect every problem, in one pass;
    a model over `param_budget` parameters (the budget in force when None) is refused."""
    if param_budget is None:
        param_budget = current_budget()
    issues = _Issues()
    if not spec.layers:
        return Summary(spec.name, None, (), (Issue("model: the model has no layers; add an Input first"),))
    issues.extend(check_model_name(spec.name))
    issues.extend(check_compile(spec.compile))
    model_issues = len(issues)  # the model's own (its name, its compile settings); the layers' follow
    if spec.is_functional:
        edited = _reanalyze_graph(spec, tuple(issues))
        if edited is not None:
            return _with_budget(edited, param_budget)
    names: dict[str, int] = {}
    kinds = layer_types()
    for index, layer in enumerate(spec.layers):
        issues.extend(_layer_checks.get(layer, index, partial(check_layer, index, layer)))
        kind = kinds.get(layer.class_name)
        problem = kind.sequential_problem() if kind is not None and not spec.is_functional else None
        if problem:
            issues.append(Issue(f"{layer.name}: {problem}", index, layer.name))
        if layer.name in names:
            issues.append(
                Issue(
                    f"{layer.name}: the name is already used by layer {names[layer.name] + 1}; names must be unique",
                    index,
                    layer.name,
                    "name",
                )
            )
        names.setdefault(layer.name, index)

    if spec.is_functional:
        return _with_budget(_analyze_graph(spec, issues, model_issues), param_budget)

    first = spec.layers[0]
    input_shape: Shape | None = None
    if not is_input(first.class_name):
        issues.append(
            Issue(f"{first.name}: the first layer must be an Input that gives the data's shape", 0, first.name)
        )
    elif not issues_at(issues, 0):
        input_shape = tuple(first.get("shape"))
    for index, layer in enumerate(spec.layers[1:], start=1):
        if is_input(layer.class_name):
            issues.append(Issue(f"{layer.name}: a model has one Input, and it comes first", index, layer.name))

    rows: list[LayerRow] = []
    shape = input_shape
    for index, layer in enumerate(spec.layers[1:], start=1):
        if is_input(layer.class_name):
            continue
        if rows and rows[-1].more_outputs:  # Keras's Sequential passes all of them on
            before = rows[-1]
            issues.append(
                Issue(
                    f"{layer.name}: expects 1 input(s), but it received {len(before.output_shapes)} input tensors: "
                    f"{before.name} gives its states too, so only the model's last layer may set return_state "
                    "(or merge_mode None)",
                    index,
                    layer.name,
                )
            )
        row_issues = issues_at(issues, index)
        if shape is None or row_issues:
            rows.append(_row(index, layer, None, None, _first(row_issues)))
            shape = None
            continue
        try:
            inferred = infer_kept(layer, [shape])
        except LayerError as exc:
            issue = Issue(f"{layer.name}: {exc}", index, layer.name, exc.field)
            issues.append(issue)
            rows.append(_row(index, layer, None, None, issue.message))
            shape = None
            continue
        shape = inferred.outputs[0]
        rows.append(_row(index, layer, inferred, inferred.outputs, None))

    return _with_budget(Summary(spec.name, input_shape, tuple(rows), tuple(issues)), param_budget)


def _with_budget(summary: Summary, param_budget: int) -> Summary:
    """`summary`, with the budget problem added when the model is bigger than `param_budget`."""
    if summary.total_params > param_budget:
        return replace(summary, issues=(*summary.issues, budget_issue(summary, param_budget)))
    return summary


# The newest sound functional model's calls and summary: an edit of its layers' settings is analysed
# from them (`_reanalyze_graph`). Specs are immutable; a tuple is replaced whole (threads may share it).
_kept: tuple[InferredCalls, Summary] | None = None


def forget_analyses() -> None:
    """Analyse the next model from scratch (nothing kept from an earlier one)."""
    global _kept
    _kept = None


def _reanalyze_graph(spec: ModelSpec, model_issues: tuple[Issue, ...]) -> Summary | None:
    """The summary of `spec` when it is the kept sound model with some layers' settings edited (the
    same graph, layer for layer): only the edited layers and the calls their outputs reach are
    inferred again, the other rows are the kept ones. None when `analyze` must do the whole model:
    another graph, or an edit that brings a problem at a layer (whose order among the others
    only the whole analysis gives)."""
    global _kept
    kept = _kept
    if kept is None or not same_graph(kept[0].spec, spec):
        return None
    calls, before = kept
    changed = [i for i, (old, new) in enumerate(zip(calls.spec.layers, spec.layers, strict=True)) if old is not new]
    for i in changed:
        if _layer_checks.get(spec.layers[i], i, partial(check_layer, i, spec.layers[i])):
            return None
    found = reinfer_calls(calls, spec, changed)
    if found is None:
        return None
    calls, touched = found
    rows = list(before.rows)
    row_of = {row.index: k for k, row in enumerate(rows)} if touched else {}
    for position in touched:
        layer, old = spec.layers[position], rows[row_of[position]]
        weights = None if is_input(layer.class_name) else calls.inferred[(position, 0)]
        rows[row_of[position]] = _row(position, layer, weights, calls.outputs[(position, 0)], None, old.connected_to)
    summary = replace(
        before,
        name=spec.name,
        rows=tuple(rows),
        issues=model_issues,
        input_shapes=tuple(_shape_of(spec, calls.outputs, ref) for ref in spec.inputs),
        output_shapes=tuple(_shape_of(spec, calls.outputs, ref) for ref in spec.outputs),
    )
    summary = replace(summary, input_shape=summary.input_shapes[0] if summary.input_shapes else None)
    _kept = (calls, summary)
    return summary


def _shape_of(spec: ModelSpec, outputs: dict[tuple[int, int], tuple[Shape, ...]], ref: TensorRef) -> Shape | None:
    """The shape of the tensor `ref` names, or None when it has none (or names nothing)."""
    try:
        found = outputs.get((spec.position_of(ref.layer), ref.node))
    except KeyError:
        return None
    return found[ref.tensor] if found is not None and 0 <= ref.tensor < len(found) else None


def _analyze_graph(spec: ModelSpec, issues: _Issues, model_issues: int) -> Summary:
    """A functional model's summary: the graph's structure checked, each call's shapes inferred from
    its inbound tensors, one row per layer in Keras's order (parameters counted once per layer). A
    model without a problem at its layers (the first `model_issues` issues are the model's own) is
    kept for its next edit."""
    global _kept
    issues.extend(graph_problems(spec))
    blocked = {i.layer_index for i in issues if i.layer_index is not None}
    names = {layer.id: layer.name for layer in spec.layers}
    spare = [(spec.position_of(ref.layer), 0) for ref in spec.inputs if ref.layer in names]  # Keras shows them too
    order = calls_to_outputs(spec)
    order += tuple(n for n in spare if n not in order)
    outputs, inferred, shape_issues = infer_calls(spec, order, blocked)
    issues.extend(shape_issues)
    rows = []
    for position in keras_order(spec):
        layer = spec.layers[position]
        connected = tuple(
            (names.get(ref.layer, ref.layer), ref.node, ref.tensor)
            for call in spec.connections(position)
            for ref in call
        )
        row_issues = issues_at(issues, position)
        shapes = outputs.get((position, call_count(spec, position) - 1))
        weights = None if is_input(layer.class_name) else inferred.get((position, 0))
        if weights is None and not is_input(layer.class_name):
            shapes = None
        rows.append(_row(position, layer, weights, shapes, _first(row_issues), connected))

    input_shapes = tuple(_shape_of(spec, outputs, ref) for ref in spec.inputs)
    summary = Summary(
        spec.name,
        input_shapes[0] if input_shapes else None,
        tuple(rows),
        tuple(issues),
        functional=True,
        sequential_like=sequential_like(spec),
        input_shapes=input_shapes,
        output_shapes=tuple(_shape_of(spec, outputs, ref) for ref in spec.outputs),
    )
    if len(issues) == model_issues:
        _kept = (InferredCalls.of(spec, order, outputs, inferred), summary)
    return summary


def budget_issue(summary: Summary, param_budget: int) -> Issue:
    """The problem raised when a model is bigger than the parameter budget, naming its biggest layer
    (and the parameter that sizes it)."""
    worst = max(summary.rows, key=lambda r: r.params)
    kind = layer_types().get(worst.class_name)
    return Issue(
        f"{worst.name}: the model would have {count_with_size(summary.total_params)} of parameters, "
        f"over the budget of {count_with_size(param_budget)}; {HOW_TO_RAISE_BUDGET}",
        worst.index,
        worst.name,
        kind.size_param if kind is not None else None,
    )


def issues_at(issues: list[Issue], index: int) -> list[Issue]:
    """The problems of layer `index` among `issues` (indexed when `issues` is analyze's own list)."""
    if isinstance(issues, _Issues):
        return list(issues.by_layer.get(index, ()))
    return [i for i in issues if i.layer_index == index]


def _first(issues: list[Issue]) -> str | None:
    return issues[0].message if issues else None


# -- rendering -------------------------------------------------------------------------------

TERMINAL_COLUMNS = 80  # the width Keras (shutil, rich) assumes when it prints to a pipe without COLUMNS
_MIN_COLUMNS = 40  # narrower terminals make Keras refuse ("Insufficient console width"); we print at 40
_LINE_LENGTH = TERMINAL_COLUMNS - 4  # Keras's table width at 80 columns: the terminal's width less 4
_SEQUENTIAL_POSITIONS = (0.45, 0.80, 1.0)  # summary_utils.print_summary's column positions
_FUNCTIONAL_POSITIONS = (0.3, 0.56, 0.74, 1.0)  # ... when a Connected to column is needed
_SEQUENTIAL_LINE_LENGTH = 88  # print_summary's default_line_length for each kind of table
_FUNCTIONAL_LINE_LENGTH = 108


def _ratio_reduce(total: int, widths: list[int]) -> list[int]:
    """rich's `ratio_reduce` with equal ratios: take `total` off `widths`, spread evenly."""
    result, remaining, parts = [], total, len(widths)
    for width in widths:
        taken = min(width, round(remaining / parts))
        result.append(width - taken)
        remaining -= taken
        parts -= 1
    return result


def column_widths(positions: tuple[float, ...], line_length: int = _LINE_LENGTH) -> tuple[int, ...]:
    """Each column's width, its padding included, as Keras sizes them (`int(position * line_length)`
    steps) and rich then fits them, with their padding of one space each side, inside the table's
    borders."""
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        widths.append(width + 2)
        current += width
    excess = sum(widths) - (line_length - len(widths) - 1)
    return tuple(_ratio_reduce(excess, widths) if excess > 0 else widths)


def wrap_text(text: str, width: int, fold: bool = False) -> list[str]:
    """Word-wrap `text` into lines of at most `width` characters as rich does in Keras's table.

    A word longer than `width` gets a line of its own and is cut with "…" (table cells), or,
    with `fold`, is folded across lines (the console's own text).
    """
    lines: list[str] = []
    line = ""
    for word in re.findall(r"\s*\S+\s*", text) or [""]:
        bare = len(word.rstrip())
        if len(line) + bare <= width:
            line += word
        elif bare > width and fold:
            if line:
                lines.append(line)
            chunks = [word[i : i + width] for i in range(0, len(word), width)]
            lines.extend(chunks[:-1])
            line = chunks[-1]
        else:
            if line:
                lines.append(line)
            line = word
    lines.append(line)
    if fold:  # console text keeps its trailing spaces up to the width
        return [ln[: max(width, len(ln.rstrip()))][:width] for ln in lines]
    return [ln.rstrip() if len(ln.rstrip()) <= width else ln.rstrip()[: width - 1] + "…" for ln in lines]


def summary_text(summary: Summary, columns: int = TERMINAL_COLUMNS) -> str:
    """The summary laid out as Keras's `model.summary()` prints it on a terminal `columns` wide
    (long cells wrap as there); a functional model that is not sequential-like gets Keras's
    Connected to column.

    Keras's table is `min(88, columns - 4)` wide (108 with Connected to) and its title folds at
    the console's width, `columns`."""
    columns = max(columns, _MIN_COLUMNS)
    with_connections = not summary.sequential_like
    default_length = _FUNCTIONAL_LINE_LENGTH if with_connections else _SEQUENTIAL_LINE_LENGTH
    line_length = min(default_length, columns - 4)
    widths = column_widths(_FUNCTIONAL_POSITIONS if with_connections else _SEQUENTIAL_POSITIONS, line_length)
    aligns = ("<", "<", ">", "<")

    def cells(texts: tuple[str, ...], bar: str, bottom: bool = False) -> list[str]:
        """One row of the table; rich aligns a header's cells to the bottom, the others to the top."""
        columns = [wrap_text(text, width - 2) for text, width in zip(texts, widths, strict=True)]
        height = max(len(col) for col in columns)
        padded = [
            ([""] * (height - len(col)) + col) if bottom else (col + [""] * (height - len(col))) for col in columns
        ]
        return [
            bar
            + bar.join(
                f" {cell:{align}{width - 2}} "
                for cell, align, width in zip(line, aligns[: len(widths)], widths, strict=True)
            )
            + bar
            for line in zip(*padded, strict=True)
        ]

    def rule(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * width for width in widths) + right

    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")[: len(widths)]
    lines = [
        *wrap_text(f'Model: "{summary.name}"', columns, fold=True),
        rule("┏", "━", "┳", "┓"),
        *cells(header, "┃", bottom=True),
        rule("┡", "━", "╇", "┩"),
    ]
    for i, row in enumerate(summary.rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        texts = (f"{row.name} ({row.type_name})", row.shape_text, f"{row.params:,}", row.connected_text)
        lines += cells(texts[: len(widths)], "│")
    lines.append(rule("└", "─", "┴", "┘"))
    lines += [
        f" Total params: {count_with_size(summary.total_params, summary.total_bytes)}",
        f" Trainable params: {count_with_size(summary.trainable_params, summary.trainable_bytes)}",
        f" Non-trainable params: {count_with_size(summary.non_trainable_params, summary.non_trainable_bytes)}",
    ]
    return "\n".join(lines)


def _json_shapes(row: LayerRow) -> list | None:
    """`[None, 64]`, or for a layer with several outputs a list of such shapes."""
    if row.output_shape is None:
        return None
    shapes = [[None, *shape] for shape in row.output_shapes if shape is not None]
    return shapes[0] if len(shapes) == 1 else shapes


def summary_json(summary: Summary) -> dict[str, Any]:
    """The command line's `--json` form of a summary. A functional model's layers (its Inputs
    included, type `InputLayer`) carry `connected_to`: `[layer name, node index, tensor index]` per
    inbound tensor, calls in order (`[]` for an Input); a Sequential model's rows stay without it,
    as Keras prints no such column for one."""
    return {
        "name": summary.name,
        "layers": [
            {
                "name": r.name,
                "type": r.type_name,
                "output_shape": _json_shapes(r),
                "params": r.params,
                **({"connected_to": [list(c) for c in r.connected_to]} if summary.functional else {}),
            }
            for r in summary.rows
        ],
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "non_trainable_params": summary.non_trainable_params,
        "total_bytes": summary.total_bytes,
    }
