"""The engine's request/reply protocol: small picklable dataclasses, no Qt, no Keras.

A `Request` goes from the client (the model service's worker thread) to the engine process
through a `multiprocessing` pipe; the engine answers with one `Reply` per request (and, for
long-running ops such as training, any number of `Reply(kind="progress")` before it). Weight
arrays never travel pickled: a message's `weights` field holds only a `SharedWeights` layout
(see `shared_memory.py`), and the receiver takes the arrays from one shared-memory block (`unpack`) and
unlinks it. The payload dataclasses below (`BuildResult`, `LoadResult`, ...) carry an empty
`weights` dict on the wire; `EngineClient.receive` puts the arrays back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights import Weights

# The request argument that carries the sender's parameter budget (`core.validation.param_budget`):
# the engine applies it to the request, so a budget raised in the window or by --max-params holds there.
PARAM_BUDGET_ARG = "param_budget"
# The request argument that names the blocks of earlier replies the client has dropped: the engine
# closes the files it kept of them for arrays sent back by reference (`shared_memory.release_kept`).
RELEASED_BLOCKS_ARG = "released_blocks"

# Reply kinds
RESULT = "result"  # the op finished; `value` is its result
ERROR = "error"  # the op raised; `error` says what
PROGRESS = "progress"  # an interim report of a long op (training); more replies follow


@dataclass
class Request:
    """One operation for the engine. `args` are the op's keyword arguments (picklable)."""

    op: str
    request_id: int
    args: dict[str, Any] = field(default_factory=dict)
    weights: Any = None  # SharedWeights | None: arrays sent along (e.g. to export a trained model)


@dataclass
class EngineError:
    """What an op raised, as text: the engine never dies of an exception."""

    message: str
    exception_type: str = "Exception"
    layer_name: str | None = None
    traceback: str = ""


@dataclass
class Reply:
    """The engine's answer to the request with the same `request_id`."""

    request_id: int
    op: str
    kind: str = RESULT
    value: Any = None
    error: EngineError | None = None
    weights: Any = None  # SharedWeights | None; the client moves the arrays into `value.weights`

    @property
    def ok(self) -> bool:
        return self.kind != ERROR


@dataclass
class BuildResult:
    """A successful Keras build: Keras's own summary rows and the model's real weights.

    `rows` are Keras's rows (`name`, `type`, `output_shape` as a list with None for the batch,
    `params`, `trainable`, `non_trainable`), without the Input layer, like `model.summary()`.
    `weights` maps a layer name to its arrays in `get_weights()` order; a layer named in `kept`
    holds exactly the arrays the request sent for it, which are not sent back (its entry is empty:
    the model service puts the request's own arrays there).
    """

    request_id: int
    spec: ModelSpec
    rows: list[dict[str, Any]]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    weights: Weights = field(default_factory=dict)
    elapsed_ms: float = 0.0
    kept: tuple[str, ...] = ()


@dataclass
class BuildFailure:
    """Keras (or the analytic check before it) refused the spec; `layer_name` is the layer at fault."""

    request_id: int
    spec: ModelSpec
    message: str
    layer_name: str | None = None


@dataclass
class LoadResult:
    """A `.keras` file read in the engine (checked config, h5py weights): its spec and weights."""

    request_id: int
    path: str
    spec: ModelSpec
    weights: Weights = field(default_factory=dict)


@dataclass
class ExportResult:
    """A `.keras` file written (atomically) by the engine."""

    request_id: int
    path: str
    elapsed_ms: float = 0.0
