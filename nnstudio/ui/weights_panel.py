"""The Weights dock: the selected layer's kernel histogram, or a message saying why there is none."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from nnstudio.ui.optional import optional


class WeightsPanel(QStackedWidget):
    """The Weights dock: the selected layer's kernel histogram (developer E's widget), or a clear message.

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
        self.histogram = None
        self.tried = False  # install_histogram() was called (the histogram is None only if it failed)
        self._shown: tuple[str, Any] | None = None  # (layer name, kernel array) on the histogram now

    def install_histogram(self) -> bool:
        """Create the histogram widget once; False when it cannot be imported or created."""
        if self.histogram is not None:
            return True
        self.tried = True
        cls = optional("nnstudio.ui.histogram", "WeightHistogram")
        if cls is None:
            return False
        try:
            self.histogram = cls(self)
        except Exception:
            self.histogram = None
            return False
        self.addWidget(self.histogram)
        return True

    def show_message(self, text: str) -> None:
        """Show `text` in place of the histogram."""
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def show_kernel(self, name: str, arrays: list) -> None:
        """The histogram of `arrays[0]` (recomputed only when the layer or its arrays changed)."""
        if self.histogram is None:
            return
        shown = self._shown
        if shown is None or shown[0] != name or shown[1] is not arrays[0] or self.currentWidget() is not self.histogram:
            self.histogram.set_layer_weights(name, arrays)
            self._shown = (name, arrays[0])
        self.setCurrentWidget(self.histogram)

    def forget(self) -> None:
        """Someone else (the training panel) drew on the histogram: redraw on the next `show_kernel`."""
        self._shown = None
