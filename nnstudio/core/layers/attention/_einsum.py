"""Keras's einsum equations of MultiHeadAttention (`_build_attention_equation`), and the checks
an einsum makes when it runs: every operand of the equation's rank, one size per letter (a size
that varies matches any), no letter twice in the result."""

from __future__ import annotations

import string
from collections.abc import Sequence

Dims = tuple[int | None, ...]


def attention_equations(rank: int, attention_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """(dot-product equation, combine equation, rank of the scores) for projected tensors of `rank`
    axes (batch, ..., heads, channels) attending over `attention_axes`, exactly as Keras builds
    them, Python's negative indexing included. IndexError for an axis outside [-rank, rank)."""
    for axis in (*attention_axes, rank - 1):
        if not -rank <= axis < rank:
            raise IndexError(f"index {axis} is out of bounds for axis 0 with size {rank}")
    removed = {a % rank for a in (*attention_axes, rank - 1)}
    batch_dims = [i for i in range(rank) if i not in removed]
    letters = string.ascii_lowercase
    target = letters[:rank]
    source = ""
    offset = rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join(
        [target[i] for i in batch_dims] + [target[i] for i in attention_axes] + [source[i] for i in attention_axes]
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def einsum_problem(equation: str, operands: Sequence[Dims]) -> str | None:
    """Why an einsum with this equation cannot run on operands of these shapes, or None."""
    inputs, result = equation.split("->")
    subscripts = inputs.split(",")
    sizes: dict[str, int | None] = {}
    for letters, shape in zip(subscripts, operands, strict=True):
        if len(letters) != len(shape):
            return f"Shape must be rank {len(letters)} but is rank {len(shape)} for equation: {equation}"
        for letter, size in zip(letters, shape, strict=True):
            known = sizes.get(letter)
            if known is not None and size is not None and known != size:
                return f"Dimensions must be equal, but are {known} and {size} for equation: {equation}"
            if known is None:
                sizes[letter] = size
    if len(set(result)) != len(result):
        return f"Output subscripts contain a label appearing more than once: {equation}"
    return None


def result_shape(equation: str, operands: Sequence[Dims]) -> Dims:
    """The shape an einsum gives (operands already checked by `einsum_problem`)."""
    inputs, result = equation.split("->")
    sizes: dict[str, int | None] = {}
    for letters, shape in zip(inputs.split(","), operands, strict=True):
        for letter, size in zip(letters, shape, strict=True):
            if sizes.get(letter) is None:
                sizes[letter] = size
    return tuple(sizes[letter] for letter in result)
