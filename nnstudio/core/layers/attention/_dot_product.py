"""What Attention and AdditiveAttention share: the query, value and optional key they are called on
as a list, and Keras's rules for their shapes (`Attention.compute_output_shape`, and the products
and sums that `call` makes, which must run: a batched matmul for dot scores, a broadcast sum for
concat and additive ones)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, Shape

INPUT_NAMES = ("query", "value", "key")


def roles(inputs: Sequence[Shape]) -> tuple[tuple, tuple, tuple]:
    """Query, value and key shapes with their batch axis (the key is the value when left out)."""
    query, value = ((None, *s) for s in inputs[:2])
    key = (None, *inputs[2]) if len(inputs) > 2 else value
    return query, value, key


def _fit(a: int | None, b: int | None, stretch: bool) -> bool:
    """Whether two sizes meet: equal, either varying, or (with `stretch`) either 1."""
    return a is None or b is None or a == b or (stretch and 1 in (a, b))


def attention_output(inputs: Sequence[Shape], summed: bool) -> Shape:
    """The output shape (batch axis excluded): the query's, with the value's last size. `summed`:
    scores from the broadcast sum of query and key (concat, additive), else from their product.
    LayerError where Keras's run fails, or would give another shape than the one Keras declares."""
    query, value, key = roles(inputs)
    if not _fit(query[-1], key[-1], stretch=summed):
        raise LayerError(
            None,
            f"the query's and the key's last sizes must be equal{' (or one of them 1)' if summed else ''}. "
            f"Received: query_shape={query} and key_shape={key}",
        )
    if len({len(query), len(value), len(key)}) != 1:
        raise LayerError(
            None,
            f"query, value and key must have as many axes. Received: query_shape={query}, value_shape={value}, key_shape={key}",
        )
    if not _fit(key[-2], value[-2], stretch=False):
        raise LayerError(
            None,
            f"the key and the value must have as many steps (their second-last sizes). "
            f"Received: value_shape={value} and key_shape={key}",
        )
    for axis in range(1, len(query) - 2):
        for name, other in (("key", key), ("value", value)):
            q, o = query[axis], other[axis]
            if not _fit(q, o, stretch=True) or (q == 1 and o is not None and o > 1):
                raise LayerError(
                    None,
                    f"axis {axis} of the {name} must be the query's size or 1 (Keras gives the output the query's). "
                    f"Received: query_shape={query} and {name}_shape={other}",
                )
    return (*query[1:-1], value[-1])
