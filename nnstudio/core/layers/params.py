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
from nnstudio.core.layers.config_values import initializer_name, is_plain, object_name
from nnstudio.core.layers.names import ACTIVATIONS, CONSTRAINTS, INITIALIZERS, INPUT_DTYPES, REGULARIZERS
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

    def check(self, name: str, value: Any) -> str | None:
        """Why `value` does not fit, in Keras's words (without the layer's name), or None."""
        return None

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
    """`rank` whole numbers (kernel_size, strides); one number stands for all, as in Keras."""

    rank: int = 2
    minimum: int = 1
    maximum: int = MAX_DIM
    editor: ClassVar[str] = "int_tuple"

    def check(self, name: str, value: Any) -> str | None:
        values = [value] if _is_int(value) else value
        bound = "> 0" if self.minimum == 1 else f">= {self.minimum}"
        message = (
            f"{name} must be an integer or a tuple of {self.rank} integers {bound}. "
            f"Received: {name}={_as_tuple_text(value)}"
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
        values = _parse_numbers(text, allow_none=False, example="3, 3")
        return values[0] if len(values) == 1 else values

    def format_text(self, value: Any) -> str:
        return _join(value)


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


def ActivationName() -> Choice:  # noqa: N802 - reads as a kind
    """An activation function by its Keras name."""
    return Choice(ACTIVATIONS)


def DType(choices: tuple[str, ...] = INPUT_DTYPES) -> Choice:  # noqa: N802 - reads as a kind
    """A tensor dtype by name (`float32`, `int32`, ...)."""
    return Choice(choices, accepted_by="nnstudio takes")


@dataclass(frozen=True)
class InitializerName(Choice):
    """An initializer by its Keras name; a `.keras` file's initializer object reads as its name."""

    choices: tuple[str, ...] = tuple(INITIALIZERS)

    def from_config(self, name: str, value: Any) -> Any:
        snake = initializer_name(value)
        if snake is None:
            raise ValueError(f"{name} must be one of Keras's initializers. Received: {short(value)}")
        return snake


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


def RegularizerName() -> OptionalName:  # noqa: N802 - reads as a kind
    """None or a regularizer by its Keras name (`l2`)."""
    return OptionalName("keras.regularizers", _table(REGULARIZERS))


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
        return tuple(value)

    def to_source(self, value: Any) -> str:
        return literal(tuple(value))

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
    """An axis (-1: the last) or a list of distinct axes, as Keras's normalization layers take."""

    editor: ClassVar[str] = "axis"

    def check(self, name: str, value: Any) -> str | None:
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

    def fresh_default(self) -> Any:
        return self.kind.fresh(self.default)

    def is_keras_default(self, value: Any) -> bool:
        """Whether Keras would use `value` if the argument were left out."""
        default = self.keras_default
        return default is not REQUIRED and value == default and type(value) is type(default)
