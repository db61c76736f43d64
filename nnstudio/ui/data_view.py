"""DataView: the training data on a plane, the model's prediction behind it, and how well it did.

Fed by the training service's `dataView` signal (see `nnstudio.core.data_plane`):

- `PlaneData` (a run starts): the points, coloured by class or target; training points filled,
  validation points as rings. Inputs of two features are drawn on their own axes, wider ones on
  the plane of their first two principal components.
- `PlaneSurface` (with the weight snapshots, and at the end): behind the points, the model's
  class at every point of a grid over the plane (its hue, stronger where the model is surer), or
  for regression its first output on the targets' scale.
- `PlaneEvaluation` (after training): a confusion matrix for classification, a predicted-against-
  true plot for regression, beside the plane.

It follows the application palette (light or dark) and keeps what it drew (`surface_classes`,
`surface_image`, `confusion`, …) for tests.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Slot

from nnstudio.core.data_plane import (
    CLASSIFICATION,
    PlaneData,
    PlaneEvaluation,
    PlaneSurface,
    r_squared,
)
from nnstudio.services.model_state import ModelState
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, theme_for
from nnstudio.ui.data_colours import class_colours, class_surface, value_scale, value_surface
from nnstudio.ui.dock_layout import in_front, make_dock
from nnstudio.ui.evaluation_plot import EvaluationPlot, style_axes, styled_plot
from nnstudio.ui.parts import Training
from nnstudio.ui.widgets import named

HINT = (
    "Train the model to see its data here: the samples on a plane (their two features, or the first "
    "two principal components of more), the model's prediction behind them while it learns, and a "
    "confusion matrix or a predicted-against-true plot afterwards."
)
CHANGED = "The model changed since it was trained. Train it to see its predictions."
POINT_SIZE = 7
MAX_LABEL = 14  # characters of a class name on the confusion matrix's axes
VALUE_BANDS = 9  # regression targets are coloured in this many bands


class DataView(QtWidgets.QWidget):
    """The data, the model's prediction over it, and the evaluation after training; see the module docstring."""

    _built = False  # Qt sends palette events while the widget is constructed, before its plots exist

    def __init__(self, training: Training, model_state: ModelState, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataView")
        self.theme: Theme = LIGHT_THEME
        self.data: PlaneData | None = None
        self.surface: PlaneSurface | None = None
        self.evaluation: PlaneEvaluation | None = None
        self.surface_classes: np.ndarray | None = None  # the class drawn at each grid point
        self.surface_image: np.ndarray | None = None  # the RGBA image behind the points
        self.confusion: np.ndarray | None = None
        self.surfaces_drawn = 0
        self.epoch_text = ""
        self._build_ui()
        self.apply_theme()
        training.dataView.connect(self.on_view)
        training.progressDetail.connect(self.on_progress)
        training.resetDone.connect(lambda _weights: self.clear())
        model_state.trainedDiscarded.connect(self.on_trained_discarded)

    # -- construction --------------------------------------------------------------------------

    def _build_ui(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        self.caption = named(QtWidgets.QLabel(), "dataCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(QtCore.Qt.TextFormat.RichText)
        layout.addWidget(self.caption)
        self.pages = QtWidgets.QStackedWidget()
        self.message = named(QtWidgets.QLabel(HINT), "dataMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(12)
        self.pages.addWidget(self.message)
        plots = QtWidgets.QWidget()
        self.plots_layout = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight, plots)
        self.plots_layout.setContentsMargins(0, 0, 0, 0)
        self.plots_layout.setSpacing(6)
        self.plane_plot = styled_plot(pg.PlotWidget(background=LIGHT_THEME.background), "planePlot")
        self.plane_plot.getPlotItem().setAspectLocked(True)
        self.result_plot = EvaluationPlot()
        self.plots_layout.addWidget(self.plane_plot, 3)
        self.plots_layout.addWidget(self.result_plot, 2)
        self.pages.addWidget(plots)
        layout.addWidget(self.pages, 1)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.plane_plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True)
        self.val_points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True)
        self.plane_plot.addItem(self.train_points)
        self.plane_plot.addItem(self.val_points)
        self.result_plot.hide()
        self._caption()
        self._built = True

    # -- the service's messages -------------------------------------------------------------------

    @Slot(object)
    def on_view(self, view: object) -> None:
        """Draw what the training service sent (the data, a surface or the evaluation)."""
        if isinstance(view, PlaneData):
            self.show_data(view)
        elif isinstance(view, PlaneSurface):
            self.show_surface(view)
        elif isinstance(view, PlaneEvaluation):
            self.show_evaluation(view)

    @Slot(object)
    def on_progress(self, update: dict) -> None:
        epoch, epochs = int(update.get("epoch", 0)), int(update.get("epochs", 0))
        self.epoch_text = f"epoch {epoch} of {epochs}" if epochs else ""

    @Slot(str)
    def on_trained_discarded(self, why: str) -> None:
        self.clear(HINT if why == "another model" else CHANGED)

    def clear(self, message: str = HINT) -> None:
        """Forget what was drawn and say `message` instead."""
        self.data = self.surface = self.evaluation = None
        self.surface_classes = self.surface_image = self.confusion = None
        self.image.clear()
        self._remove_points()
        self.result_plot.clear_drawing()
        self.result_plot.hide()
        self.message.setText(message)
        self.pages.setCurrentIndex(0)
        self._caption()

    def show_data(self, data: PlaneData) -> None:
        """A run starts: its points on their plane (or why they have none). A run on the same grid (Resume)
        keeps the surface of the last one until its own first arrives."""
        previous, surface = self.data, self.surface
        self.clear(data.unavailable or HINT)
        if data.unavailable or data.plane is None:
            self.message.setText(f"No data view for this model: {data.unavailable}.")
            return
        self.data = data
        if previous is not None and surface is not None and _same_grid(previous, data):
            self.surface = surface
            self._draw_surface()
        self.pages.setCurrentIndex(1)
        item = self.plane_plot.getPlotItem()
        style = {"color": self.theme.muted, "font-size": "8pt"}
        item.setLabel("bottom", data.plane.axis_names[0], **style)
        item.setLabel("left", data.plane.axis_names[1], **style)
        self._draw_points()
        if data.grid is not None:
            item.getViewBox().setRange(QtCore.QRectF(*data.grid.rect), padding=0)
        self._caption()

    def show_surface(self, surface: PlaneSurface) -> None:
        """The model's outputs over the grid, drawn behind the points."""
        if self.data is None:
            return
        self.surface = surface
        self._draw_surface()
        self.surfaces_drawn += 1
        self._caption()

    def show_evaluation(self, evaluation: PlaneEvaluation) -> None:
        """After training: the confusion matrix, or predicted against true."""
        if self.data is None:
            return
        self.evaluation = evaluation
        self._draw_result()
        self._caption()

    # -- drawing ------------------------------------------------------------------------------------

    def _class_count(self) -> int:
        data = self.data
        if data is None:
            return 0
        seen = [int(v.max(initial=-1)) + 1 for v in (data.values, data.val_values) if len(v)]
        return max([len(data.class_names), *seen, 2])

    def _value_range(self) -> tuple[float, float]:
        data = self.data
        assert data is not None
        values = np.concatenate([data.values, data.val_values]).astype(np.float64)
        return (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)

    def _remove_points(self) -> None:
        self.train_points.clear()
        self.val_points.clear()

    def _point_colours(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(colour index of each training point, of each validation point, the colours)."""
        data = self.data
        assert data is not None
        if data.kind == CLASSIFICATION:
            return (
                data.values.astype(np.int64),
                data.val_values.astype(np.int64),
                class_colours(self._class_count(), self.theme),
            )
        low, high = self._value_range()
        centres = np.linspace(low, high, VALUE_BANDS)
        neutral = self.theme.mixed  # a mid-scale point stands out from the background
        colours = [QtGui.QColor(*c[:3]).name() for c in value_scale(centres, low, high, self.theme, neutral=neutral)]

        def band(values: np.ndarray) -> np.ndarray:
            t = (np.asarray(values, dtype=np.float64) - low) / max(high - low, 1e-12)
            return np.clip(np.rint(t * (VALUE_BANDS - 1)), 0, VALUE_BANDS - 1).astype(np.int64)

        return band(data.values), band(data.val_values), colours

    def _draw_points(self) -> None:
        """Training points filled, validation points as rings, in their class's (or value's) colour."""
        data = self.data
        if data is None:
            return
        train, val, colours = self._point_colours()
        # one brush (pen) object per colour, shared by the points: thousands of points in milliseconds
        brushes = [pg.mkBrush(c) for c in colours]
        rings = [pg.mkPen(c, width=2) for c in colours]
        outline = pg.mkPen(self.theme.background, width=1.2)
        self.train_points.setData(pos=data.points, brush=[brushes[k] for k in train], pen=outline, size=POINT_SIZE)
        hollow = pg.mkBrush(self.theme.background)
        self.val_points.setData(pos=data.val_points, brush=hollow, pen=[rings[k] for k in val], size=POINT_SIZE)

    def _draw_surface(self) -> None:
        data, surface = self.data, self.surface
        if data is None or surface is None:
            return
        if data.kind == CLASSIFICATION:
            self.surface_classes, self.surface_image = class_surface(surface.outputs, self._class_count(), self.theme)
        else:
            low, high = self._value_range()
            self.surface_classes = None
            self.surface_image = value_surface(surface.outputs, low, high, self.theme)
        rect = QtCore.QRectF(*data.grid.rect) if data.grid is not None else None
        self.image.setImage(self.surface_image, autoLevels=False, levels=(0, 255), rect=rect)

    def _draw_result(self) -> None:
        data, evaluation = self.data, self.evaluation
        if data is None or evaluation is None:
            return
        self.result_plot.show()
        if data.kind == CLASSIFICATION:
            labels = self._class_labels(self._class_count())
            self.confusion = self.result_plot.show_confusion(evaluation.targets, evaluation.outputs, labels, self.theme)
        else:
            self.confusion = None
            self.result_plot.show_predicted_against_true(evaluation.targets, evaluation.outputs, self.theme)

    def _class_names(self, count: int) -> list[str]:
        names = list(self.data.class_names) if self.data is not None else []
        return (names + [f"class {i}" for i in range(len(names), count)])[:count]

    def _class_labels(self, count: int) -> list[str]:
        """The class names on the confusion matrix's axes: "class 3" as 3, long names cut."""
        names = [n.removeprefix("class ") for n in self._class_names(count)]
        return [n if len(n) <= MAX_LABEL else n[: MAX_LABEL - 1] + "…" for n in names]

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._choose_direction()

    def _choose_direction(self) -> None:
        """The plane and the evaluation side by side in a wide dock, one above the other in a tall one."""
        size = self.pages.size()
        wide = size.width() >= 1.3 * size.height()
        direction = QtWidgets.QBoxLayout.Direction.LeftToRight if wide else QtWidgets.QBoxLayout.Direction.TopToBottom
        if self.plots_layout.direction() != direction:
            self.plots_layout.setDirection(direction)

    # -- caption ----------------------------------------------------------------------------------

    def _caption(self) -> None:
        data = self.data
        muted = self.theme.muted
        if data is None:
            self.caption.setText(f"<span style='color:{muted}'>The data and the model's prediction over it</span>")
            return
        legend = [f"<b>{html.escape(data.task)}</b>"]
        if data.kind == CLASSIFICATION:
            colours = class_colours(self._class_count(), self.theme)
            names = self._class_names(self._class_count())
            legend += [
                f"<span style='color:{c}'>●</span>&nbsp;{html.escape(n)}" for c, n in zip(colours, names, strict=False)
            ]
        else:
            low, high = self._value_range()
            legend.append(
                f"{html.escape(data.target_name)} from <span style='color:{self.theme.negative}'>■</span>&nbsp;{low:.3g}"
                f" to <span style='color:{self.theme.positive}'>■</span>&nbsp;{high:.3g}"
            )
        details = ["dots: training data, rings: validation" if len(data.val_points) else "dots: training data"]
        if self.surface is not None:
            what = "class" if data.kind == CLASSIFICATION else "output"
            when = "after training" if self.surface.final else self.epoch_text
            details.append(f"background: the model's {what}" + (f" ({when})" if when else ""))
        if self.evaluation is not None:
            details.append(self._score())
        self.caption.setText(
            "&nbsp;&nbsp;".join(legend) + f"<br><span style='color:{muted}'>{html.escape(' · '.join(details))}</span>"
        )

    def _score(self) -> str:
        evaluation = self.evaluation
        assert evaluation is not None and self.data is not None
        if self.data.kind == CLASSIFICATION and self.confusion is not None:
            total = int(self.confusion.sum())
            right = int(np.trace(self.confusion))
            return f"{evaluation.split} accuracy {right / max(total, 1):.0%} ({right} of {total})"
        r2 = r_squared(evaluation.targets, evaluation.outputs)
        return f"{evaluation.split} R² {r2:.3f}"

    # -- theme ------------------------------------------------------------------------------------

    def apply_theme(self, theme: Theme | None = None) -> None:
        """Colours for `theme` (default: the one this widget's palette asks for); redraws what is shown."""
        theme = theme if theme is not None else theme_for(self.palette())
        self.theme = theme
        for plot in (self.plane_plot, self.result_plot):
            style_axes(plot, theme)
        if self.data is not None:
            for name, label in zip(
                ("bottom", "left"), self.data.plane.axis_names if self.data.plane else ("", ""), strict=True
            ):
                self.plane_plot.getPlotItem().setLabel(name, label, color=theme.muted, **{"font-size": "8pt"})
            self._draw_points()
            self._draw_surface()
            self._draw_result()
        self._caption()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        palette_events = (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and self._built:
            self.apply_theme()


def _same_grid(a: PlaneData, b: PlaneData) -> bool:
    """Whether two runs' surfaces cover the same points with the same kind of prediction."""
    if a.kind != b.kind or a.grid is None or b.grid is None or a.plane is None or b.plane is None:
        return False
    return (
        np.array_equal(a.grid.xs, b.grid.xs)
        and np.array_equal(a.grid.ys, b.grid.ys)
        and np.array_equal(a.plane.components, b.plane.components)
        and np.array_equal(a.plane.mean, b.plane.mean)
    )


def add_data_dock(
    window: QtWidgets.QMainWindow,
    docks: dict[str, QtWidgets.QDockWidget],
    view: DataView,
    training: Training,
    view_menu: QtWidgets.QMenu,
    before: QtGui.QAction,
) -> QtWidgets.QDockWidget:
    """Dock `view` as a tab behind the Weights, listed in `view_menu` before `before`; it comes to the
    front when training starts, except over the Training tab the run was started from (its curves
    and Stop stay in view; the Data tab is one click away)."""
    dock = docks["dataDock"] = make_dock(
        window, "Data", "dataDock", view, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
    )
    window.tabifyDockWidget(docks["weightsDock"], dock)
    docks["weightsDock"].raise_()
    view_menu.insertAction(before, dock.toggleViewAction())

    def on_state(state: str, _message: str) -> None:
        if state != "training" or not window.tabifiedDockWidgets(dock) or dock.isFloating():
            return
        training_dock = docks.get("trainingDock")
        if training_dock is not None and in_front(training_dock):
            return
        dock.raise_()

    training.stateChanged.connect(on_state)
    return dock
