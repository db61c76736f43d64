"""Parameter kinds: what a layer parameter's values may be, and how each part of nnstudio treats them.

A kind knows how to check a value in Keras's own words (`units must be a positive integer.
Received: units=-5`), read it from a `.keras` config value (an initializer object -> its name;
anything else is refused), turn it into the Keras constructor argument, write it as Python source
(safe by construction), and which editor the property editor shows for it (`editor`, an id the UI
maps to a widget). Kinds whose editor is a text field also parse and format that text.

A `Param` is one parameter of a layer type: its name, kind, nnstudio's default for a new layer,
Keras's own default, help text and the config key Keras writes it under.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from nnstudio.core.file_values import shown
from nnstudio.core.layers.config_values import (
    held_initializer,
    initializer_problem,
    initializer_value,
    is_plain,
    object_name,
)
from nnstudio.core.layers.names import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    CONSTRAINTS,
    INITIALIZER_SETTINGS,
    INITIALIZERS,
    INPUT_DTYPES,
    REGULARIZERS,
)
from nnstudio.core.pysource import literal

MAX_UNITS = 1_000_000
MAX_DIM = 1_000_000
MAX_TEXT = 256
MAX_RANK = 8  # axes of a sample (the batch axis not counted): a .keras batch_shape holds at most 9 entries


class REQUIRED:  # noqa: N801 - a sentinel, used as a value
    """Keras's default for an argument Keras requires (`Dense(units)`): there is none."""


def received(name: str, value: Any) -> str:
    return f"Received: {name}={shown(value)}"


def short(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters and escaped, safe for a one-line message."""
    return shown(value, limit)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_tuple_text(value: Any) -> str:
    return repr(tuple(value)) if isinstance(value, list) else repr(value)


@dataclass(frozen=True)
class ParamKind:
    """The base of every kind: plain JSON values, passed to Keras and written as they are."""

    editor: ClassVar[str] = ""
    nesting: ClassVar[int] = 1  # how deep lists may nest in a value (1: a flat list; a list of pairs: 2)
    nested: ClassVar[bool] = False  # values are objects (a layer inside a layer), read by `from_project`
    object_values: ClassVar[bool] = False  # values may be small JSON objects, read by `from_project`

    def check(self, name: str, value: Any) -> str | None:
        """Why `value` does not fit, in Keras's words (without the layer's name), or None."""
        return None

    def problems(self, name: str, value: Any) -> list[tuple[str, str]]:
        """Every reason `value` does not fit, each with the field it belongs to (`name`, or for a
        nested kind a dotted field such as `layer.units`)."""
        problem = self.check(name, value)
        return [(name, problem)] if problem else []

    def from_project(self, name: str, value: Any) -> Any:
        """The value of a nested kind as a project file holds it; ValueError with the reason (plain
        kinds are checked as plain values by the project reader)."""
        return value

    def from_config(self, name: str, value: Any) -> Any:
        """The value as the spec holds it, from a `.keras` config; ValueError with the reason when
        the config holds something nnstudio cannot take. Range checks are left to `check`."""
        if not is_plain(value):
            raise ValueError(f"{name} must be a plain value. Received: {name}={short(value)}")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ValueError(f"{name} is a text longer than {MAX_TEXT} characters")
        return value

    def to_keras(self, value: Any) -> Any:
        """The argument for the Keras constructor."""
        return value

    def to_source(self, value: Any) -> str:
        """The argument as Python source."""
        return literal(value)

    def fresh(self, value: Any) -> Any:
        """A copy of `value` that edits of another copy cannot reach."""
        return copy.deepcopy(value)

    def describe(self) -> str:
        """What values fit, for a tooltip ("" when the editor shows it)."""
        return ""

    def parse_text(self, text: str) -> Any:
        """The value typed as `text` into a text editor; ValueError with a readable reason."""
        raise ValueError(f"{type(self).__name__} values are not typed as text")

    def format_text(self, value: Any) -> str:
        """`value` as a text editor shows it."""
        return "" if value is None else str(value)

    def as_config(self, value: Any) -> Any:
        """`value` as Keras's `get_config()` writes it and `from_config` reads it back (Keras keeps
        some arguments in a standard form: a kernel size 3 as (3, 3))."""
        return value


@dataclass(frozen=True)
class Integer(ParamKind):
    """A whole number in [minimum, maximum] (units, filters: minimum 1)."""

    minimum: int = 1
    maximum: int = MAX_UNITS
    editor: ClassVar[str] = "int"

    def check(self, name: str, value: Any) -> str | None:
        if not _is_int(value) or value < self.minimum:
            return f"{name} must be {_integer_words(self.minimum)}. {received(name, value)}"
        if value > self.maximum:
            return f"{name} must be at most {self.maximum:,}. {received(name, value)}"
        return None


def PositiveInt(maximum: int = MAX_UNITS) -> Integer:  # noqa: N802 - reads as a kind
    """A whole number from 1 to `maximum`."""
    return Integer(1, maximum)


def _integer_words(minimum: int) -> str:
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


@dataclass(frozen=True)
class OptionalInt(ParamKind):
    """A whole number in [minimum, maximum], or None (Keras picks, or the feature is off)."""

    minimum: int = 0
    maximum: int = 2**31 - 1
    editor: ClassVar[str] = "optional_int"

    def check(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not _is_int(value) or not self.minimum <= value <= self.maximum:
            return (
                f"{name} must be None or an integer from {self.minimum:,} to {self.maximum:,}. {received(name, value)}"
            )
        return None

    def parse_text(self, text: str) -> Any:
        cleaned = text.strip()
        if cleaned in ("", "None", "none"):
            return None
        if not re.fullmatch(r"-?\d+", cleaned):
            raise ValueError(f"'{cleaned}' is not a whole number; enter a number or None")
        return int(cleaned)

    def format_text(self, value: Any) -> str:
        return "None" if value is None else str(value)


@dataclass(frozen=True)
class IntTuple(ParamKind):
    """`rank` whole numbers (kernel_size, strides); one number stands for all, as in Keras.
    With `allow_none`, None too (a transposed convolution's output_padding: Keras picks it)."""

    rank: int = 2
    minimum: int = 1
    maximum: int = MAX_DIM
    allow_none: bool = False
    editor: ClassVar[str] = "int_tuple"

    def check(self, name: str, value: Any) -> str | None:
        if value is None and self.allow_none:
            return None
        values = [value] if _is_int(value) else value
        bound = "> 0" if self.minimum == 1 else f">= {self.minimum}"
        message = (
            f"{name} must be {'None, ' if self.allow_none else ''}an integer or a tuple of {self.rank} "
            f"integers {bound}. Received: {name}={_as_tuple_text(value)}"
        )
        if not isinstance(values, (list, tuple)) or (not _is_int(value) and len(values) != self.rank):
            return message
        if not all(_is_int(v) and v >= self.minimum for v in values):
            return message
        if any(v > self.maximum for v in values):
            return f"{name} entries must be at most {self.maximum:,}. Received: {name}={_as_tuple_text(value)}"
        return None

    def to_keras(self, value: Any) -> Any:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def parse_text(self, text: str) -> Any:
        if self.allow_none and text.strip() in ("", "None", "none"):
            return None
        example = ", ".join(["3"] * self.rank)
        values = _parse_numbers(text, allow_none=False, example=example)
        return values[0] if len(values) == 1 else values

    def format_text(self, value: Any) -> str:
        return "None" if value is None and self.allow_none else _join(value)

    def as_config(self, value: Any) -> Any:
        """Keras's `standardize_tuple`: one number stands for all `rank` entries."""
        if _is_int(value):
            return [value] * self.rank
        return list(value) if isinstance(value, (list, tuple)) else value

    def describe(self) -> str:
        none = "; None: Keras picks" if self.allow_none else ""
        return (f"{self.rank} whole numbers, or one for all" if self.rank > 1 else "a whole number") + none


@dataclass(frozen=True)
class FloatRange(ParamKind):
    """A finite number between `minimum` and `maximum` (None: unbounded), each end open or closed."""

    minimum: float | None = 0.0
    maximum: float | None = 1.0
    min_open: bool = False
    max_open: bool = False
    editor: ClassVar[str] = "float"

    def check(self, name: str, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{name} must be a finite number. {received(name, value)}"
        low, high = self.minimum, self.maximum
        too_low = low is not None and (value <= low if self.min_open else value < low)
        too_high = high is not None and (value >= high if self.max_open else value > high)
        if too_low or too_high:
            return f"{name} must be in the range {self.describe()}. {received(name, value)}"
        return None

    def describe(self) -> str:
        opening = "(" if self.min_open or self.minimum is None else "["
        closing = ")" if self.max_open or self.maximum is None else "]"
        low = "-inf" if self.minimum is None else f"{self.minimum:g}"
        high = "inf" if self.maximum is None else f"{self.maximum:g}"
        return f"{opening}{low}, {high}{closing}"


@dataclass(frozen=True)
class Choice(ParamKind):
    """One of a fixed list of names (padding, data_format, an activation, an initializer, ...)."""

    choices: tuple[str, ...] = ()
    accepted_by: str = "Keras accepts"
    editor: ClassVar[str] = "choice"

    def check(self, name: str, value: Any) -> str | None:
        if value not in self.choices:
            listed = ", ".join(self.choices[:6]) + (", …" if len(self.choices) > 6 else "")
            return f"unknown {name} {value!r}; {self.accepted_by} {listed}. {received(name, value)}"
        return None


@dataclass(frozen=True)
class OptionalChoice(Choice):
    """One of a fixed list of names, or None (Bidirectional's merge_mode)."""

    editor: ClassVar[str] = "optional_choice"

    def check(self, name: str, value: Any) -> str | None:
        return None if value is None else super().check(name, value)

    def format_text(self, value: Any) -> str:
        return "None" if value is None else str(value)


@dataclass(frozen=True)
class ActivationChoice(Choice):
    """An activation function by its Keras name; Keras writes an alias under its other name."""

    def as_config(self, value: Any) -> Any:
        return ACTIVATION_ALIASES.get(value, value) if isinstance(value, str) else value


def ActivationName() -> ActivationChoice:  # noqa: N802 - reads as a kind
    """An activation function by its Keras name."""
    return ActivationChoice(ACTIVATIONS)


def DType(choices: tuple[str, ...] = INPUT_DTYPES) -> Choice:  # noqa: N802 - reads as a kind
    """A tensor dtype by name (`float32`, `int32`, ...)."""
    return Choice(choices, accepted_by="nnstudio takes")


@dataclass(frozen=True)
class InitializerName(Choice):
    """An initializer by its Keras name, or with settings other than Keras's defaults as
    `{"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}` (only the
    settings that differ); a `.keras` file's initializer object reads as one of the two."""

    choices: tuple[str, ...] = tuple(INITIALIZERS)
    object_values: ClassVar[bool] = True

    def check(self, name: str, value: Any) -> str | None:
        if not isinstance(value, dict):
            return super().check(name, value)
        problem = initializer_problem(value)
        if problem is None and _snake(value) not in self.choices:
            problem = f"{name} cannot be {value['class_name']} here"
        return f"{name}: {problem}" if problem else None

    def from_config(self, name: str, value: Any) -> Any:
        held = initializer_value(value)
        if held is None:
            raise ValueError(f"{name} must be one of Keras's initializers. Received: {short(value)}")
        return held

    def from_project(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ValueError(f"{name} is a text longer than {MAX_TEXT} characters")
            return value
        problem = initializer_problem(value)
        if problem is not None:
            raise ValueError(f"{name}: {problem}")
        return held_initializer(value)

    def to_keras(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {"class_name": value["class_name"], "config": dict(value["config"])}
        return value

    def to_source(self, value: Any) -> str:
        if isinstance(value, dict):  # the class and its settings' names come from nnstudio's own table
            problem = initializer_problem(value)
            if problem is not None:
                raise ValueError(f"no Python source for this initializer: {problem}")
            arguments = ", ".join(f"{key}={literal(setting)}" for key, setting in value["config"].items())
            return f"keras.initializers.{value['class_name']}({arguments})"
        return literal(value)

    def format_text(self, value: Any) -> str:
        if isinstance(value, dict):
            settings = ", ".join(f"{key}={shown(setting)}" for key, setting in value["config"].items())
            return f"{_snake(value)}({settings})"
        return super().format_text(value)

    def as_config(self, value: Any) -> Any:
        if isinstance(value, dict):  # Keras's get_config() writes every setting
            config = {**INITIALIZER_SETTINGS[value["class_name"]], **value["config"]}
            return {"module": "keras.initializers", "class_name": value["class_name"], "config": config}
        return value


def _snake(value: dict[str, Any]) -> str:
    return {cls: snake for snake, cls in INITIALIZERS.items()}[value["class_name"]]


@dataclass(frozen=True)
class OptionalName(ParamKind):
    """None or a Keras name (a regularizer, a constraint); a `.keras` file's object reads as its
    name when its settings are the ones the name gives."""

    module: str = ""
    table: tuple[tuple[str, tuple[str, tuple[tuple[str, Any], ...]]], ...] = ()
    editor: ClassVar[str] = "optional_choice"

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.table)

    def check(self, name: str, value: Any) -> str | None:
        if value is None or value in self.choices:
            return None
        return f"unknown {name} {value!r}; Keras accepts None, {', '.join(self.choices)}. {received(name, value)}"

    def from_config(self, name: str, value: Any) -> Any:
        if value is None or value in self.choices:
            return value
        table = {n: (cls, dict(settings)) for n, (cls, settings) in self.table}
        found = object_name(value, self.module, table)
        if found is None:
            raise ValueError(
                f"{name} is not supported. Received: {name}={short(value)}; nnstudio takes None or "
                f"{', '.join(self.choices)} with Keras's default settings"
            )
        return found

    def format_text(self, value: Any) -> str:
        return "None" if value is None else str(value)


def _table(
    source: dict[str, tuple[str, dict[str, Any]]],
) -> tuple[tuple[str, tuple[str, tuple[tuple[str, Any], ...]]], ...]:
    return tuple((name, (cls, tuple(settings.items()))) for name, (cls, settings) in source.items())


def RegularizerName(names: tuple[str, ...] | None = None) -> OptionalName:  # noqa: N802 - reads as a kind
    """None or a regularizer by its Keras name (`l2`); `names`: only these (a convolution's kernel
    cannot take the orthogonal regularizer, which needs 2-D weights)."""
    chosen = REGULARIZERS if names is None else {n: REGULARIZERS[n] for n in names}
    return OptionalName("keras.regularizers", _table(chosen))


def ConstraintName() -> OptionalName:  # noqa: N802 - reads as a kind
    """None or a weight constraint by its Keras name (`max_norm`)."""
    return OptionalName("keras.constraints", _table(CONSTRAINTS))


@dataclass(frozen=True)
class Flag(ParamKind):
    """True or false."""

    editor: ClassVar[str] = "bool"

    def check(self, name: str, value: Any) -> str | None:
        if not isinstance(value, bool):
            return f"{name} must be true or false. {received(name, value)}"
        return None


@dataclass(frozen=True)
class ShapeKind(ParamKind):
    """A shape without the batch axis: sizes, with one -1 (`wildcard`: Reshape infers it) or None
    entries (`allow_none`: a size that varies from batch to batch) where Keras allows them."""

    wildcard: bool = False
    allow_none: bool = False
    maximum: int = MAX_DIM
    editor: ClassVar[str] = "shape"

    def check(self, name: str, value: Any) -> str | None:
        if not isinstance(value, (list, tuple)) or not value:
            return f"{name} must be a non-empty list of positive integers. {received(name, value)}"
        if len(value) > MAX_RANK:  # what a .keras file can carry back
            return f"{name} may have at most {MAX_RANK} axes. {received(name, value)}"
        for d in value:
            if d is None and self.allow_none:
                continue
            if not _is_int(d) or (d < 1 and not (self.wildcard and d == -1)):
                return f"{name} must hold positive integers{' (or one -1)' if self.wildcard else ''}. {received(name, value)}"
            if d > self.maximum:
                return f"{name} entries must be at most {self.maximum:,}. {received(name, value)}"
        if list(value).count(-1) > 1:
            return f"{name} may hold at most one -1. {received(name, value)}"
        return None

    def to_keras(self, value: Any) -> Any:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def to_source(self, value: Any) -> str:
        return literal(self.to_keras(value))

    def parse_text(self, text: str) -> Any:
        return _parse_numbers(text, allow_none=self.allow_none, example="None, 8" if self.allow_none else "28, 28")

    def format_text(self, value: Any) -> str:
        return _join(value)

    def describe(self) -> str:
        if self.allow_none:
            return "sizes such as 28, 28; None for a size that varies (a sequence's length)"
        if self.wildcard:
            return "sizes such as 4, 5; one entry may be -1"
        return "sizes such as 28, 28"


@dataclass(frozen=True)
class BatchShape(ShapeKind):
    """An Input's shape, which Keras writes with the batch axis first (`batch_shape: [null, 20]`)."""

    def from_config(self, name: str, value: Any) -> Any:
        if not isinstance(value, list) or not 2 <= len(value) <= MAX_RANK + 1 or not is_plain(value):
            raise ValueError(f"{name} must be a list of 2 to {MAX_RANK + 1} entries. Received: {short(value)}")
        if value[0] is not None:
            raise ValueError(f"a fixed batch size is not supported. Received: {name}={short(value)}")
        return list(value[1:])


@dataclass(frozen=True)
class Axis(ParamKind):
    """An axis (-1: the last) or a list of distinct axes, as Keras's normalization layers take;
    `single`: one axis only (GroupNormalization's)."""

    single: bool = False
    editor: ClassVar[str] = "axis"

    def check(self, name: str, value: Any) -> str | None:
        if self.single and not _is_int(value):
            return f"{name} must be an integer. {received(name, value)}"
        values = [value] if _is_int(value) else value
        if not isinstance(values, (list, tuple)) or not values or not all(_is_int(v) for v in values):
            return f"{name} must be an integer or a list of integers. {received(name, value)}"
        if len(set(values)) != len(values):
            return f"{name} must not repeat an axis. {received(name, value)}"
        return None

    def to_keras(self, value: Any) -> Any:
        return list(value) if isinstance(value, (list, tuple)) else value

    def parse_text(self, text: str) -> Any:
        values = _parse_numbers(text, allow_none=False, example="-1")
        return values[0] if len(values) == 1 else values

    def format_text(self, value: Any) -> str:
        return _join(value)


@dataclass(frozen=True)
class AxisList(ParamKind):
    """A list of distinct axes counted with the batch axis as 0, each from `minimum` up (PReLU's
    shared_axes); None with `optional` (no axis)."""

    minimum: int = 1
    optional: bool = True
    editor: ClassVar[str] = "axes"

    def check(self, name: str, value: Any) -> str | None:
        if value is None and self.optional:
            return None
        if not isinstance(value, (list, tuple)) or not value or not all(_is_int(v) for v in value):
            allowed = "None or a list of integers" if self.optional else "a list of integers"
            return f"{name} must be {allowed}. {received(name, value)}"
        if any(v < self.minimum for v in value):
            return f"{name} must hold axes >= {self.minimum}. {received(name, value)}"
        if len(set(value)) != len(value):
            return f"{name} must not repeat an axis. {received(name, value)}"
        return None

    def to_keras(self, value: Any) -> Any:
        return None if value is None else list(value)

    def parse_text(self, text: str) -> Any:
        if self.optional and text.strip() in ("", "None", "none"):
            return None
        return _parse_numbers(text, allow_none=False, example="1, 2")

    def format_text(self, value: Any) -> str:
        return "None" if value is None else _join(value)

    def describe(self) -> str:
        return "axes such as 1, 2 (1: the first axis after the batch)" + ("; None for none" if self.optional else "")


@dataclass(frozen=True)
class Permutation(ParamKind):
    """A permutation of the axes 1..n (Permute's dims: the batch axis stays first)."""

    maximum: int = 8
    editor: ClassVar[str] = "permutation"

    def check(self, name: str, value: Any) -> str | None:
        if not isinstance(value, (list, tuple)) or not value or not all(_is_int(v) for v in value):
            return f"{name} must be a non-empty list of integers. {received(name, value)}"
        if len(value) > self.maximum:
            return f"{name} may hold at most {self.maximum} axes. {received(name, value)}"
        if sorted(value) != list(range(1, len(value) + 1)):
            return (
                f"Invalid permutation argument `{name}` for Permute Layer. The set of indices in `{name}` must be "
                f"consecutive and start from 1. Received {name}={tuple(value)}"
            )
        return None

    def to_keras(self, value: Any) -> Any:
        return tuple(value)

    def parse_text(self, text: str) -> Any:
        return _parse_numbers(text, allow_none=False, example="2, 1")

    def format_text(self, value: Any) -> str:
        return _join(value)

    def describe(self) -> str:
        return "the input's axes in their new order, e.g. 2, 1 (1: the first axis after the batch)"


@dataclass(frozen=True)
class IntPairs(ParamKind):
    """How much to add or cut before and after each of `rank` axes (padding, cropping), as Keras
    writes it in its config: one pair `[before, after]` for rank 1, else a list of `rank` pairs.
    Typed as one number (all sides), `rank` numbers (each axis, both sides) or every side."""

    rank: int = 2
    maximum: int = MAX_DIM
    editor: ClassVar[str] = "int_pairs"

    @property
    def nesting(self) -> int:  # type: ignore[override]
        return 1 if self.rank == 1 else 2

    def _pairs(self, value: Any) -> list[Any] | None:
        if not isinstance(value, (list, tuple)):
            return None
        return [value] if self.rank == 1 else list(value)

    def check(self, name: str, value: Any) -> str | None:
        pairs = self._pairs(value)
        shape = "a pair of integers" if self.rank == 1 else f"a tuple of {self.rank} pairs of integers"
        message = f"{name} must be {shape} >= 0 (before, after). Received: {name}={_pairs_text(value)}"
        if pairs is None or len(pairs) != self.rank:
            return message
        for pair in pairs:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(_is_int(v) and v >= 0 for v in pair):
                return message
            if any(v > self.maximum for v in pair):
                return f"{name} entries must be at most {self.maximum:,}. Received: {name}={_pairs_text(value)}"
        return None

    def from_config(self, name: str, value: Any) -> Any:
        if self.rank == 1:
            return super().from_config(name, value)
        if not isinstance(value, list) or not all(isinstance(pair, list) and is_plain(pair) for pair in value):
            raise ValueError(f"{name} must be a list of pairs. Received: {name}={short(value)}")
        return [list(pair) for pair in value]

    def to_keras(self, value: Any) -> Any:
        return tuple(value) if self.rank == 1 else tuple(tuple(pair) for pair in value)

    def parse_text(self, text: str) -> Any:
        numbers = _parse_numbers(
            text, allow_none=False, example="1" if self.rank == 1 else ", ".join(["1"] * self.rank)
        )
        if len(numbers) == 1:
            pairs = [[numbers[0]] * 2] * self.rank
        elif len(numbers) == self.rank and self.rank > 1:
            pairs = [[n, n] for n in numbers]
        elif len(numbers) == 2 * self.rank:
            pairs = [numbers[i : i + 2] for i in range(0, len(numbers), 2)]
        else:
            counts = "1 or 2" if self.rank == 1 else f"1, {self.rank} or {2 * self.rank}"
            raise ValueError(f"enter {counts} whole numbers, not {len(numbers)}")
        return [list(pair) for pair in pairs][0] if self.rank == 1 else [list(pair) for pair in pairs]

    def format_text(self, value: Any) -> str:
        pairs = self._pairs(value)
        if pairs is None or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            return _join(value)
        flat = [v for pair in pairs for v in pair]
        if len(set(flat)) == 1:
            return str(flat[0])
        if self.rank > 1 and all(pair[0] == pair[1] for pair in pairs):
            return ", ".join(str(pair[0]) for pair in pairs)
        return ", ".join(str(v) for v in flat)

    def describe(self) -> str:
        if self.rank == 1:
            return "one number for both ends, or before, after (e.g. 1, 2)"
        return (
            f"one number for every side, {self.rank} for each axis's two ends, "
            f"or {2 * self.rank}: before, after for each axis"
        )


def _pairs_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_pairs_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


@dataclass(frozen=True)
class OptionalFloat(FloatRange):
    """None (the feature is off) or a finite number in the range (ReLU's max_value)."""

    editor: ClassVar[str] = "optional_float"

    def check(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if FloatRange.check(self, name, value) is None:
            return None
        return f"{name} must be None or a finite number in {FloatRange.describe(self)}. {received(name, value)}"

    def parse_text(self, text: str) -> Any:
        cleaned = text.strip()
        if cleaned in ("", "None", "none"):
            return None
        try:
            return float(cleaned)
        except ValueError:
            raise ValueError(f"'{cleaned}' is not a number; enter a number or None") from None

    def format_text(self, value: Any) -> str:
        return "None" if value is None else f"{value:g}"

    def describe(self) -> str:
        return f"None, or a number in {FloatRange.describe(self)}"


@dataclass(frozen=True)
class AxisPair(ParamKind):
    """One axis for both inputs, or a pair of axes, one for each (Dot's axes); axes count the batch
    axis as 0, negative ones from the end. Keras keeps what it is given: an int stays an int."""

    editor: ClassVar[str] = "axis_pair"

    def check(self, name: str, value: Any) -> str | None:
        if _is_int(value):
            return None
        if not isinstance(value, (list, tuple)):
            return f"Invalid type for argument `{name}`: it should be a list or an int. {received(name, value)}"
        if len(value) != 2:
            return f"Invalid format for argument `{name}`: it should contain two elements. {received(name, value)}"
        if not all(_is_int(v) for v in value):
            return f"Invalid format for argument `{name}`: list elements should be integers. {received(name, value)}"
        return None

    def from_config(self, name: str, value: Any) -> Any:
        value = super().from_config(name, value)
        return list(value) if isinstance(value, list) else value

    def to_keras(self, value: Any) -> Any:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def to_source(self, value: Any) -> str:
        return literal(tuple(value) if isinstance(value, (list, tuple)) else value)

    def parse_text(self, text: str) -> Any:
        values = _parse_numbers(text, allow_none=False, example="1, 2")
        if len(values) > 2:
            raise ValueError(f"enter one axis, or two (one for each input), not {len(values)}")
        return values[0] if len(values) == 1 else values

    def format_text(self, value: Any) -> str:
        return _join(value)

    def describe(self) -> str:
        return "one axis for both inputs, or two (first input's, second input's); 1: the first axis after the batch"


@dataclass(frozen=True)
class OptionalAxes(ParamKind):
    """None (Keras picks), or axes counted with the batch axis as 0, negative ones from the end
    (MultiHeadAttention's attention_axes). Whether they fit is a matter of the inputs' rank, which
    the layer checks; one number is held as a list of one, as Keras writes it."""

    maximum: int = MAX_RANK
    editor: ClassVar[str] = "optional_axes"

    def check(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or not value or not all(_is_int(v) for v in value):
            return f"`{name}` must be None or a list of integers. {received(name, value)}"
        if len(value) > self.maximum:
            return f"{name} may hold at most {self.maximum} axes. {received(name, value)}"
        if any(abs(v) > 2 * MAX_RANK for v in value):
            return f"{name} must hold axes from {-2 * MAX_RANK} to {2 * MAX_RANK}. {received(name, value)}"
        return None

    def to_keras(self, value: Any) -> Any:
        return None if value is None else tuple(value)

    def to_source(self, value: Any) -> str:
        return literal(None if value is None else tuple(value))

    def parse_text(self, text: str) -> Any:
        if text.strip() in ("", "None", "none"):
            return None
        return _parse_numbers(text, allow_none=False, example="1, 2")

    def format_text(self, value: Any) -> str:
        return "None" if value is None else _join(value)

    def describe(self) -> str:
        return "None for all the axes between the batch and the features, or axes such as 1, 2"


@dataclass(frozen=True)
class OptionalShape(ShapeKind):
    """None (the feature is off), or sizes (MultiHeadAttention's output_shape)."""

    editor: ClassVar[str] = "optional_shape"

    def check(self, name: str, value: Any) -> str | None:
        return None if value is None else super().check(name, value)

    def to_keras(self, value: Any) -> Any:
        return None if value is None else tuple(value)

    def to_source(self, value: Any) -> str:
        return literal(None if value is None else tuple(value))

    def parse_text(self, text: str) -> Any:
        if text.strip() in ("", "None", "none"):
            return None
        return super().parse_text(text)

    def format_text(self, value: Any) -> str:
        return "None" if value is None else _join(value)

    def describe(self) -> str:
        return "None to keep the query's last size, or sizes such as 64 or 4, 16"


def _join(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join("None" if v is None else str(v) for v in value)
    return "" if value is None else str(value)


def _parse_numbers(text: str, allow_none: bool, example: str) -> list[Any]:
    """`"28, 28"`, `"(28, 28)"`, `"28 28"`, `"20,"` (and `"None, 8"` with `allow_none`) -> a list."""
    cleaned = text.strip().strip("()[]").strip()
    parts = [p for p in re.split(r"[,\s]+", cleaned) if p]
    if not parts:
        raise ValueError(f"Enter the sizes, separated by commas, e.g. {example}")
    values: list[Any] = []
    for part in parts:
        if allow_none and part in ("None", "none", "null", "?"):
            values.append(None)
        elif re.fullmatch(r"-?\d+", part):
            values.append(int(part))
        else:
            what = "a whole number or None" if allow_none else "a whole number"
            raise ValueError(f"'{part}' is not {what}; enter sizes such as {example}")
    return values


@dataclass(frozen=True)
class Param:
    """One parameter of a layer type, named by its Keras constructor argument.

    `default` is what a new layer gets; `keras_default` what Keras uses when the argument is left
    out (REQUIRED: Keras requires it), in nnstudio's terms (Dense's activation None is "linear");
    code generation leaves out arguments that equal it. `config_key` is where Keras's
    `get_config()` writes it (the name, unless said). `positional`: written without its keyword
    in generated code. `implicit_default`: the layer's settings hold it only when it differs from
    the default, so project files that never had it stay as they were (Input's dtype).
    """

    name: str
    kind: ParamKind
    default: Any
    help: str
    keras_default: Any = REQUIRED
    config_key: str = ""
    positional: bool = False
    implicit_default: bool = False

    @property
    def key(self) -> str:
        """The config key Keras writes this parameter under."""
        return self.config_key or self.name

    def check(self, value: Any) -> str | None:
        return self.kind.check(self.name, value)

    def problems(self, value: Any) -> list[tuple[str, str]]:
        """(field, message) for every reason `value` does not fit (see `ParamKind.problems`)."""
        return self.kind.problems(self.name, value)

    def fresh_default(self) -> Any:
        return self.kind.fresh(self.default)

    def is_keras_default(self, value: Any) -> bool:
        """Whether Keras would use `value` if the argument were left out (in Keras's standard form:
        a stride [1, 1] is Keras's default (1, 1))."""
        default = self.keras_default
        if default is REQUIRED:
            return False
        found, keras_value = self.kind.as_config(value), self.kind.as_config(default)
        return found == keras_value and type(found) is type(keras_value)


MAX_VALUES = 4096  # numbers a list parameter may hold (Normalization's per-channel mean)


@dataclass(frozen=True)
class OptionalFloats(ParamKind):
    """None, one finite number, or a flat list of them (Normalization's mean and variance: one
    for every value, or one per channel)."""

    editor: ClassVar[str] = "optional_floats"

    def check(self, name: str, value: Any) -> str | None:
        if value is None or (is_finite(value)):
            return None
        if isinstance(value, (list, tuple)) and value and all(is_finite(v) for v in value):
            if len(value) > MAX_VALUES:
                return f"{name} may hold at most {MAX_VALUES:,} numbers. Received: {len(value):,} numbers"
            return None
        return f"{name} must be None, a number or a list of numbers. {received(name, value)}"

    def from_config(self, name: str, value: Any) -> Any:
        if value is None or is_finite(value):
            return value
        if isinstance(value, list) and 0 < len(value) <= MAX_VALUES and all(is_finite(v) for v in value):
            return list(value)
        raise ValueError(f"{name} must be None, a number or a flat list of numbers. Received: {name}={short(value)}")

    def to_keras(self, value: Any) -> Any:
        return list(value) if isinstance(value, (list, tuple)) else value

    def parse_text(self, text: str) -> Any:
        cleaned = text.strip().strip("()[]").strip()
        if cleaned in ("", "None", "none"):
            return None
        values = []
        for part in (p for p in re.split(r"[,\s]+", cleaned) if p):
            try:
                number = float(part)
            except ValueError:
                raise ValueError(f"'{part}' is not a number; enter numbers such as 0.5, 0.25 or None") from None
            values.append(number)
        return values[0] if len(values) == 1 else values

    def format_text(self, value: Any) -> str:
        if value is None:
            return "None"
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return str(value)

    def describe(self) -> str:
        return "None, a number, or one number per channel (e.g. 123.7, 116.3, 103.5)"


def is_finite(value: Any) -> bool:
    """A finite int or float (not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class NoiseShape(OptionalShape):
    """None (a mask value for every value), or the shape of the dropout mask with the batch axis
    first, None where it follows the input and 1 where one mask value is shared along the axis
    (EfficientNet's `(None, 1, 1, 1)` drops whole samples)."""

    allow_none: bool = True
    maximum: int = MAX_DIM

    def check(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        fits = isinstance(value, (list, tuple)) and 0 < len(value) <= MAX_RANK + 1
        if not fits or not all(d is None or (_is_int(d) and 1 <= d <= self.maximum) for d in value):
            return f"{name} must be None or a list of None and positive integers, the batch axis first. {received(name, value)}"
        return None

    def describe(self) -> str:
        return "None, or the mask's shape with the batch axis first, e.g. None, 1, 1, 1 (whole samples)"
