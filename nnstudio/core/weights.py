"""The one type of weight arrays on the wire: a layer's name -> its arrays in `get_weights()` order.

Keras, the engine and its protocol pass weights in this form. The application's views never index
it themselves: they read weights through `nnstudio.services.model_state.WeightSet`, which owns the
rule of which arrays belong to which layer of which spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:  # numpy is not imported for a type: the window appears before it is needed
    import numpy as np

Weights: TypeAlias = "dict[str, list[np.ndarray]]"
