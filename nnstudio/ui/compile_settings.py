"""Compile settings: what `model.compile` receives — loss, optimizer, learning rate, metrics — by Keras's names.

Every change is one undoable `document.set_compile(CompileSpec)`; the learning rate left blank (or
"default") means the optimizer's own default, which the field shows as its placeholder. A ticked
metric that cannot go with the loss (or the model's output) is marked, with why and which metrics
would fit, before any training (`nnstudio.core.metric_fit`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.catalog import LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.compile_options import describe
from nnstudio.core.metric_fit import metric_problems
from nnstudio.services.document import Document
from nnstudio.ui.icons import error_color
from nnstudio.ui.property_editor import set_invalid

_HELP = {
    "loss": "The loss: the number training makes smaller (model.compile(loss=…)).",
    "optimizer": "How the weights are updated from the gradients (model.compile(optimizer=…)).",
    "learning_rate": "Step size of the optimizer. Leave blank for the optimizer's own default.",
    "metrics": "Extra numbers Keras reports while training and evaluating; they do not affect training.",
}


def parse_learning_rate(text: str) -> float | None:
    """'' or 'default' -> None; '0.01' / '1e-3' -> a positive float; ValueError otherwise."""
    cleaned = text.strip()
    if cleaned == "" or cleaned.lower() == "default":
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"'{cleaned}' is not a number; enter e.g. 0.001, or leave blank for the default") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"learning_rate must be a positive number. Received: learning_rate={cleaned}")
    return value


class CompileSettings(QWidget):
    """Loss, optimizer, learning rate and metrics of the document's model (objectName `compileSettings`)."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compileSettings")
        self.document = document

        form = QFormLayout()
        form.setContentsMargins(12, 10, 12, 12)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.loss = QComboBox()
        self.loss.setObjectName("compileLoss")
        self.loss.addItems(list(LOSSES))
        self.loss.setMaxVisibleItems(18)
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("compileOptimizer")
        self.optimizer.addItems(list(OPTIMIZERS))
        self.learning_rate = QLineEdit()
        self.learning_rate.setObjectName("compileLearningRate")
        self.learning_rate.setClearButtonEnabled(True)
        self.learning_rate_error = QLabel()
        self.learning_rate_error.setObjectName("error_learning_rate")
        self.learning_rate_error.setWordWrap(True)
        self.learning_rate_error.setProperty("fieldError", True)  # the application's style sheet: red, smaller
        self.learning_rate_error.hide()
        lr_cell = QWidget()
        lr_column = QVBoxLayout(lr_cell)
        lr_column.setContentsMargins(0, 0, 0, 0)
        lr_column.setSpacing(2)
        lr_column.addWidget(self.learning_rate)
        lr_column.addWidget(self.learning_rate_error)

        self.loss_options = self._options_label("compileLossOptions")
        self.optimizer_options = self._options_label("compileOptimizerOptions")
        loss_cell = self._stacked(self.loss, self.loss_options)
        optimizer_cell = self._stacked(self.optimizer, self.optimizer_options)

        self.metrics = QListWidget()
        self.metrics.setObjectName("compileMetrics")
        self.metrics.setStyleSheet(
            "QListWidget#compileMetrics { border: 1px solid palette(mid); border-radius: 4px; padding: 2px; }"
        )
        for metric in METRICS:
            item = QListWidgetItem(metric)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.metrics.addItem(item)
        rows = min(len(METRICS), 6)
        self.metrics.setMinimumHeight(self.metrics.sizeHintForRow(0) * rows + 2 * self.metrics.frameWidth() + 4)

        self.metrics_warning = QLabel()
        self.metrics_warning.setObjectName("compileMetricsWarning")
        self.metrics_warning.setWordWrap(True)
        self.metrics_warning.setProperty("fieldError", True)
        self.metrics_warning.hide()
        metrics_cell = self._stacked(self.metrics, self.metrics_warning)

        for key, label_text, widget, cell in (
            ("loss", "loss", self.loss, loss_cell),
            ("optimizer", "optimizer", self.optimizer, optimizer_cell),
            ("learning_rate", "learning_rate", self.learning_rate, lr_cell),
            ("metrics", "metrics", self.metrics, metrics_cell),
        ):
            widget.setToolTip(_HELP[key])
            label = QLabel(label_text)
            label.setToolTip(_HELP[key])
            label.setBuddy(widget)
            form.addRow(label, cell)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addStretch(1)

        self._lr_error = ""
        self.loss.currentTextChanged.connect(lambda _text: self._commit())
        self.optimizer.currentTextChanged.connect(lambda _text: self._on_optimizer())
        self.learning_rate.textEdited.connect(lambda _text: self._commit())
        self.metrics.itemChanged.connect(lambda _item: self._commit())
        document.changed.connect(lambda _spec: self._show())
        self._show()

    # -- api ------------------------------------------------------------------------------------

    def checked_metrics(self) -> list[str]:
        return [
            self.metrics.item(i).text()
            for i in range(self.metrics.count())
            if self.metrics.item(i).checkState() == Qt.CheckState.Checked
        ]

    def metric_item(self, name: str) -> QListWidgetItem:
        for i in range(self.metrics.count()):
            if self.metrics.item(i).text() == name:
                return self.metrics.item(i)
        raise KeyError(name)

    def error_text(self) -> str:
        return self._lr_error

    def metrics_warning_text(self) -> str:
        """The warning under the metrics ("" when every ticked metric fits the loss and the output)."""
        return self.metrics_warning.text() if not self.metrics_warning.isHidden() else ""

    @staticmethod
    def _options_label(name: str) -> QLabel:
        """A small grey line for settings read from a file that the panel does not edit."""
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # the theme's muted grey
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        label.setFont(font)
        label.hide()
        return label

    @staticmethod
    def _stacked(widget: QWidget, below: QLabel) -> QWidget:
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(below)
        return cell

    # -- document -> widgets ----------------------------------------------------------------------

    def _show(self) -> None:
        spec = self.document.spec.compile
        for combo, value in ((self.loss, spec.loss), (self.optimizer, spec.optimizer)):
            with QSignalBlocker(combo):
                if combo.findText(value) < 0:
                    combo.addItem(value)  # a name from a file Keras does not know: shown as it is
                combo.setCurrentText(value)
        for label, name, options in (
            (self.loss_options, spec.loss, spec.loss_options),
            (self.optimizer_options, spec.optimizer, spec.optimizer_options),
        ):
            text = describe(options)
            label.setText(f"also: {text}" if text else "")
            label.setToolTip(
                f"Settings of {name} other than Keras's defaults, kept from the file opened and written "
                "back on export and in generated code. Choosing another one drops them (Ctrl+Z brings them back)."
                if text
                else ""
            )
            label.setVisible(bool(text))
        self._update_placeholder(spec.optimizer)
        if not self._lr_error:
            try:
                shown_equal = parse_learning_rate(self.learning_rate.text()) == spec.learning_rate
            except ValueError:
                shown_equal = False
            if not shown_equal:
                with QSignalBlocker(self.learning_rate):
                    self.learning_rate.setText("" if spec.learning_rate is None else f"{spec.learning_rate:g}")
        problems = dict(metric_problems(spec.loss, spec.metrics, _outputs_per_sample(self.document)))
        with QSignalBlocker(self.metrics):
            for i in range(self.metrics.count()):
                item = self.metrics.item(i)
                state = Qt.CheckState.Checked if item.text() in spec.metrics else Qt.CheckState.Unchecked
                if item.checkState() != state:
                    item.setCheckState(state)
                problem = problems.get(item.text())
                item.setForeground(QBrush(error_color(self.palette())) if problem else QBrush())
                item.setToolTip(problem or "")
        self.metrics_warning.setText("\n".join(problems.values()))
        self.metrics_warning.setVisible(bool(problems))

    def _update_placeholder(self, optimizer: str) -> None:
        default = OPTIMIZERS.get(optimizer)
        self.learning_rate.setPlaceholderText(f"default ({default:g})" if default is not None else "default")

    # -- widgets -> document ------------------------------------------------------------------------

    def _on_optimizer(self) -> None:
        self._update_placeholder(self.optimizer.currentText())
        self._commit()

    def _commit(self) -> None:
        try:
            learning_rate = parse_learning_rate(self.learning_rate.text())
        except ValueError as exc:
            self._set_lr_error(str(exc))
            return
        self._set_lr_error("")
        current = self.document.spec.compile
        checked = self.checked_metrics()
        metrics = tuple(checked) + tuple(m for m in current.metrics if m not in METRICS)
        self.document.set_compile(
            current.edited(
                loss=self.loss.currentText(),
                optimizer=self.optimizer.currentText(),
                learning_rate=learning_rate,
                metrics=metrics,
            )
        )

    def _set_lr_error(self, message: str) -> None:
        self._lr_error = message
        self.learning_rate_error.setText(message)
        self.learning_rate_error.setVisible(bool(message))
        set_invalid(self.learning_rate, bool(message))


def _outputs_per_sample(document: Document) -> int | None:
    """How many numbers the model gives per sample (its last output axis), when the analysis knows."""
    summary = document.summary()
    if not summary.ok or not summary.rows:
        return None
    shape = summary.rows[-1].output_shape
    last = shape[-1] if shape else None
    return last if isinstance(last, int) else None
