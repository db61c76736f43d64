"""What the element-wise operation nodes share (`keras.ops.add`, `keras.ops.multiply`).

How Keras writes such a node into a functional model's config (Keras 3, `keras.src.ops.numpy`;
MobileNetV3's hard_sigmoid `x + 3.0` and `x * (1 / 6)`, ConvNeXt's residual `inputs + x`):

    {"module": "keras.src.ops.numpy", "class_name": "Add", "registered_name": "Add",
     "config": {"name": "add"}, "name": "add",
     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                  "config": {"shape": [null, 1, 1, 16], "dtype": "float32",
                                             "keras_history": ["expanded_conv_squeeze_excite_conv_1", 0, 0]}},
                                 3.0],
                        "kwargs": {}}]}

The config holds only the name (no trainable, no dtype, no build_config). The call's positional
`args` are the operation's operands `x1, x2` in order: each either a tensor reference
(`__keras_tensor__`, read as a TensorRef) or a plain JSON number, the constant (3.0,
0.16666666666666666). That number is the node's parameter `x1` or `x2`; None there means the
operand is the node's next input tensor, so a spec holds `{"x2": 3.0}` with one inbound tensor and
`{}` with two. `kwargs` is empty. The node has no weights, and model.weights.h5 has no group for it
(Keras saves `model.layers`, which leaves operations out); Keras's summary lists it as `add (Add)`
with 0 parameters, between the layers, in the config's order. Keras names it by the class (`add`,
`add_1`, ...), sharing the counter with layers of the same snake-case name.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Params, Sample, Shape, short_value, size_text
from nnstudio.core.layers.broadcasting import broadcast_samples
from nnstudio.core.layers.params import OptionalFloat, Param

MODULE = "keras.src.ops.numpy"


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `compute_output_spec`: the tensors' shapes broadcast (a constant is a scalar)."""
    shape = tuple(inputs[0])
    for other in inputs[1:]:
        shape = broadcast_samples(shape, tuple(other))
    return [shape]


def validate(params: Params) -> list[tuple[str | None, str]]:
    if params["x1"] is not None and params["x2"] is not None:
        return [("x2", "an operation node needs at least one tensor operand: x1 or x2 must be None")]
    return []


def _operand(params: Params, name: str, tensor: str) -> str:
    return tensor if params[name] is None else short_value(params[name])


def operation(config_class: str, function: str, symbol: str, help_text: str, order: int) -> LayerType:
    """The type of the operation node `keras.src.ops.numpy.<config_class>`, `keras.ops.<function>(x1, x2)`."""

    def brief(params: Params) -> list[str]:
        return [
            f"{_operand(params, 'x1', 'x')} {symbol} {_operand(params, 'x2', 'y' if params['x1'] is None else 'x')}"
        ]

    def caption(params: Params, shape: Shape) -> str:
        return f"{brief(params)[0]} · {size_text(shape)}"

    operand_help = "None: {} input tensor; a number: that constant (x + 3.0)."
    return LayerType(
        f"ops.{config_class}",
        help_text,
        output_shapes,
        params=(
            Param("x1", OptionalFloat(None, None), None, "The first operand. " + operand_help.format("the first")),
            Param("x2", OptionalFloat(None, None), None, "The second operand. " + operand_help.format("the next")),
        ),
        validate=validate,
        drawing="merge",
        brief=brief,
        caption=caption,
        order=order,
        inputs=(1, 2),
        call_convention="operands",
        operands=("x1", "x2"),
        config_class=config_class,
        keras_module=MODULE,
        constructor=f"{MODULE}.{config_class}",
        icon=f"ops_{function}",
        samples=(
            Sample({"x2": 3.0}, ((1, 1, 16),)),
            Sample({"x1": 0.5}, ((None, 4),)),
            Sample({}, ((4, 8), (4, 8))),
            Sample({}, ((4, 1), (1, 6))),
            Sample({}, ((3, 4, 5), (5,)), refused_at=""),
            Sample({}, ((None, 8), (6, 8))),
            Sample({"x2": 2}, ((5,),)),
            Sample({}, ((3,), (4,)), refused_at=""),
        ),
    )
