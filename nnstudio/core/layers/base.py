"""What a layer type declares: `LayerType`, and the small types it is made of.

One module per layer type (`nnstudio/core/layers/<family>/<name>.py`) defines `LAYER =
LayerType(...)`; the registry finds it. Shapes exclude the batch axis and may hold None (a size
that varies, such as a sequence's length). Inference takes one shape per input tensor (a
Sequential passes one) and gives one shape per output tensor, so that merging layers and
functional graphs fit the same interface.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.layers.config_values import COMMON_CONFIG, ConfigCheck
from nnstudio.core.layers.naming import to_snake_case
from nnstudio.core.layers.params import Param

Shape = tuple[int | None, ...]
Params = Mapping[str, Any]


class LayerError(ValueError):
    """A layer whose settings cannot work; `field` names the parameter at fault, if any."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Variable:
    """One of a layer's weights, as Keras lists them in `layer.weights`."""

    name: str  # Keras's variable name: kernel, bias, gamma, moving_mean, ...
    shape: tuple[int, ...]
    trainable: bool = True
    store: str = ""  # where a `.keras` weights file keeps it inside the layer's group ("cell" for an RNN)
    dtype: str = "float32"  # Normalization's `count` is an int64

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def bytes(self) -> int:
        """Its memory as Keras's summary counts it (`weight_memory_size`: the size times the dtype's)."""
        return self.size * _ITEM_BYTES[self.dtype]


_ITEM_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int32": 4, "int64": 8}


@dataclass(frozen=True)
class Sample:
    """A case the Keras comparison test builds (tests/keras_io/test_layer_types_keras.py): the
    parameters (over the defaults) and the input shapes, one per input tensor, in the order the
    layer is called with them. With `refused_at`, nnstudio must refuse the layer at that field
    ("" for the layer as a whole) and Keras must refuse it too (when building it or running it)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[Shape, ...] = ((8,),)
    refused_at: str | None = None


@dataclass(frozen=True)
class Marker:
    """How the canvas marks each value of a per-value stage (Dropout, an activation, a
    normalisation): a pyqtgraph symbol and its fill on a light background."""

    symbol: str
    fill: str


@dataclass(frozen=True)
class Family:
    """A group of layer types as Keras groups them (`keras/src/layers/<name>/`)."""

    name: str  # the package name: core, convolutional, ...
    title: str  # for people: "Convolution"
    order: int  # where the family comes in the palette


OutputShapes = Callable[[Params, Sequence[Shape]], list[Shape]]
Variables = Callable[[Params, Sequence[Shape]], list[Variable]]
Validate = Callable[[Params], list[tuple[str | None, str]]]
Brief = Callable[[Params], list[str]]
Caption = Callable[[Params, Shape], str]
Canonical = Callable[[dict[str, Any]], dict[str, Any]]
BuiltConfig = Callable[[Params, Sequence[Shape]], dict[str, Any]]

# How Keras calls a layer on its input tensors (`LayerType.call_convention`).
CALL_CONVENTIONS = {
    "single": "one tensor: layer(x)",
    "list": "a list of tensors: layer([x1, x2, ...])",
    "positional": "tensors as positional arguments, in `input_names` order: layer(query, value, key)",
    "operands": "its `operands` parameters as positional arguments, each a tensor (None) or a constant: op(x1, 3.0)",
    "initial_state": "the first tensor positional, the others (all of them or none) as a keyword list: "
    "rnn(sequences, initial_state=[h, c])",
}
ConfigValues = Callable[[Params], dict[str, Any]]


def no_variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    return []


def no_problems(params: Params) -> list[tuple[str | None, str]]:
    return []


def no_brief(params: Params) -> list[str]:
    return []


def as_given(settings: dict[str, Any]) -> dict[str, Any]:
    return settings


@dataclass(frozen=True, eq=False)
class LayerType:
    """Everything nnstudio knows about one Keras layer class.

    - `class_name`: the name in specs and project files (Keras's class name; `Input` for the
      InputLayer that `keras.Input` makes); `config_class`, `keras_module`: what a `.keras`
      config says (`InputLayer`, `keras.layers`); `constructor`: the callable that builds it
      (`keras.layers.Dense`, `keras.Input`).
    - `name_stem`: Keras's automatic name (`dense`, `conv2d`, `input_layer`): Keras's snake case
      of the config class unless said; `icon`: the stem of `resources/icons/<icon>.svg`.
    - `params`: its parameters in Keras's order; `extra_config`: the other keys Keras writes in
      its config, each with the check a value must pass for nnstudio to read the file.
    - `validate(params)`: problems between parameters, as (field, message) pairs; single values
      are checked by their kinds first.
    - `output_shapes(params, inputs)` and `variables(params, inputs)`: one shape per input tensor
      in, one shape per output tensor out; the weights in Keras's `layer.weights` order. Both
      raise LayerError for inputs the layer cannot take (in Keras's words).
    - `drawing`: the canvas drawer's id (input, dense, stage, regroup, ...), or `drawing_for(params)`'s
      where it depends on the parameters (TimeDistributed: the wrapped layer's); `marker` for stages;
      `caption(params, output_shape)`: the canvas's line under the name; `brief(params)`: the
      layer stack's short arguments (`Dense(64, relu)`); `help`: one line for people.
    - `size_param`: the parameter that sizes the layer (units), marked when the model is over the
      parameter budget; `is_input`: the model's entry point; `order`: place within its family.
    - `samples`: cases the Keras comparison test builds.
    - `inputs`: how many input tensors it takes, (least, most); most None: any number. One by
      default; an Input takes none. `call_convention`: how Keras calls it on them (see
      CALL_CONVENTIONS: "single", "list" for merges, "positional" for MultiHeadAttention's query,
      value, key); `input_names`: what each input is, in call order (`query`, `value`, `key`),
      for a type whose inputs have roles (positional ones must have them).
      A type that takes other than one tensor cannot stand in a Sequential stack
      (`sequential_problem`). `operands` (with the "operands" convention, a `keras.ops` operation
      node such as `x + 3.0`): the parameters that are the call's positional arguments, in order,
      not constructor arguments; each one None stands for the next input tensor, a number is a
      constant written into the call (`call_arguments`).
    - `built_config(values, inputs)`: the parameters Keras's `get_config()` writes differently once
      the layer is built, where Keras fills them in from other parameters or the inputs
      (MultiHeadAttention's value_dim None is written as key_dim, attention_axes None as the axes
      it attends over). `empty_sublayers`: the groups of sublayers without variables that Keras
      writes inside the layer's group of model.weights.h5 (variables name their own: `store`);
      `empty_groups(values)`: those that depend on the parameters (a nested Sequential's layers).
    - `config_values(values)`: the parameters as Keras's `get_config()` writes them, where that
      depends on other parameters (a pooling layer's strides None is written as its pool_size);
      each kind's own standard form (`kernel_size` 3 -> [3, 3]) is applied first;
      `read_config(values)` is its inverse for the `.keras` reader, where Keras's default was
      written out (strides equal to the pool size read back as None).
    - `token_count(params)`: for a layer that takes token ids (Embedding), how many there are
      (ids 0 .. count - 1); made-up data for a model that starts with it holds such ids.
    - `canonical(settings)`: the settings in the one form a spec keeps when several say the same
      (Bidirectional: an explicit backward layer that is the copy Keras would make -> None).
    - `training_default`: the default of `training` in Keras's `call` (Dropout's `training=False`,
      Resizing's `training=True`; None: its call has none). Keras records it in each call's
      arguments in a config; the `.keras` reader reads that value as absent, and refuses another.
    - `family` is filled in by the registry from the package the module lives in.
    """

    class_name: str
    help: str
    output_shapes: OutputShapes
    params: tuple[Param, ...] = ()
    variables: Variables = no_variables
    validate: Validate = no_problems
    extra_config: Mapping[str, ConfigCheck] = field(default_factory=dict)
    drawing: str = "stage"
    drawing_for: Callable[[Params], str] | None = None
    marker: Marker | None = None
    brief: Brief = no_brief
    caption: Caption | None = None
    size_param: str | None = None
    is_input: bool = False
    order: int = 100
    samples: tuple[Sample, ...] = ()
    canonical: Canonical = as_given
    token_count: Callable[[Params], int] | None = None
    inputs: tuple[int, int | None] = (1, 1)
    call_convention: str = "single"
    input_names: tuple[str, ...] = ()
    operands: tuple[str, ...] = ()
    built_config: BuiltConfig | None = None
    empty_sublayers: tuple[str, ...] = ()
    empty_groups: Callable[[Params], tuple[str, ...]] | None = None
    config_values: ConfigValues | None = None
    read_config: ConfigValues | None = None
    icon: str = ""
    name_stem: str = ""
    config_class: str = ""
    keras_module: str = "keras.layers"
    constructor: str = ""
    family: str = ""
    training_default: bool | None = None

    def __post_init__(self) -> None:
        fill = {
            "config_class": self.config_class or self.class_name,
            "constructor": self.constructor or f"keras.layers.{self.class_name}",
            "icon": self.icon or to_snake_case(self.class_name),
        }
        fill["name_stem"] = self.name_stem or to_snake_case(fill["config_class"])
        for key, value in fill.items():
            object.__setattr__(self, key, value)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.class_name}: a parameter is declared twice: {names}")
        clash = {p.key for p in self.params} & set(self.extra_config)
        if clash:
            raise ValueError(f"{self.class_name}: {sorted(clash)} are both parameters and extra config keys")
        self._check_inputs()

    def _check_inputs(self) -> None:
        least, most = self.inputs
        where = f"{self.class_name}: inputs={self.inputs}, call_convention={self.call_convention!r}"
        if self.is_input:
            object.__setattr__(self, "inputs", (0, 0))
            return
        if least < 1 or (most is not None and most < least):
            raise ValueError(f"{where}: a layer takes at least one input, and most >= least")
        if self.call_convention not in CALL_CONVENTIONS:
            raise ValueError(f"{where}: the call convention is one of {sorted(CALL_CONVENTIONS)}")
        if (self.call_convention == "single") != (self.inputs == (1, 1)):
            raise ValueError(f"{where}: a layer called on one tensor takes exactly one input, and only such a layer")
        if self.call_convention == "positional" and (most is None or len(self.input_names) != most):
            raise ValueError(f"{where}: positional inputs need a name each (input_names)")
        if self.call_convention == "initial_state" and (least != 1 or most is None or len(self.input_names) != most):
            raise ValueError(f"{where}: a layer given initial states takes one tensor and names each input")
        if self.input_names and (most is None or len(self.input_names) != most):
            raise ValueError(f"{where}: named inputs need a name each, as many as the most inputs")
        names = {p.name for p in self.params}
        if (self.call_convention == "operands") != bool(self.operands):
            raise ValueError(f"{where}: the operands convention needs `operands`, and only it")
        if self.operands and (not set(self.operands) <= names or most != len(self.operands)):
            raise ValueError(f"{where}: operands must be parameters, one per input at most")

    def __repr__(self) -> str:
        return f"LayerType({self.class_name!r})"

    # -- parameters ---------------------------------------------------------------------------

    def param(self, name: str) -> Param:
        """The parameter called `name` (KeyError if this type has none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """A fresh dict of the settings a new layer holds: every parameter's default, except those
        held only when they differ from it (`implicit_default`)."""
        return {p.name: p.fresh_default() for p in self.params if not p.implicit_default}

    def constructor_params(self) -> tuple[Param, ...]:
        """The parameters handed to the Keras constructor (all but the call's `operands`)."""
        return tuple(p for p in self.params if p.name not in self.operands)

    def split_call(self, tensors: Sequence[Any]) -> tuple[list[Any], dict[str, list[Any]]]:
        """The positional and keyword arguments of a call on `tensors` (Keras tensors, or names in
        generated code) with the "single", "positional" or "initial_state" convention:
        `rnn(sequences, initial_state=[h, c])` is ([sequences], {"initial_state": [h, c]})."""
        if self.call_convention == "initial_state":
            return list(tensors[:1]), ({"initial_state": list(tensors[1:])} if len(tensors) > 1 else {})
        return list(tensors), {}

    def call_arguments(self, values: Mapping[str, Any], tensors: Sequence[Any]) -> list[Any]:
        """The positional arguments of the call of an operation node: its operands in order, each
        None replaced by the next of `tensors` (Keras tensors, or names in generated code)."""
        given = iter(tensors)
        return [next(given) if values[name] is None else values[name] for name in self.operands]

    def values(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value: the layer's setting, else the default."""
        return {p.name: settings.get(p.name, p.default) for p in self.params}

    def stored(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """`settings` without the implicit parameters that hold their default (what a project file
        and a spec keep)."""
        implicit = {p.name: p for p in self.params if p.implicit_default}
        return {
            key: value
            for key, value in self.canonical(dict(settings)).items()
            if key not in implicit
            or not (value == implicit[key].default and type(value) is type(implicit[key].default))
        }

    def as_config(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value as Keras's `get_config()` writes it and the `.keras` reader reads
        it back (the same model as `settings`, in Keras's standard form)."""
        values = self.values(settings)
        standard = {p.name: p.kind.as_config(values[p.name]) for p in self.params}
        return self.config_values(standard) if self.config_values is not None else standard

    def config_checks(self) -> dict[str, ConfigCheck]:
        """The config keys besides the parameters' that nnstudio accepts, with their checks."""
        return {**COMMON_CONFIG, **self.extra_config}

    def config_keys(self) -> set[str]:
        """Every key nnstudio reads in this type's Keras config."""
        return {"name"} | {p.key for p in self.params} | set(self.config_checks())

    # -- inputs -------------------------------------------------------------------------------

    @property
    def takes_one_input(self) -> bool:
        """Whether it can be called on one tensor alone, as a Sequential stack calls it (it takes
        exactly one, or one and optional initial states)."""
        return self.inputs == (1, 1) or self.call_convention == "initial_state"

    def input_count_problem(self, count: int) -> str | None:
        """Why `count` input tensors are too few or too many, in Keras's manner, or None."""
        least, most = self.inputs
        if self.call_convention == "initial_state" and count > 1 and most is not None:
            if count == most:
                return None
            states = [name.removeprefix("initial_state").strip() for name in self.input_names[1:]]
            words = f"{len(states)} tensors ({', '.join(states)}), each" if len(states) > 1 else "1 tensor,"
            # an RNN's states are (batch, units); a ConvLSTM's, feature maps like one step's output
            size = "(batch, units)" if any(p.name == "units" for p in self.params) else "one step's output"
            return (
                f"A `{self.class_name}` layer's initial_state is a list of {words} {size}. "
                f"Received: {count - 1} tensor{'s' if count != 2 else ''}"
            )
        if least <= count and (most is None or count <= most):
            return None
        if most is None:
            wanted = f"at least {least}"
        elif least == most:
            wanted = f"exactly {least}"
        else:
            wanted = f"{least} to {most}"
        noun = "input" if (most or least) == 1 else "inputs"
        got = "input" if count == 1 else "inputs"
        return f"A `{self.class_name}` layer should be called on {wanted} {noun}. Received: {count} {got}"

    def input_role(self, position: int, count: int) -> str:
        """What input `position` of a call on `count` tensors is (`key`, `initial_state h`), or ""
        where inputs have no roles, and for the one input of a layer that can stand alone."""
        if not self.input_names or position >= len(self.input_names) or (count == 1 and self.takes_one_input):
            return ""
        return self.input_names[position]

    def describe_inputs(self) -> str:
        """What it is called on, for people: `several inputs`, `two inputs`, `a query, a value and an optional key`."""
        least, most = self.inputs
        if self.input_names:
            names = [f"a {name}" if i < least else f"an optional {name}" for i, name in enumerate(self.input_names)]
            return ", ".join(names[:-1]) + " and " + names[-1]
        if least == most:
            return f"{_NUMBER_WORDS.get(least, str(least))} inputs"
        return "several inputs"

    def sequential_problem(self) -> str | None:
        """Why a layer of this type cannot stand in a Sequential stack (it takes several tensors), or None."""
        if self.is_input or self.takes_one_input:
            return None
        verb = "merges" if self.call_convention == "list" and not self.input_names else "takes"
        return f"{self.class_name} {verb} {self.describe_inputs()}; it needs a functional model"

    # -- inference ----------------------------------------------------------------------------

    def infer(self, settings: Mapping[str, Any], inputs: Sequence[Shape]) -> tuple[list[Shape], list[Variable]]:
        """Output shapes and variables for `settings` fed `inputs`; LayerError if it cannot work."""
        problem = self.input_count_problem(len(inputs))
        if problem:
            raise LayerError(None, problem)
        values = self.values(settings)
        if self.operands:
            wanted = sum(values[name] is None for name in self.operands)
            if wanted != len(inputs):
                raise LayerError(
                    None,
                    f"`{self.config_class}` takes {wanted} tensor{'s' if wanted != 1 else ''} (its operands that are "
                    f"not constants). Received: {len(inputs)} input{'s' if len(inputs) != 1 else ''}",
                )
        return self.output_shapes(values, inputs), self.variables(values, inputs)

    def drawing_of(self, settings: Mapping[str, Any]) -> str:
        """The canvas drawer's id for a layer of this type with `settings` (`drawing` unless
        `drawing_for` says otherwise)."""
        if self.drawing_for is None:
            return self.drawing
        try:
            return self.drawing_for(self.values(settings))
        except (KeyError, TypeError, ValueError):  # settings the layer refuses: drawn as its type is
            return self.drawing

    def caption_for(self, settings: Mapping[str, Any], shape: Shape) -> str:
        """The canvas caption of a layer of this type with output `shape`."""
        if self.caption is None:
            return self.class_name
        return self.caption(self.values(settings), shape)


_NUMBER_WORDS = {2: "two", 3: "three"}


# -- helpers for type modules -----------------------------------------------------------------


def format_shape(shape: Shape | None) -> str:
    """Keras's way of printing a shape with its batch axis: `(None, 64)`."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["None", *("None" if d is None else str(d) for d in shape)]) + ")"


def format_shapes(shapes: Sequence[Shape | None]) -> str:
    """Keras's way of printing a layer's output shapes: `(None, 4)`, or for several outputs
    `[(None, 4), (None, 4)]`."""
    if len(shapes) == 1:
        return format_shape(shapes[0])
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


def single_input(inputs: Sequence[Shape]) -> Shape:
    """The one input shape of a layer that takes one tensor."""
    if len(inputs) != 1:
        raise LayerError(None, f"takes one input tensor. Received: {len(inputs)} inputs")
    return tuple(inputs[0])


def known_last_axis(shape: Shape) -> int:
    """The size of the last axis, which a layer's weights are made from; LayerError if it varies."""
    if not shape or shape[-1] is None:
        raise LayerError(
            None,
            f"the input's last axis needs a size: Keras makes the weights from it. Received: input_shape={format_shape(shape)}",
        )
    return shape[-1]


def same_shape(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """The output shape of a layer that keeps its input's shape (Dropout, an activation, ...)."""
    return [single_input(inputs)]


def size_text(shape: Shape | None) -> str:
    """`4×5`, `None×8` ("?" when unknown)."""
    if shape is None:
        return "?"
    return "×".join("None" if d is None else str(d) for d in shape)


def short_value(value: Any) -> str:
    """A value in a few characters: `4, 5`, `0.5`, `relu`."""
    if isinstance(value, (list, tuple)):
        return ", ".join("None" if v is None else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
