"""The training panel: data, settings, Train / Stop / Resume / Reset, progress and live curves.

`TrainingPanel(document, training_service)` trains `document.spec` through the service. It shows
a progress bar with the epoch, the batch and the time left, and loss/metric curves for training
(solid) and validation (dashed) with pyqtgraph, redrawn at most every `REDRAW_MS`, with a
log-scale toggle.

Editing the architecture while trained weights exist asks first: the model state (the document's
edit guard) puts the question through this panel's `ask()` before an edit, undo or redo changes
the layers; the panel clears its curves when the trained weights are discarded. Train starts from
the weights on screen before training (Keras's build, or Reset's), Resume from the trained ones.
Tests replace `training_panel.ask`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.csv_data import DataConfig
from nnstudio.core.datasets import (
    TASK_HELP,
    TASKS,
    VARYING_SIZE,
    DatasetError,
    io_shapes,
    is_classification_loss,
    single_io_problem,
    token_count,
)
from nnstudio.core.error_text import cause_line, has_details
from nnstudio.core.layers.registry import is_input
from nnstudio.core.metric_fit import metric_problems
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import Summary
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui.parts import Training
from nnstudio.ui.themed_plot import ThemedPlotWidget
from nnstudio.ui.widgets import named

REDRAW_MS = 100
PLOT_MIN_HEIGHT = 180  # the training curves are never squeezed below this (the panel scrolls instead)
COMBO_CHARACTERS = 10  # the Data box's choices show this much when room is short (the list shows all)
GROUPS_SIDE_BY_SIDE = 440  # panel width from which Data and Training may sit side by side (when both fit)
CONTROLS_BESIDE = 420  # the controls' width beside the curves: at most, and at least where the room is short
SHORT_ROOM = 440  # a panel less tall than this, controls beside curves, takes fewer wrapped lines
TRAIN_PEN = "#1f77b4"
VAL_PEN = "#ff7f0e"
TASK_NAMES = {  # the synthetic tasks in plain words (each one's tooltip says more)
    "auto": "Automatic",
    "teacher": "Regression: copy a random network",
    "clusters": "Classification: one blob per class",
    "circles": "2-D: ring around a disc",
    "xor": "2-D: XOR quadrants",
    "spirals": "2-D: spirals",
    "gaussians": "2-D: gaussian blobs",
}
AUTO_WORDS = {"clusters": "classify blobs", "teacher": "regression"}
SOURCES = (("synthetic", "Synthetic task"), ("iris", "Iris (150 flowers, shipped)"), ("csv", "CSV file…"))


class _LogAxis(pg.AxisItem):
    """A y axis whose log-scale labels never crowd: decades first, then 2, 3, 5 ... where they fit."""

    MIN_GAP_PX = 16

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's names)
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        if not ticks or ticks[-1][0] is not None or maxVal <= minVal:
            return ticks
        per_px = (maxVal - minVal) / max(float(size), 1.0)
        values = sorted(ticks[-1][1], key=lambda v: (abs(v - round(v)) > 1e-9, v))  # decades first
        kept: list[float] = []
        for v in values:
            if all(abs(v - k) / per_px >= self.MIN_GAP_PX for k in kept):
                kept.append(v)
        return ticks[:-1] + [(None, sorted(kept))]


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; replaced in tests."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def format_duration(seconds: float) -> str:
    """`0:07`, `3:25`, `1:02:03`."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingPanel(QWidget):
    """See the module docstring."""

    trainingStateChanged = Signal(bool)  # True while training runs

    def __init__(
        self, document: Document, training_service: Training, model_state: ModelState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.document = document
        self.service = training_service
        self.model_state = model_state
        self._run_epochs = 1
        self._started_at = time.monotonic()
        self._watching_parent = False
        self._ready = False  # the widgets exist (signals fire while they are built)
        self._build_ui()
        self._ready = True
        self._describe_data()
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self._draw_curves)

        s = training_service
        s.progressDetail.connect(self.on_progress)
        s.epochFinished.connect(self.on_epoch_finished)
        s.finished.connect(self.on_finished)
        s.failed.connect(self.on_failed)
        s.stateChanged.connect(self.on_state)
        s.resetDone.connect(self.on_reset_done)
        document.changed.connect(self.on_document_changed)
        model_state.confirm = self._confirm
        model_state.trainedDiscarded.connect(self._on_trained_discarded)
        model_state.trainedRestored.connect(self._on_trained_restored)
        document.replaced.connect(self._on_document_replaced)
        model_state.weightsChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        # Controls and curves side by side in a wide dock, stacked in a tall one (see resizeEvent).
        self._outer = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._outer.setContentsMargins(4, 4, 4, 4)
        self.controls = named(QWidget(), "trainingControls")
        layout = QVBoxLayout(self.controls)
        layout.setContentsMargins(0, 0, 0, 0)
        curves = named(QWidget(), "trainingCurvesBox")
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        self._outer.addWidget(self.controls, 0)
        self._outer.addWidget(curves, 1)

        # Data and Training settings side by side when the panel is wide but short (see _choose_direction).
        self._groups = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._groups.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._groups)
        data_box = QGroupBox("Data")
        data_layout = QFormLayout(data_box)
        self.source = named(QComboBox(), "dataSource")
        for key, text in SOURCES:
            self.source.addItem(text, key)
        data_layout.addRow("Source", self.source)
        self.source_pages = QStackedWidget()
        # synthetic
        synthetic = QWidget()
        syn_form = QFormLayout(synthetic)
        syn_form.setContentsMargins(0, 0, 0, 0)
        self.task = named(QComboBox(), "syntheticTask")
        for task in TASKS:
            self.task.addItem(TASK_NAMES.get(task, task), task)
            self.task.setItemData(self.task.count() - 1, TASK_HELP[task], Qt.ItemDataRole.ToolTipRole)
        self.task.setToolTip("The made-up data to train on; each entry's tooltip says what it is")
        self.samples = named(QSpinBox(minimum=8, maximum=1_000_000, value=512), "syntheticSamples")
        self.samples.setSingleStep(128)
        for combo in (self.source, self.task):  # narrow enough for the Data and Training boxes side by side
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(COMBO_CHARACTERS)
        syn_form.addRow("Task", self.task)
        syn_form.addRow("Samples", self.samples)
        self.source_pages.addWidget(synthetic)
        # iris
        iris = QLabel("Shipped with nnstudio (public domain). The model needs an Input of shape (4,) and 3 outputs.")
        iris.setWordWrap(True)
        self.source_pages.addWidget(iris)
        # csv
        csv_page = QWidget()
        csv_form = QFormLayout(csv_page)
        csv_form.setContentsMargins(0, 0, 0, 0)
        path_row = QHBoxLayout()
        self.csv_path = named(QLineEdit(placeholderText="a .csv file with a header row"), "csvPath")
        browse = named(QPushButton("Browse…"), "csvBrowse")
        browse.clicked.connect(self._browse_csv)
        path_row.addWidget(self.csv_path)
        path_row.addWidget(browse)
        csv_form.addRow("File", path_row)
        self.csv_features = named(QLineEdit(placeholderText="all but the targets"), "csvFeatures")
        self.csv_targets = named(QLineEdit(placeholderText="the last column"), "csvTargets")
        self.csv_normalise = named(QCheckBox("Normalise features (z-score)"), "csvNormalise")
        self.csv_normalise.setChecked(True)
        csv_form.addRow("Features", self.csv_features)
        csv_form.addRow("Targets", self.csv_targets)
        csv_form.addRow("", self.csv_normalise)
        self.source_pages.addWidget(csv_page)
        data_layout.addRow(self.source_pages)
        self.source.currentIndexChanged.connect(self._show_source_page)
        self._show_source_page(0)
        self._groups.addWidget(data_box)

        settings = QGroupBox("Training")
        form = QFormLayout(settings)
        self.epochs = named(QSpinBox(minimum=1, maximum=100_000, value=20), "epochs")
        self.batch_size = named(QSpinBox(minimum=1, maximum=1 << 20, value=32), "batchSize")
        self.validation_split = named(
            QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2, value=0.2), "validationSplit"
        )
        self.epochs.setToolTip("How many times training goes through all the training samples")
        self.batch_size.setToolTip("Samples per step: the weights change once per batch")
        self.validation_split.setToolTip(
            "The share of the samples held back to check the model on data it does not learn from (0.2 = 20 %)"
        )
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Validation split", self.validation_split)
        self._groups.addWidget(settings)
        self._group_boxes = (data_box, settings)
        self.data_info = named(QLabel(), "dataInfo")  # what the data is, in a line or two
        self.data_info.setWordWrap(True)
        self.data_info.setStyleSheet("color: palette(placeholder-text);")  # readable grey, light or dark
        self.data_info.setMinimumHeight(2 * self.data_info.fontMetrics().lineSpacing() + 2)
        layout.addWidget(self.data_info)
        self.scaling_info = named(QLabel(), "scalingInfo")  # the z-score the trained model expects
        self.scaling_info.setWordWrap(True)
        self.scaling_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_scaling = named(QPushButton("Copy"), "copyScaling")
        self.copy_scaling.setToolTip(
            "Copy the mean and std as Python (numpy) lines, to scale inputs for the exported model"
        )
        self.copy_scaling.clicked.connect(self._copy_scaling)
        scaling_row = QHBoxLayout()
        scaling_row.addWidget(self.scaling_info, 1)
        scaling_row.addWidget(self.copy_scaling, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(scaling_row)
        self._scaling: tuple[list[float], list[float]] | None = None
        self._show_scaling(None)
        for signal in (
            self.task.currentIndexChanged,
            self.samples.valueChanged,
            self.validation_split.valueChanged,
            self.batch_size.valueChanged,
            self.csv_path.textChanged,
            self.csv_features.textChanged,
            self.csv_targets.textChanged,
        ):
            signal.connect(self._describe_data)
        self._describe_data()

        buttons = QHBoxLayout()
        self.train_button = named(QPushButton("Train"), "trainButton")
        self.stop_button = named(QPushButton("Stop"), "stopButton")
        self.resume_button = named(QPushButton("Resume"), "resumeButton")
        self.reset_button = named(QPushButton("Reset"), "resetButton")
        self.train_button.setToolTip(
            "Train from the start: from the untrained weights shown now (Keras's initial ones), for the epochs "
            "set above. Earlier training and its curves are replaced."
        )
        self.stop_button.setToolTip("Stop after the batch that is running; the weights trained so far stay")
        self.resume_button.setToolTip(
            "Go on from the trained weights for the epochs set above, more: the optimizer keeps its state and "
            "the epochs count on. Possible after training, while the layers are unchanged."
        )
        self.reset_button.setToolTip("Forget the trained weights and start again from new random ones")
        for button in (self.train_button, self.stop_button, self.resume_button, self.reset_button):
            buttons.addWidget(button)
        self.train_button.clicked.connect(self.train)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.reset_button.clicked.connect(self.reset)
        layout.addLayout(buttons)

        self.progress_bar = named(QProgressBar(minimum=0, maximum=1000, value=0), "trainingProgress")
        self.progress_bar.setFormat("")
        self.progress_bar.setTextVisible(True)
        layout.addWidget(self.progress_bar)
        self.status = named(QLabel("Not trained yet."), "trainingStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = named(QToolButton(), "failureDetailsButton")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolTip("Keras's whole message")
        self.details_button.toggled.connect(self._show_details)
        self.details = named(QPlainTextEdit(), "failureDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumHeight(6 * self.details.fontMetrics().lineSpacing())
        self.details_button.hide()
        self.details.hide()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(status_row)
        layout.addWidget(self.details)
        layout.addStretch(1)

        plot_row = QHBoxLayout()
        self.curve_metric = named(QComboBox(), "curveMetric")
        self.curve_metric.addItem("loss")
        self.curve_metric.currentTextChanged.connect(lambda _text: self._rebuild_curves())
        self.log_scale = named(QCheckBox("Log scale"), "logScale")
        self.log_scale.setToolTip("A logarithmic y axis: late, small improvements stay visible")
        self.curve_metric.setToolTip("The quantity drawn: solid for the training samples, dashed for validation")
        self.log_scale.toggled.connect(self._set_log_scale)
        plot_row.addWidget(QLabel("Curve"))
        plot_row.addWidget(self.curve_metric, 1)
        plot_row.addWidget(self.log_scale)
        curves_layout.addLayout(plot_row)
        self.plot = named(ThemedPlotWidget(axisItems={"left": _LogAxis("left")}), "trainingCurves")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # "0.16", not "160 (x0.001)"
        self.plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.legend = self.plot.add_legend_above()
        curves_layout.addWidget(self.plot, 1)

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        # A scroll area gives a height-for-width widget (the wrapped labels make the layout one)
        # the height it asks here; the layout's own answer is its preferred height, which makes
        # the curves as tall as the screen and the panel scroll. The minimum at this width fills
        # the room there is and scrolls only below it (the minimum size hint alone is measured at
        # another width: a long wrapped text then squeezed the Data and Training boxes flat).
        return max(self.minimumSizeHint().height(), self._outer.totalMinimumHeightForWidth(width))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        parent = self.parentWidget()
        self._choose_direction(parent.size() if parent is not None else event.size())
        super().resizeEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802
        parent = self.parentWidget()
        if parent is not None and not self._watching_parent:
            parent.installEventFilter(self)  # in a scroll area, the viewport's size is the room there is
            self._watching_parent = True
            self._choose_direction(parent.size())
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if isinstance(watched, QWidget) and watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._choose_direction(watched.size())
        return super().eventFilter(watched, event)

    def _choose_direction(self, size) -> None:
        """Controls beside the curves when the room is wide; above them when it is tall, with the
        Data and Training boxes side by side when there is width for both."""
        wide = size.width() > 1.4 * size.height() and size.width() > 640
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        side_by_side = not wide and size.width() >= max(GROUPS_SIDE_BY_SIDE, self._groups_width())
        groups = QBoxLayout.Direction.LeftToRight if side_by_side else QBoxLayout.Direction.TopToBottom
        if self._groups.direction() != groups:
            self._groups.setDirection(groups)
        if self._outer.direction() != direction:
            self._outer.setDirection(direction)
            self.controls.setMaximumWidth(CONTROLS_BESIDE if wide else 16777215)
        # Short room beside the curves (a compact window): the controls as wide as they may be, so
        # that the data's description and the status wrap into fewer lines and the curves stay in view.
        least = CONTROLS_BESIDE if wide and size.height() < SHORT_ROOM else 0
        if self.controls.minimumWidth() != least:
            self.controls.setMinimumWidth(least)

    def _groups_width(self) -> int:
        """The width the Data and Training boxes need side by side (with the panel's margins)."""
        margins = self._outer.contentsMargins()
        boxes = sum(box.minimumSizeHint().width() for box in self._group_boxes)
        return boxes + max(self._groups.spacing(), 0) + margins.left() + margins.right()

    def _show_source_page(self, index: int) -> None:
        """Show one data page, sized to itself (hidden pages do not reserve room)."""
        for i in range(self.source_pages.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.source_pages.widget(i)
            assert page is not None
            page.setSizePolicy(policy, policy)
        self.source_pages.setCurrentIndex(index)
        self.source_pages.adjustSize()
        self._describe_data()

    def _describe_data(self, *_args) -> None:
        """Say what the data is, in a line: samples, features -> targets, the split."""
        if not self._ready:
            return
        text = describe_data(
            self.document.summary(), self.document.spec, self.data_config(), self.validation_split.value()
        )
        self.data_info.setText(text)
        auto = self.task.findData("auto")
        if auto >= 0:  # say what "auto" picks for the loss on screen, in words
            picked = "clusters" if is_classification_loss(self.document.spec.compile.loss) else "teacher"
            self.task.setItemText(auto, f"Automatic: {AUTO_WORDS[picked]}")
            self.task.setItemData(
                auto,
                f"Picked by the loss ({self.document.spec.compile.loss}): {TASK_HELP[picked]}",
                Qt.ItemDataRole.ToolTipRole,
            )

    # -- actions -----------------------------------------------------------------------------------

    def data_config(self) -> DataConfig:
        source = self.source.currentData()
        if source == "synthetic":
            return DataConfig("synthetic", task=self.task.currentData(), samples=self.samples.value())
        if source == "iris":
            return DataConfig("iris")
        return DataConfig(
            "csv",
            path=self.csv_path.text().strip() or None,
            features=_columns(self.csv_features.text()),
            targets=_columns(self.csv_targets.text()),
            normalise=self.csv_normalise.isChecked(),
        )

    def _settings(self) -> dict[str, Any]:
        return {
            "data": self.data_config(),
            "epochs": self.epochs.value(),
            "batch_size": self.batch_size.value(),
            "validation_split": self.validation_split.value(),
        }

    def _check_ready(self) -> bool:
        summary = self.document.summary()
        if not summary.ok:
            self._show_error(f"The model cannot be trained yet: {summary.issues[0].message}")
            return False
        if self.source.currentData() == "csv" and not self.csv_path.text().strip():
            self._show_error("Choose a CSV file first.")
            return False
        if self.model_state.awaiting_file_weights():  # else the run would start from fresh weights
            self._show_error("Keras is still reading the opened file's weights: train once they are read.")
            return False
        return True

    @Slot()
    def train(self) -> None:
        if self.service.is_training() or not self._check_ready():
            return
        self._clear_curves()
        weights = self.model_state.untrained()
        self.service.start(self.document.spec, weights=weights.to_wire() if weights else None, **self._settings())
        self._begin()

    @Slot()
    def resume(self) -> None:
        if self.service.is_training() or not self._check_ready():
            return
        trained = self.model_state.trained()
        self.service.resume(self.document.spec, weights=trained.to_wire() if trained else None, **self._settings())
        self._begin()

    @Slot()
    def stop(self) -> None:
        self.service.stop()
        self.status.setText("Stopping after this batch…")

    @Slot()
    def reset(self) -> None:
        self.service.reset(self.document.spec)
        self._clear_curves()
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("")
        self.status.setText("Weights re-initialised.")
        self._update_buttons()

    def _begin(self) -> None:
        self._set_details("")
        self._run_epochs = self.epochs.value()
        self._started_at = time.monotonic()
        self.status.setText("Starting…")
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("starting…")
        self._update_buttons()
        self.trainingStateChanged.emit(True)

    def _browse_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Training data", str(Path.home()), "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.csv_path.setText(path)

    # -- from the service --------------------------------------------------------------------------

    @Slot(object)
    def on_progress(self, update: dict) -> None:
        epoch, epochs = int(update.get("epoch", 0)), int(update.get("epochs", 0))
        batch, batches = int(update.get("batch", 0)), int(update.get("batches", 1))
        run_epochs = max(1, min(self._run_epochs, epochs))
        first = epochs - run_epochs  # epochs trained before this run (Resume)
        done = (epoch - 1 - first) * batches + batch
        self.progress_bar.setValue(int(1000 * min(1.0, max(0.0, done / (run_epochs * batches)))))
        eta = float(update.get("eta", 0.0))
        text = f"epoch {epoch}/{epochs} · batch {batch}/{batches} · {format_duration(eta)} left"
        self.progress_bar.setFormat(text)
        logs = update.get("logs") or {}
        if logs:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in logs.items())
            speed = float(update.get("samples_per_s", 0) or 0)
            self.status.setText(f"This epoch so far: {shown} · {speed:,.0f} samples/s")

    @Slot(int, object)
    def on_epoch_finished(self, epoch: int, logs: dict) -> None:
        self._list_curves(logs)
        if not self._redraw.isActive():
            self._redraw.start()

    @Slot(object)
    def on_finished(self, history: dict) -> None:
        result = self.service.last_result
        stopped = bool(result is not None and result.stopped)
        epochs = self.service.epochs_done
        loss = history.get("loss", [])
        last = f"; loss {loss[-1]:.4g}" if loss else ""
        val = history.get("val_loss", [])
        last += f", val_loss {val[-1]:.4g}" if val else ""
        took = time.monotonic() - self._started_at
        self.status.setText(
            f"{'Stopped' if stopped else 'Finished'} after {epochs} epochs ({format_duration(took)}){last}."
        )
        if not stopped:
            self.progress_bar.setValue(1000)
        self.progress_bar.setFormat(f"epoch {epochs} · {'stopped' if stopped else 'done'}")
        self._draw_curves()
        self._update_buttons()
        self._show_scaling(result.normaliser if result is not None else None)
        self.trainingStateChanged.emit(False)

    def _list_curves(self, keys) -> None:
        """Offer every quantity among `keys` (`loss`, `val_loss`, `accuracy`, ...) in the Curve box."""
        for key in keys:
            name = key[4:] if key.startswith("val_") else key
            if self.curve_metric.findText(name) < 0:
                self.curve_metric.addItem(name)

    def _show_scaling(self, normaliser: tuple[list[float], list[float]] | None) -> None:
        """Say how the last run scaled the features (z-score from its training part), or hide."""
        self._scaling = normaliser
        shown = bool(normaliser and normaliser[0])
        self.scaling_info.setVisible(shown)
        self.copy_scaling.setVisible(shown)
        if normaliser is None or not shown:
            return
        mean, std = normaliser
        self.scaling_info.setText(
            f"Features were z-scored: give the trained model (x − mean) / std, with mean {_short_list(mean)} "
            f"and std {_short_list(std)}."
        )
        self.scaling_info.setToolTip(scaling_code(mean, std))

    def _copy_scaling(self) -> None:
        if self._scaling:
            QGuiApplication.clipboard().setText(scaling_code(*self._scaling))
            self.status.setText("Copied the mean and std as Python lines.")

    @Slot(str)
    def on_failed(self, message: str) -> None:
        """One sentence with the cause (Keras's own words, no file paths); the whole text under Details."""
        cause = cause_line(message)
        compile_spec = self.document.spec.compile
        known = metric_problems(compile_spec.loss, compile_spec.metrics)  # a reason the Compile panel gave before
        self._show_error(f"Training failed: {cause}" + (f"\n{known[0][1]}" if known else ""))
        self._set_details(message if has_details(message, cause) else "")
        self.progress_bar.setFormat("failed")
        self._update_buttons()
        self.trainingStateChanged.emit(False)

    @Slot(str, str)
    def on_state(self, state: str, message: str) -> None:
        if state == "starting":
            self.status.setText(message or "Loading Keras…")
        self._update_buttons()

    @Slot(object)
    def on_reset_done(self, _weights: dict) -> None:
        self._show_scaling(None)  # the trained weights it described are gone
        self._update_buttons()

    # -- architecture edits while trained weights exist --------------------------------------------

    def _confirm(self, title: str, text: str) -> bool:
        """The model state's question before an edit discards the trained weights."""
        return ask(self, title, text)

    @Slot(str)
    def _on_trained_discarded(self, why: str) -> None:
        if why == "failed":  # the failure says what happened; the weights of an earlier run are gone with it
            self._update_buttons()
            return
        self._show_untrained(
            "Trained weights discarded: the layers changed (Ctrl+Z brings them back)."
            if why == "the layers changed"
            else "Not trained yet."
        )

    @Slot()
    def _on_trained_restored(self) -> None:
        """An undo brought the trained layers back: their weights, curves and epochs are back too."""
        epochs = self.service.epochs_done
        self._list_curves(self.service.history)
        self._rebuild_curves()
        self.progress_bar.setValue(1000)
        self.progress_bar.setFormat(f"epoch {epochs} · done")
        self.status.setText(
            f"Trained weights back ({epochs} epoch{'s' if epochs != 1 else ''}): Resume goes on from them."
        )
        self._update_buttons()

    @Slot()
    def _on_document_replaced(self) -> None:
        """Another model was opened or created: nothing of the last one's training stays on show."""
        self._show_untrained("Not trained yet.")

    def _show_untrained(self, text: str) -> None:
        self._clear_curves()
        with QSignalBlocker(self.curve_metric):
            self.curve_metric.clear()
            self.curve_metric.addItem("loss")
        self.plot.setLabel("left", "loss")
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("")
        self._show_scaling(None)
        self._set_details("")
        self.status.setText(text)
        self._update_buttons()

    @Slot(object)
    def on_document_changed(self, _spec: ModelSpec) -> None:
        self._describe_data()
        self._update_buttons()

    # -- drawing -----------------------------------------------------------------------------------

    def _clear_curves(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self._curves = {}

    def _rebuild_curves(self) -> None:
        self._clear_curves()
        self.plot.setLabel("left", self.curve_metric.currentText() or "loss")
        self._draw_curves()

    def _draw_curves(self) -> None:
        history = self.service.history
        name = self.curve_metric.currentText() or "loss"
        for key, pen in (
            (name, pg.mkPen(TRAIN_PEN, width=2)),
            (f"val_{name}", pg.mkPen(VAL_PEN, width=2, style=Qt.PenStyle.DashLine)),
        ):
            values = history.get(key)
            if not values:
                continue
            curve = self._curves.get(key)
            if curve is None:
                label = ("validation " if key.startswith("val_") else "training ") + name
                curve = self.plot.plot([], [], pen=pen, name=label)
                self._curves[key] = curve
            ys = list(values)
            if self.log_scale.isChecked():
                ys = [max(v, 1e-12) for v in ys]
            curve.setData(list(range(1, len(ys) + 1)), ys)

    def _set_log_scale(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=on)
        self._draw_curves()

    # -- state -------------------------------------------------------------------------------------

    @Slot()
    def _update_buttons(self) -> None:
        running = self.service.is_training()
        can_resume = self.model_state.has_trained_weights() and self.model_state.trained() is not None
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and can_resume)
        self.reset_button.setEnabled(not running)
        for widget in (self.source, self.source_pages, self.epochs, self.batch_size, self.validation_split):
            widget.setEnabled(not running)

    def _show_error(self, message: str) -> None:
        lines = "<br>".join(_escape(line) for line in message.splitlines())
        self.status.setText(f"<span style='color:#b00020'>{lines}</span>")

    def _set_details(self, text: str) -> None:
        """The whole text of the last failure behind the Details button ("": no failure, no button)."""
        self.details.setPlainText(text)
        self.details_button.setChecked(False)
        self.details_button.setVisible(bool(text))

    def _show_details(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details.setVisible(shown)
        self.updateGeometry()


def describe_data(summary: Summary, spec: ModelSpec, config: DataConfig, validation_split: float) -> str:
    """What the chosen data is, for a person: where it comes from, its size and the split (or, for
    CSV data and a model with several inputs or outputs, why they do not go together)."""
    if config.source in ("csv", "iris") and single_io_problem(spec):
        return f"{single_io_problem(spec)}."
    inputs = summary.input_shape
    outputs = summary.rows[-1].output_shape if summary.ok and summary.rows else None
    if spec.is_functional:
        shapes_in, shapes_out = _io_shapes(summary, spec)
        inputs = shapes_in[0] if len(shapes_in) == 1 else None
        outputs = shapes_out[0] if len(shapes_out) == 1 else None
    if config.source == "iris":
        what = "Fisher's 150 iris flowers: 4 measurements (cm) in, 3 species out"
        n = 150
    elif config.source == "csv":
        name = Path(config.path).name if config.path else "no file chosen yet"
        features = ", ".join(config.features) or "all other columns"
        targets = ", ".join(config.targets) or "the last column"
        return f"{name}: features {features} → targets {targets}; one row per sample."
    else:
        n = config.samples
        task = config.task
        if task == "auto":
            task = "clusters" if is_classification_loss(spec.compile.loss) else "teacher"
        shape_in = "×".join(str(VARYING_SIZE if d is None else d) for d in inputs) if inputs else "?"
        shape_out = "×".join(str(VARYING_SIZE if d is None else d) for d in outputs) if outputs else "?"
        if spec.is_functional and len(shapes_in) > 1:
            shape_in = " + ".join("×".join(map(str, shape)) for shape in shapes_in)
        if spec.is_functional and len(shapes_out) > 1:
            shape_out = " + ".join("×".join(map(str, shape)) for shape in shapes_out)
        tokens = token_count(spec)
        values = "numbers" if tokens is None else f"token ids 0–{tokens - 1:,}"
        what = f"{n:,} made-up samples ({shape_in} {values} in, {shape_out} out), {TASK_HELP.get(task, task)}"
    held = int(round(n * validation_split))
    if validation_split > 0 and held == 0 and n > 1:
        held = 1
    split = f"{n - held:,} to train on, {held:,} to validate" if held else "all to train on, none to validate"
    return f"{what} · {split}."


def _io_shapes(summary: Summary, spec: ModelSpec) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """The data's input and output shapes (`datasets.io_shapes`), read from the summary already
    analysed when no Input has an axis of varying size (the shapes are then the same); [], [] when
    they are unknown."""
    shapes = [*summary.input_shapes, *summary.output_shapes]
    varying = any(is_input(layer.class_name) and None in (layer.get("shape") or ()) for layer in spec.layers)
    if summary.ok and summary.output_shapes and not varying:
        fixed = [
            tuple(d for d in shape if d is not None) for shape in shapes if shape is not None and None not in shape
        ]
        if len(fixed) == len(shapes):  # every shape known, with no axis of varying size
            count = len(summary.input_shapes)
            return fixed[:count], fixed[count:]
    try:
        return io_shapes(spec)
    except DatasetError:
        return [], []


def _columns(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short_list(values: list[float], shown: int = 4) -> str:
    """`[5.843, 3.057, …]` (at most `shown` values, 4 significant digits)."""
    head = ", ".join(f"{v:.4g}" for v in values[:shown])
    return f"[{head}, … {len(values)} values]" if len(values) > shown else f"[{head}]"


def scaling_code(mean: list[float], std: list[float]) -> str:
    """Python lines that scale new inputs as training did (float32 values written in full)."""
    return (
        f"mean = np.array({[float(v) for v in mean]!r}, dtype=np.float32)\n"
        f"std = np.array({[float(v) for v in std]!r}, dtype=np.float32)\n"
        "x_scaled = (x - mean) / std\n"
    )
