"""Benchmark: the graph view on keras.applications graphs of 177 to 771 layers, collapsed into groups
of repeated blocks (as a model of 100+ layers opens) against the same graph with every layer drawn.

Run: python tests/bench/graph_view.py

For ResNet50 and DenseNet121 (read from the configs Keras wrote, `tests/core/data`) and NASNetMobile
(its graph as Keras writes it), in a 1400x500 offscreen GraphView, it measures (wall time; `_cpu_ms`:
the GUI thread's own CPU time, the rest is the machine's other work):

- open_ms: from `Document.load` until the scene is built (blocks found, layout, items) and the
  overview's picture drawn, groups collapsed; open_expanded_ms: the baseline, every layer drawn: the
  same load, then (as a second step) View > Expand All Blocks, until drawn (a graph of `LAYOUT_AWAY_FROM` boxes or more is
  laid out in a background thread); `_max_gap_ms`: the GUI thread's longest gap meanwhile (a 10 ms
  heartbeat, tests/bench/responsiveness.py);
- boxes / boxes_expanded: the items the layout places either way;
- expand_ms / collapse_ms: double-click work on the biggest group (rebuild with it expanded, and back);
- frame_ms / frame_expanded_ms: median full repaint of the view showing the whole graph (F);
- scroll_frame_ms: median repaint after a scroll step at the readable scale, overview shown;
- zoom_pan_ms: every layer drawn, median of zoom steps (x1.25 six times, x0.8 six times, from the
  readable scale) and scroll-bar steps across the graph, each with its repaint, as
  tests/bench/applications.py does in the window;
- edit_ms: the head's units changed (`Document.set_param`) with every layer drawn, until the view
  shows it (its boxes' words changed in place; the core's analysis of the edited model, which the
  window's other views share, done before); edit_rebuild_ms: the baseline, the same scene drawn
  afresh from a kept layout (what every edit cost before), same run; edit_kept_items: whether the edit
  left the same item objects;
- structural_edit_ms: a Dropout inserted before the head with every layer drawn, until drawn again
  (a new layout), with its `_max_gap_ms`;
- find_ms: jumping to a layer in the middle of the biggest group as Find does (the group expands,
  the view centres on the layer).

Prints one JSON line per model, then last {"models": [...], "open_ms": {...}, "open_expanded_ms": {...},
"frame_ms": {...}, "frame_expanded_ms": {...}, "zoom_pan_ms": {...}, "edit_ms": {...}, "goals_met"};
goals: open_ms <= 300, frame_ms and zoom_pan_ms <= 30, edit_ms <= 10 and open_expanded_max_gap_ms <= 50
on every model.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.services.document import Document  # noqa: E402
from nnstudio.ui.graph.view import GraphView  # noqa: E402
from tests.bench.responsiveness import Heartbeat, run_until  # noqa: E402
from tests.core.applications_topology import application_model, application_spec  # noqa: E402

MODELS = {"ResNet50": application_model, "DenseNet121": application_model, "NASNetMobile": application_spec}


def ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def median_repaint(app: QApplication, view: GraphView, times: int = 9, step: int = 0) -> float:
    samples = []
    for _ in range(times):
        if step:
            bar = view.horizontalScrollBar()
            bar.setValue(bar.value() + step if bar.value() + step <= bar.maximum() else bar.minimum())
        start = time.perf_counter()
        view.viewport().repaint()
        view.overview.viewport().repaint()
        samples.append(ms(start))
    app.processEvents()
    return round(statistics.median(samples), 2)


def drawn(view: GraphView) -> bool:
    return not view.laying_out() and not view.overview.picture_pending()


def timed_until_drawn(app: QApplication, view: GraphView, action) -> dict:
    """`action()`, then the event loop until the view is drawn: wall and GUI CPU time, longest gap."""
    heartbeat = Heartbeat()
    heartbeat.start()
    start, cpu = time.perf_counter(), time.thread_time()
    action()
    run_until(app, lambda: drawn(view))
    wall, cpu = ms(start), round((time.thread_time() - cpu) * 1000, 2)
    heartbeat.stop()
    return {"ms": wall, "cpu_ms": cpu, "max_gap_ms": round(heartbeat.max_gap_ms(start), 1)}


def zoom_pan(app: QApplication, view: GraphView) -> dict:
    """Median (and CPU median) of zoom steps and scroll steps, each with its repaint."""
    view.fit(readable=True)
    app.processEvents()
    steps = [lambda f=f: view.scale(f, f) for f in [1.25] * 6 + [0.8] * 6]
    bar = view.horizontalScrollBar()
    span = max(1, (bar.maximum() - bar.minimum()) // 12)
    steps += [lambda p=p: bar.setValue(p) for p in range(bar.minimum(), bar.maximum() + 1, span)]
    walls, cpus = [], []
    for step in steps:
        start, cpu = time.perf_counter(), time.thread_time()
        step()
        view.viewport().repaint()
        walls.append(ms(start))
        cpus.append((time.thread_time() - cpu) * 1000)
    return {"ms": round(statistics.median(walls), 2), "cpu_ms": round(statistics.median(cpus), 2)}


def measure(app: QApplication, name: str) -> dict:
    spec = MODELS[name](name)
    document = Document.new_empty()
    view = GraphView(document)
    view.resize(1400, 500)
    view.show()
    app.processEvents()

    opened = timed_until_drawn(app, view, lambda: document.load(spec))
    boxes = len(view.nodes) + len(view.group_items)
    view.fit()
    app.processEvents()
    frame_ms = median_repaint(app, view)

    biggest = max(view.groups, key=lambda g: len(g.members))
    expanded = timed_until_drawn(app, view, lambda: view.set_collapsed(biggest.key, False))
    collapsed = timed_until_drawn(app, view, lambda: view.set_collapsed(biggest.key, True))

    view.fit(readable=True)
    app.processEvents()
    scroll_frame_ms = median_repaint(app, view, step=120)

    target = biggest.members[len(biggest.members) // 2]

    def find() -> None:
        document.select_layer(spec.position_of(target))
        view.reveal(target)

    found = timed_until_drawn(app, view, find)
    assert target in view.nodes and view.nodes[target].isSelected()

    baseline = GraphView(Document.new_empty())
    baseline.resize(1400, 500)
    baseline.show()
    app.processEvents()

    loaded = timed_until_drawn(app, baseline, lambda: baseline.document.load(spec))
    expanded_all = timed_until_drawn(app, baseline, lambda: baseline.set_all_collapsed(False))
    opened_expanded = {
        "ms": round(loaded["ms"] + expanded_all["ms"], 2),
        "cpu_ms": round(loaded["cpu_ms"] + expanded_all["cpu_ms"], 2),
        "max_gap_ms": max(loaded["max_gap_ms"], expanded_all["max_gap_ms"]),
    }
    boxes_expanded = len(baseline.nodes) + len(baseline.group_items)
    baseline.fit()
    app.processEvents()
    frame_expanded_ms = median_repaint(app, baseline)
    frames = zoom_pan(app, baseline)

    doc = baseline.document
    head = max(i for i, layer in enumerate(doc.spec.layers) if layer.class_name in ("Dense", "Conv2D"))
    key = "units" if doc.spec.layers[head].class_name == "Dense" else "filters"
    items = set(baseline.nodes.values())
    doc.changed.disconnect(baseline.rebuild)  # the analysis of the edited model is the document's: done first
    doc.set_param(head, key, 7)
    doc.summary()
    doc.changed.connect(baseline.rebuild)
    edit = timed_until_drawn(app, baseline, baseline.rebuild)
    kept = set(baseline.nodes.values()) == items

    def redraw() -> None:
        baseline._scene_key = None  # what every edit did before: the scene drawn afresh (layout kept)
        baseline.rebuild()

    rebuilt = timed_until_drawn(app, baseline, redraw)
    head_id = doc.spec.layers[head].id
    source = doc.spec.layers[head].inbound[0][0]
    structural = timed_until_drawn(app, baseline, lambda: doc.insert_on_connection("Dropout", source, head_id))
    assert any(layer.class_name == "Dropout" for layer in doc.spec.layers) and len(baseline.nodes) == boxes_expanded + 1
    for widget in (view, baseline):
        widget.document.undo_stack.setClean()
        widget.close()
        widget.deleteLater()
    app.processEvents()
    return {
        "model": name,
        "layers": len(spec.layers),
        "groups": len(view.groups),
        "open_ms": opened["ms"],
        "open_cpu_ms": opened["cpu_ms"],
        "open_max_gap_ms": opened["max_gap_ms"],
        "open_expanded_ms": opened_expanded["ms"],
        "open_expanded_cpu_ms": opened_expanded["cpu_ms"],
        "open_expanded_max_gap_ms": opened_expanded["max_gap_ms"],
        "boxes": boxes,
        "boxes_expanded": boxes_expanded,
        "expand_ms": expanded["ms"],
        "collapse_ms": collapsed["ms"],
        "frame_ms": frame_ms,
        "frame_expanded_ms": frame_expanded_ms,
        "scroll_frame_ms": scroll_frame_ms,
        "zoom_pan_ms": frames["ms"],
        "zoom_pan_cpu_ms": frames["cpu_ms"],
        "edit_ms": edit["ms"],
        "edit_cpu_ms": edit["cpu_ms"],
        "edit_rebuild_ms": rebuilt["ms"],
        "edit_kept_items": kept,
        "structural_edit_ms": structural["ms"],
        "structural_edit_cpu_ms": structural["cpu_ms"],
        "structural_edit_max_gap_ms": structural["max_gap_ms"],
        "find_ms": found["ms"],
    }


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    results = [measure(app, name) for name in MODELS]
    for result in results:
        print(json.dumps(result))
    summary = {
        "models": [r["model"] for r in results],
        "open_ms": {r["model"]: r["open_ms"] for r in results},
        "open_expanded_ms": {r["model"]: r["open_expanded_ms"] for r in results},
        "frame_ms": {r["model"]: r["frame_ms"] for r in results},
        "frame_expanded_ms": {r["model"]: r["frame_expanded_ms"] for r in results},
        "zoom_pan_ms": {r["model"]: r["zoom_pan_ms"] for r in results},
        "edit_ms": {r["model"]: r["edit_ms"] for r in results},
        "goals_met": all(
            r["open_ms"] <= 300
            and r["frame_ms"] <= 30
            and r["zoom_pan_ms"] <= 30
            and r["edit_ms"] <= 10
            and r["open_expanded_max_gap_ms"] <= 50
            for r in results
        ),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
