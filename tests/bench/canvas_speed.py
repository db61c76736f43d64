"""Benchmark: the network canvas's frame and first-draw times against a naive drawing.

Run: python tests/bench/canvas_speed.py [--quick] [--model lesson|784-512-256-10|4096x8|vgg16]

For the lesson (20-64-10), a 784-512-256-10 MLP (535,040 weights), an 8-layer 4096-wide MLP
(Input 4096 + 7 x Dense 4096: 117,440,512 weights) and a VGG16-sized Sequential CNN (Input 224x224x3,
VGG16's 13 Conv2D 3x3 in five blocks each closed by MaxPooling2D, Flatten, Dense 4096, 4096, 1000:
138,357,544 parameters; the convolutions drawn as feature maps and kernel tiles), all random
float32 generated once, it measures at 1600x1000 offscreen:

- first_draw_ms: from set_weights() with the arrays as they arrive from the Keras engine (through
  shared memory: `pack` as the engine does, `unpack` as the model service does) until the weighted
  drawing is on screen. The engine block-sums big kernels while it copies them into shared memory,
  so the canvas starts from those sums; for models above the canvas's SYNC_WORK the rest runs in a
  background thread and the time runs until its result is drawn and repainted;
- engine_pack_ms / engine_pack_plain_ms: the engine's copy into shared memory with and without
  those sums (the cost moved out of the GUI process, on the engine's core), unpack_ms: the model
  service worker's copy out of it;
- first_draw_raw_ms: the same first draw from arrays that carry no sums (the canvas sums every
  kernel itself, in the background for big models), measured at the end on the fitted view;
- set_weights_max_gap_ms: the longest gap of a 10 ms QTimer heartbeat on the GUI thread meanwhile;
- zoom_max_gap_ms: the longest heartbeat gap while zooming in bursts (wheel-like steps every 15 ms,
  then a pause in which the level of detail is recomputed), from the whole network down to single
  weights; zoom_lod_ms: median time from the end of a burst until its level of detail is on screen;
- frame_ms: median full repaint of the canvas's viewport with the weights shown;
- pan_frame_ms: median repaint right after the view moved (before the debounced level of detail);
- snapshots_max_gap_ms: the longest heartbeat gap while new weights arrive every 250 ms for 3 s (as
  training snapshots do; fresh array objects each time, so every one is summed again), and
  snapshots_drawn: how many of the 12 reached the screen (the canvas skips some, newest wins);
- lod_refresh_ms: median level-of-detail update plus repaint after a zoom step (what runs once the
  interaction pauses for 30 ms; for big models the wait for the background result included);
- result_apply_ms / result_apply_max_ms: for models drawn in the background, the median / longest
  time the GUI thread spends taking one background result (weights or level of detail) onto the
  items, over the whole run;
- naive_ms / naive_first_ms: the same full repaint / setData plus repaint of one pyqtgraph
  PlotCurveItem (connect="pairs") holding every weight as its own segment, measured in the same run,
  skipped when its estimated time from the smaller model's rate is above 30 s.

Goals on every model: frame_ms <= 30 and first_draw_ms <= 200.

Prints one JSON line per model, then last the line {"model": "784-512-256-10", "frame_ms", "naive_ms", ...,
"vgg16_frame_ms", "vgg16_first_draw_ms", "goals_met"}.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402
from vgg16 import vgg16_spec  # noqa: E402 - tests/bench/vgg16.py, next to this script

from nnstudio.core.shapes import infer_all  # noqa: E402
from nnstudio.core.spec import ModelSpec, lesson_spec  # noqa: E402
from nnstudio.core.summary import analyze  # noqa: E402
from nnstudio.engine import shared_memory  # noqa: E402
from nnstudio.ui.canvas import NetworkCanvas  # noqa: E402
from nnstudio.ui.canvas import layout as L  # noqa: E402

SIZE = (1600, 1000)
NAIVE_LIMIT_S = 30.0
FRAME_GOAL_MS = 30.0
FIRST_DRAW_GOAL_MS = 200.0


def mlp_spec(sizes: list[int]) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[sizes[0]]))
    for units in sizes[1:]:
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units, activation="relu"))
    return spec


def random_weights(spec: ModelSpec, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Glorot-scaled random kernels and small biases, for every layer's variables."""
    rng = np.random.default_rng(seed)
    summary = analyze(spec, param_budget=10**12)
    out, shape = {}, summary.input_shape
    for row in summary.rows:
        _outputs, variables = infer_all(spec.layers[row.index], [shape])
        arrays = []
        for variable in variables:
            if len(variable.shape) >= 2:
                fan_in, fan_out = int(np.prod(variable.shape[:-1])), variable.shape[-1]
                kernel = rng.standard_normal(variable.shape, dtype=np.float32)
                kernel *= np.sqrt(6 / (fan_in + fan_out)) / 1.7
                arrays.append(kernel)
            else:
                arrays.append(rng.normal(0, 0.05, variable.shape).astype(np.float32))
        if arrays:
            out[row.name] = arrays
        shape = row.output_shape
    return out


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def median_ms(fn, repeats: int) -> float:
    return statistics.median(timed(fn) for _ in range(repeats))


class Heartbeat:
    """A 10 ms QTimer on the GUI thread; max_gap_ms is the longest time between two of its ticks."""

    def __init__(self) -> None:
        self.timer = QtCore.QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.max_gap_ms = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap_ms = max(self.max_gap_ms, (now - self.last) * 1000)
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.max_gap_ms = 0.0
        self.timer.start()

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return round(self.max_gap_ms, 1)


def run_until(done, timeout_s: float = 120.0) -> None:
    """Run the GUI event loop until done() (checked every 2 ms, so the wait adds little)."""
    if done():
        return
    loop = QtCore.QEventLoop()
    poll = QtCore.QTimer()
    poll.setInterval(2)
    deadline = time.perf_counter() + timeout_s
    poll.timeout.connect(lambda: (done() or time.perf_counter() > deadline) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    if not done():
        raise TimeoutError("the canvas did not finish in time")


def idle(canvas) -> bool:
    return not canvas.busy()


def zoom_bursts(app, canvas, heartbeat: Heartbeat) -> dict:
    """Zoom from the whole network into one weight of the middle layer, in wheel-like bursts."""
    canvas.fit_view()
    run_until(lambda: idle(canvas))
    canvas.viewport().repaint()
    mid = canvas.columns[len(canvas.columns) // 2]
    target = QtCore.QPointF((mid.x + canvas.columns[len(canvas.columns) // 2 - 1].x) / 2, float(mid.y_of(mid.n // 3)))
    lod_ms = []
    heartbeat.start()
    steps = {"left": 0}

    def step():
        if steps["left"] > 0:
            canvas.view.scaleBy((0.6, 0.6), center=target)
            canvas.viewport().repaint()  # as a wheel event's paint: the stale image, scaled
            steps["left"] -= 1

    timer = QtCore.QTimer()
    timer.setInterval(15)
    timer.timeout.connect(step)
    timer.start()
    for _burst in range(6):
        steps["left"] = 6
        run_until(lambda: steps["left"] <= 0)
        t0 = time.perf_counter()
        app.processEvents()
        run_until(lambda: idle(canvas) and not canvas._lod_timer.isActive())
        canvas.viewport().repaint()
        lod_ms.append((time.perf_counter() - t0) * 1000)
    timer.stop()
    gap = heartbeat.stop()
    levels = sorted({cl.level for cl in canvas.lod.columns.values()})
    return {"zoom_max_gap_ms": gap, "zoom_lod_ms": round(statistics.median(lod_ms), 1), "zoom_final_levels": levels}


def snapshots(canvas, weights, heartbeat: Heartbeat, count: int = 12, every_ms: int = 250) -> dict:
    """New weight arrays every `every_ms` (views of the same data, so no memory is spent)."""
    canvas.fit_view()
    run_until(lambda: idle(canvas))
    drawn = {"n": 0}
    canvas.weightsDrawn.connect(lambda: drawn.__setitem__("n", drawn["n"] + 1))
    sent = {"n": 0}

    def send():
        if sent["n"] < count:
            canvas.set_weights({name: [a[...] for a in arrays] for name, arrays in weights.items()})
            sent["n"] += 1

    timer = QtCore.QTimer()
    timer.setInterval(every_ms)
    timer.timeout.connect(send)
    heartbeat.start()
    send()
    timer.start()
    run_until(lambda: sent["n"] >= count)
    timer.stop()
    run_until(lambda: idle(canvas))
    canvas.viewport().repaint()
    return {"snapshots_max_gap_ms": heartbeat.stop(), "snapshots_drawn": drawn["n"]}


def engine_handover(weights, rounds: int = 3) -> dict:
    """The weights as the model service receives them from the engine, and what the hand-over costs
    (packing with and without the block sums alternately, medians: the first fresh block pays more
    page faults than the later ones)."""
    plain, summed = [], []
    for _ in range(rounds):
        plain.append(timed(lambda: shared_memory.discard(shared_memory.pack(weights, sum_kernels=False))))
        summed.append(timed(lambda: shared_memory.discard(shared_memory.pack(weights))))
    layout = shared_memory.pack(weights)
    box = {}
    unpack_ms = timed(lambda: box.__setitem__("arrived", shared_memory.unpack(layout)))
    return {
        "engine_pack_ms": round(statistics.median(summed), 1),
        "engine_pack_plain_ms": round(statistics.median(plain), 1),
        "unpack_ms": round(unpack_ms, 1),
        "arrived": box["arrived"],
    }


def measure_canvas(app, spec, weights, repeats: int) -> dict:
    canvas = NetworkCanvas()
    canvas.resize(*SIZE)
    canvas.show()
    app.processEvents()
    summary = analyze(spec, param_budget=10**12)
    canvas.set_model(summary, spec)
    canvas.viewport().repaint()
    app.processEvents()
    heartbeat = Heartbeat()
    applied: list[float] = []
    take = canvas._on_job_done

    def timed_take(job_result) -> None:
        t0 = time.perf_counter()
        take(job_result)
        applied.append((time.perf_counter() - t0) * 1000)

    canvas._jobs._relay.finished.disconnect()
    canvas._jobs._relay.finished.connect(timed_take)

    def first(arrays=weights):
        canvas.set_weights(arrays)
        run_until(lambda: idle(canvas) and not canvas.pending)
        canvas.viewport().repaint()

    heartbeat.start()
    result = {"first_draw_ms": round(timed(first), 1)}
    app.processEvents()
    result["set_weights_max_gap_ms"] = heartbeat.stop()
    result["background"] = bool(canvas._big)
    result["frame_ms"] = round(median_ms(canvas.viewport().repaint, repeats), 2)

    def pan():
        canvas.view.translateBy(x=0.002)
        canvas.viewport().repaint()

    result["pan_frame_ms"] = round(median_ms(pan, repeats), 2)

    def zoom_refresh():
        canvas.view.scaleBy((0.97, 0.97))
        canvas.refresh_lod()
        run_until(lambda: idle(canvas))
        canvas.viewport().repaint()

    result["lod_refresh_ms"] = round(median_ms(zoom_refresh, max(3, repeats // 2)), 1)
    result.update(snapshots(canvas, weights, heartbeat))
    result.update(zoom_bursts(app, canvas, heartbeat))
    canvas.fit_view()
    run_until(lambda: idle(canvas))
    canvas.viewport().repaint()
    raw = {name: [a[...] for a in arrays] for name, arrays in weights.items()}  # new objects: no sums
    result["first_draw_raw_ms"] = round(timed(lambda: first(raw)), 1)
    result["segments_drawn"] = canvas.edges.segment_count()
    result["groups_drawn"] = int(sum(len(c.starts) for c in canvas.lod.columns.values()))
    result["neurons"] = int(sum(c.n for c in canvas.columns))
    if applied:
        result["result_apply_ms"] = round(statistics.median(applied), 1)
        result["result_apply_max_ms"] = round(max(applied), 1)
    canvas.close()
    canvas.shutdown()
    canvas.deleteLater()
    app.processEvents()
    return result


def naive_segments(spec) -> tuple[np.ndarray, np.ndarray, int]:
    """Every weight as its own segment between the canvas's neuron positions."""
    columns, links = L.build_columns(analyze(spec, param_budget=10**12), spec)
    xs, ys = [], []
    for link in links:
        a, b = columns[link.src], columns[link.dst]
        ya = a.y_of(np.arange(a.n))
        yb = b.y_of(np.arange(b.n))
        x = np.empty(2 * a.n * b.n)
        x[0::2], x[1::2] = a.x, b.x
        y = np.empty(2 * a.n * b.n)
        y[0::2] = np.repeat(ya, b.n)
        y[1::2] = np.tile(yb, a.n)
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return x, y, len(x) // 2


def measure_naive(app, spec, repeats: int) -> dict:
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.resize(*SIZE)
    view = widget.addViewBox()
    widget.show()
    app.processEvents()
    x, y, count = naive_segments(spec)
    curve = pg.PlotCurveItem(pen=pg.mkPen("#1f6fb4", width=1))
    view.addItem(curve)
    view.setRange(xRange=(x.min() - 0.3, x.max() + 0.3), yRange=(y.min() * 1.15, y.max() * 1.15), padding=0)

    def first():
        curve.setData(x=x, y=y, connect="pairs")
        widget.viewport().repaint()

    result = {"naive_first_ms": round(timed(first), 1), "naive_segments": count}
    result["naive_ms"] = round(median_ms(widget.viewport().repaint, repeats), 1)
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return result


def main() -> int:
    quick = "--quick" in sys.argv
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    models = [
        ("lesson", lesson_spec()),
        ("784-512-256-10", mlp_spec([784, 512, 256, 10])),
        ("4096x8", mlp_spec([4096] * 8)),
        ("vgg16", vgg16_spec()),
    ]
    if quick:
        models = [m for m in models if m[0] not in ("4096x8", "vgg16")]
    if "--model" in sys.argv:  # one model only (the last line then reports it alone)
        wanted = sys.argv[sys.argv.index("--model") + 1]
        models = [m for m in models if m[0] == wanted]
    rate_ms_per_segment = None
    lines = {}
    for name, spec in models:
        weights = random_weights(spec)
        n_weights = int(sum(w[0].size for w in weights.values()))
        row = {"model": name, "weights": n_weights, "params": int(sum(a.size for w in weights.values() for a in w))}
        row.update(engine_handover(weights))
        arrived = row.pop("arrived")
        del weights
        gc.collect()
        row.update(measure_canvas(app, spec, arrived, repeats=9))
        del arrived
        gc.collect()
        segments = n_weights
        estimate_s = None if rate_ms_per_segment is None else rate_ms_per_segment * segments / 1000
        if estimate_s is not None and estimate_s > NAIVE_LIMIT_S or segments > 20_000_000:
            row["naive_ms"] = None
            row["naive_skipped"] = (
                f"estimated {estimate_s:.0f} s a frame for {segments:,} segments (> {NAIVE_LIMIT_S:.0f} s)"
                if estimate_s is not None
                else f"{segments:,} segments would need {segments * 32 / 2**30:.1f} GiB of float64 coordinates"
            )
        else:
            row.update(measure_naive(app, spec, repeats=3))
            if segments > 100_000:
                rate_ms_per_segment = row["naive_ms"] / segments
        if row.get("naive_ms"):
            row["speedup"] = round(row["naive_ms"] / max(row["frame_ms"], 1e-3), 1)
        row["load_average"] = round(os.getloadavg()[0], 2)
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        lines[name] = row
        print(json.dumps(row), flush=True)
    final = dict(lines.get("784-512-256-10", {"frame_ms": None, "first_draw_ms": None, "lod_refresh_ms": None}))
    print(
        json.dumps(
            {
                "model": "784-512-256-10",
                "frame_ms": final["frame_ms"],
                "naive_ms": final.get("naive_ms"),
                "first_draw_ms": final["first_draw_ms"],
                "lod_refresh_ms": final["lod_refresh_ms"],
                "worst_frame_ms": max(r["frame_ms"] for r in lines.values()),
                "worst_first_draw_ms": max(r["first_draw_ms"] for r in lines.values()),
                "worst_first_draw_raw_ms": max(r["first_draw_raw_ms"] for r in lines.values()),
                "worst_set_weights_gap_ms": max(r["set_weights_max_gap_ms"] for r in lines.values()),
                "worst_zoom_gap_ms": max(r["zoom_max_gap_ms"] for r in lines.values()),
                "worst_snapshots_gap_ms": max(r["snapshots_max_gap_ms"] for r in lines.values()),
                "vgg16_frame_ms": lines["vgg16"]["frame_ms"] if "vgg16" in lines else None,
                "vgg16_first_draw_ms": lines["vgg16"]["first_draw_ms"] if "vgg16" in lines else None,
                "goals_met": all(
                    r["frame_ms"] <= FRAME_GOAL_MS and r["first_draw_ms"] <= FIRST_DRAW_GOAL_MS for r in lines.values()
                ),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
