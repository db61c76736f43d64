"""The Weights dock: the selected layer's kernel histogram, or a message saying why there is none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from nnstudio.core.layers.registry import is_input
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import Summary
from nnstudio.services.model_state import WeightSet

if TYPE_CHECKING:
    from nnstudio.ui.histogram import WeightHistogram


class WeightsPanel(QStackedWidget):
    """The Weights dock: the selected layer's kernel histogram, or a clear message.

    The histogram (pyqtgraph) is installed by `install_histogram()`, which the window calls with the
    canvas, after it is shown; until then, and for layers without a kernel, a message says why there
    is nothing to draw.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsPanel")
        self.message = QLabel(self)
        self.message.setObjectName("weightsMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(12)
        self.message.setEnabled(False)
        self.addWidget(self.message)
        self.histogram: WeightHistogram | None = None
        self._shown: tuple[str, Any] | None = None  # (layer name, kernel array) on the histogram now

    def install_histogram(self) -> None:
        """Create the histogram widget (once; pyqtgraph is imported here, after the window is shown)."""
        from nnstudio.ui.histogram import WeightHistogram

        if self.histogram is None:
            histogram = WeightHistogram(self)
            self.addWidget(histogram)
            self.histogram = histogram

    def show_message(self, text: str) -> None:
        """Show `text` in place of the histogram."""
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def show_kernel(self, name: str, arrays: list) -> None:
        """The histogram of `arrays[0]` (recomputed only when the layer or its arrays changed)."""
        histogram = self.histogram
        if histogram is None:
            return
        shown = self._shown
        on_top = self.currentIndex() == self.indexOf(histogram)
        if shown is None or shown[0] != name or shown[1] is not arrays[0] or not on_top:
            histogram.set_layer_weights(name, arrays)
            self._shown = (name, arrays[0])
        self.setCurrentWidget(histogram)

    def show_layer(
        self,
        spec: ModelSpec,
        summary: Summary,
        index: int,
        weights: WeightSet | None,
        keras_error: str | None,
        reading_file: bool = False,
    ) -> None:
        """The histogram of layer `index`'s kernel in `weights`, or why there is none (`keras_error`:
        why Keras has no weights for the model now; `reading_file`: Keras is reading them from the
        opened file)."""
        if not 0 <= index < len(spec.layers):
            self.show_message("Select a layer to see the histogram of its weights.")
            return
        layer = spec.layers[index]
        title = f"{layer.name} ({layer.class_name})"
        if self.histogram is None:
            self.show_message("…")
            return
        arrays = weights.for_layer(layer) if weights is not None else None
        if arrays and getattr(arrays[0], "ndim", 0) >= 2:
            self.show_kernel(layer.name, arrays)
            return
        row = next((r for r in summary.rows if r.index == index), None)
        if row is not None and row.error:
            self.show_message(f"{title} cannot be built yet: {row.error}")
        elif is_input(layer.class_name) or row is None or row.params == 0:
            self.show_message(f"{title} has no weights: it passes values on without learning any.")
        elif arrays:
            shapes = ", ".join("×".join(str(d) for d in a.shape) or "?" for a in arrays)
            self.show_message(
                f"{title} has no kernel: only {len(arrays)} per-feature vectors ({shapes}), no weights between neurons."
            )
        elif keras_error:
            self.show_message(f"No weights for {title}: {keras_error}")
        elif reading_file:
            self.show_message(f"{title}: Keras is reading its weights from the file…")
        else:
            self.show_message(f"{title}: waiting for Keras to build its weights…")
