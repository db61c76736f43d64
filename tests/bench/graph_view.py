"""Benchmark: the graph view on keras.applications graphs of 177 to 771 layers, collapsed into groups
of repeated blocks (as a model of 100+ layers opens) against the same graph with every layer drawn.

Run: python tests/bench/graph_view.py

For ResNet50 and DenseNet121 (read from the configs Keras wrote, `tests/core/data`) and NASNetMobile
(its graph as Keras writes it), in a 1400x500 offscreen GraphView, it measures:

- open_ms: from `Document.load` until the scene is built (blocks found, layout, items), groups
  collapsed; open_expanded_ms: the baseline, every layer drawn: the same load, then View ▸ Expand
  All Blocks, measured in the same run;
- boxes / boxes_expanded: the items the layout places either way;
- expand_ms / collapse_ms: double-click work on the biggest group (rebuild with it expanded, and back);
- frame_ms / frame_expanded_ms: median full repaint of the view showing the whole graph (F);
- scroll_frame_ms: median repaint after a scroll step at the readable scale, overview shown;
- find_ms: jumping to a layer in the middle of the biggest group as Find does (the group expands,
  the view centres on the layer).

Prints one JSON line per model, then last {"models": [...], "open_ms": {...}, "open_expanded_ms": {...},
"frame_ms": {...}, "frame_expanded_ms": {...}, "goals_met"}; goals: open_ms <= 300 and frame_ms <= 50
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


def measure(app: QApplication, name: str) -> dict:
    spec = MODELS[name](name)
    document = Document.new_empty()
    view = GraphView(document)
    view.resize(1400, 500)
    view.show()
    app.processEvents()

    start = time.perf_counter()
    document.load(spec)
    open_ms = ms(start)
    boxes = len(view.nodes) + len(view.group_items)
    view.fit()
    app.processEvents()
    frame_ms = median_repaint(app, view)

    biggest = max(view.groups, key=lambda g: len(g.members))
    start = time.perf_counter()
    view.set_collapsed(biggest.key, False)
    expand_ms = ms(start)
    start = time.perf_counter()
    view.set_collapsed(biggest.key, True)
    collapse_ms = ms(start)

    view.fit(readable=True)
    app.processEvents()
    scroll_frame_ms = median_repaint(app, view, step=120)

    target = biggest.members[len(biggest.members) // 2]
    start = time.perf_counter()
    document.select_layer(spec.position_of(target))
    view.reveal(target)
    find_ms = ms(start)
    assert target in view.nodes and view.nodes[target].isSelected()

    baseline = GraphView(Document.new_empty())
    baseline.resize(1400, 500)
    baseline.show()
    app.processEvents()
    start = time.perf_counter()
    baseline.document.load(spec)
    baseline.set_all_collapsed(False)
    open_expanded_ms = ms(start)
    boxes_expanded = len(baseline.nodes) + len(baseline.group_items)
    baseline.fit()
    app.processEvents()
    frame_expanded_ms = median_repaint(app, baseline)
    for widget in (view, baseline):
        widget.close()
        widget.deleteLater()
    app.processEvents()
    return {
        "model": name,
        "layers": len(spec.layers),
        "groups": len(view.groups),
        "open_ms": open_ms,
        "open_expanded_ms": open_expanded_ms,
        "boxes": boxes,
        "boxes_expanded": boxes_expanded,
        "expand_ms": expand_ms,
        "collapse_ms": collapse_ms,
        "frame_ms": frame_ms,
        "frame_expanded_ms": frame_expanded_ms,
        "scroll_frame_ms": scroll_frame_ms,
        "find_ms": find_ms,
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
        "goals_met": all(r["open_ms"] <= 300 and r["frame_ms"] <= 50 for r in results),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
