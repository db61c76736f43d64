"""Training ops of the Keras engine process: "train", "train_reset", "train_state".

Imported by `nnstudio.engine.process` at start-up; each op is registered in its `HANDLERS`.
The engine keeps one training session (the Keras model and how many epochs it has run), so that
Resume goes on with the same model, optimizer state included; Reset forgets it.

"train" args: `spec`, `data` (a `DataConfig`), `epochs` (to run in this call), `batch_size`,
`validation_split`, `resume` (go on with the session's model when its spec is the same; else
build one from the weights sent along, counting epochs on from `initial_epoch`),
`snapshot_every` (seconds between weight snapshots), `progress_interval` (seconds between
progress messages; 0.05 = 20 a second). Weights sent along start a fresh run (the weights the
app shows). While it runs the op sends interim replies (`ctx.progress`):
  - `{"type": "progress", **update}` (see `nnstudio.keras_io.train`), at most 20 a second;
  - `{"type": "weights", "epoch", "batch"}` with the weights in shared memory, every `snapshot_every` s.
  - `{"type": "data", "view": ...}`: the data on its plane (`PlaneData`) first, then with the
    weight snapshots the model's predictions over the plane's grid (`PlaneSurface`, throttled by
    `PlaneProbe`), and after training the last surface and a `PlaneEvaluation`; see
    `nnstudio.keras_io.plane_probe`.
A cancel message for the request (`EngineClient.cancel`) stops it after the current batch.
The result is a `TrainResult` (its weights travel through shared memory).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.weights import Weights
from nnstudio.engine.process import EngineContext, handler, keras_module


@dataclass
class TrainResult:
    """The end of a "train" (or "train_reset") request."""

    request_id: int
    history: dict[str, list[float]] = field(default_factory=dict)  # this run's epochs
    epochs_done: int = 0  # epochs the session's model has run in all (Resume continues from here)
    stopped: bool = False  # ended early by Stop
    samples_per_s: float = 0.0
    fit_seconds: float = 0.0  # time in `model.fit` only
    elapsed_s: float = 0.0  # data, build and fit
    normaliser: tuple[list[float], list[float]] | None = None  # (mean, std) fed to the features
    weights: Weights = field(default_factory=dict)


class _Session:
    model: Any = None
    spec: Any = None
    epochs_done: int = 0


SESSION = _Session()


def _forget() -> None:
    SESSION.model = None
    SESSION.spec = None
    SESSION.epochs_done = 0


@handler("train")
def train(ctx: EngineContext, args: dict[str, Any]) -> TrainResult:
    start = time.perf_counter()
    from nnstudio.core.csv_data import DataConfig, prepare
    from nnstudio.core.datasets import sample_count

    spec = args["spec"]
    config = args.get("data") or DataConfig()
    epochs = int(args.get("epochs", 1))
    batch_size = int(args.get("batch_size", 32))
    validation_split = float(args.get("validation_split", 0.0))
    snapshot_every = args.get("snapshot_every", 0.25)
    progress_interval = float(args.get("progress_interval", 0.05))
    data = prepare(spec, config, validation_split)

    keras_module()
    from nnstudio.keras_io.build import build_model
    from nnstudio.keras_io.plane_probe import PlaneProbe
    from nnstudio.keras_io.train import run_training

    resume = bool(args.get("resume"))
    if resume and SESSION.model is not None and SESSION.spec == spec:
        model = SESSION.model  # same model, same optimizer state
        initial_epoch = SESSION.epochs_done
    else:
        # a new run, or a resume whose session is gone (engine restarted) or whose compile
        # settings changed: a fresh model from the weights sent along, epochs counting on
        _forget()
        model = build_model(spec, ctx.weights or None, strict=False)
        initial_epoch = int(args.get("initial_epoch", 0)) if resume else 0
    SESSION.model, SESSION.spec, SESSION.epochs_done = model, spec, initial_epoch

    def progress(update: dict) -> None:
        ctx.progress({"type": "progress", **update})

    probe = PlaneProbe(spec, data, seed=config.seed)
    ctx.progress({"type": "data", "view": probe.start()})

    def snapshot(weights: Weights) -> None:
        ctx.progress({"type": "weights"}, weights=weights)
        surface = probe.surface(model)
        if surface is not None:
            ctx.progress({"type": "data", "view": surface})

    result: dict[str, Any] = {}
    fit_start = time.perf_counter()
    history, weights = run_training(
        spec,
        data.x,
        data.y,
        epochs=initial_epoch + epochs,
        batch_size=batch_size,
        validation_data=data.validation_data,
        initial_epoch=initial_epoch,
        model=model,
        progress=progress,
        should_stop=ctx.cancelled,
        snapshot=snapshot if snapshot_every else None,
        snapshot_every=snapshot_every,
        progress_interval=progress_interval,
        seed=config.seed,
        result=result,
    )
    fit_seconds = time.perf_counter() - fit_start
    if probe.available:
        ctx.progress({"type": "data", "view": probe.surface(model, force=True)})
        ctx.progress({"type": "data", "view": probe.evaluation(model)})
    ran = len(history.get("loss", []))
    SESSION.epochs_done = initial_epoch + ran
    callback = result.get("callback")
    samples = callback.batches_run * batch_size if callback is not None else 0
    samples = min(samples, ran * sample_count(data.x)) if ran else samples
    normaliser = None
    if data.normaliser is not None:
        normaliser = (data.normaliser.mean.tolist(), data.normaliser.std.tolist())
    return TrainResult(
        request_id=ctx.request_id,
        history=history,
        epochs_done=SESSION.epochs_done,
        stopped=bool(result.get("stopped")),
        samples_per_s=samples / fit_seconds if fit_seconds > 0 else 0.0,
        fit_seconds=fit_seconds,
        elapsed_s=time.perf_counter() - start,
        normaliser=normaliser,
        weights=weights,
    )


@handler("train_reset")
def train_reset(ctx: EngineContext, args: dict[str, Any]) -> TrainResult:
    """Forget the session; with `spec`, answer freshly initialised weights for it."""
    _forget()
    spec = args.get("spec")
    weights: Weights = {}
    if spec is not None:
        keras_module()
        from nnstudio.keras_io.build import build_model, layer_weights

        weights = layer_weights(build_model(spec))
    return TrainResult(request_id=ctx.request_id, weights=weights)


@handler("train_state")
def train_state(ctx: EngineContext, args: dict[str, Any]) -> dict[str, Any]:
    """What the session holds (for tests and diagnostics)."""
    return {"has_model": SESSION.model is not None, "epochs_done": SESSION.epochs_done}
