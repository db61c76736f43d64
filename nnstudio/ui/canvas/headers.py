"""The canvas's column headers: a layer's name and what it computes, above its column (stages: below).

A model of hundreds of layers has hundreds of headers, and Qt takes a fraction of a millisecond to
make and lay out each. Most of them are hidden at first (side by side they would only cover one
another: a header is shown where its neighbours leave it room) or lie off screen, so `set_columns`
makes none at once: `place` makes those that show in the view, and the rest of those with room are
made in steps of about STEP_MS on later turns of the event loop (a new model drops the old steps).
A header without room is made only once a zoom gives it room (or its layer is selected): a model of
a thousand layers fitted in the view shows a few tens. Once `complete()`, every header that shows or
may show on a pan is the one an eager build would have given it (text, tooltip, place, visibility).

A header that has room but lies off screen is hidden too, and shown again as soon as a pan or a
zoom brings it near the view (`follow_view`): zoomed in on a big model, hundreds of headers have
room, a few tens are on screen, and Qt asks every shown item for its bounds and pyqtgraph gives it
its transform at each zoom step.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.theme import Theme

HEADER_SPACING_PX = 8  # between the headers of neighbouring layers
HEADER_MIN_PX = 24  # a header is never cut narrower than this (with less room it is hidden)
HEADER_ROOM_LIMIT_PX = 400  # layers further apart than this keep their whole header
STEP_MS = 8.0  # the headers not needed on screen are made in steps of about this long
SYNC_HEADERS = 32  # a model of at most this many columns gets all its headers at once
NEAR_VIEW = 0.5  # headers centred within this share of the view's width beside it are kept right at once
SECOND_ROW_PX = 34  # a stage's header in the second row below stands this much lower
OFF_VIEW_PX = 40  # a header whose text comes this close to the view is shown (pens, a pan's first step)


class HeaderItem(pg.TextItem):
    """A column's header, which remembers the HTML it shows."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.shown_html = ""
        # no itemChange call into Python for each move: the headers' layer lies outside the view's
        # automatic range, so pyqtgraph has nothing to learn from a header's new place
        self.setFlag(self.GraphicsItemFlag.ItemSendsGeometryChanges, False)

    def show_html(self, text: str) -> None:
        """Set the HTML unless it is already shown (Qt lays out every HTML text it is given)."""
        if self.shown_html != text:
            self.textItem.setHtml(text)  # (TextItem.setHtml compares with toHtml(), which costs as much)
            self.updateTextPos()
            self.shown_html = text


def _set_anchor(item: pg.TextItem, anchor: tuple[float, float]) -> None:
    """Set a header's anchor unless it has it already (each setting lays its text out again)."""
    if tuple(item.anchor) != anchor:
        item.setAnchor(anchor)


class ColumnHeaders(QtCore.QObject):
    """One HeaderItem per column in `view`, made as they are needed (see the module docstring).

    `items[i]` is column i's header, or None while it is still to be made (or has no room)."""

    completed = Signal()  # every column of the current model with room has its header

    def __init__(
        self,
        parent: QtCore.QObject,
        view: pg.ViewBox,
        font: Callable[[], QtGui.QFont],
        theme: Callable[[], Theme],
        fill: Callable[[], object],
    ) -> None:
        super().__init__(parent)
        self.view = view
        # The headers' parent, in the view: the view repaints itself whole for every item added
        # right into it (pyqtgraph checks its automatic range), not for one added in here.
        self.layer = QtWidgets.QGraphicsRectItem()
        self.layer.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.layer.setZValue(20)
        view.addItem(self.layer, ignoreBounds=True)
        self._font, self._theme, self._fill = font, theme, fill
        self.columns: list[L.Column] = []
        self.items: list[HeaderItem | None] = []
        self.rooms: list[int | None] | None = None  # what `widths` gave at the last placing
        self.selected = -1  # the column whose header is highlighted
        self.made = 0  # header items made (tests: a dropped build makes none for the old model)
        self._below: list[bool] = []  # per column: its header lies below it
        self._second: list[bool] = []  # per column below: in the second row
        self._placing: tuple[float, ...] | None = None  # ppx, ppy, vx0, vx1, vy0, vy1 of the last placing
        self._spare: list[HeaderItem] = []  # items of an earlier model, reused before new ones are made
        self._stale: set[int] = set()  # headers made whose text and place are to follow the last placing
        self._cursor = 0  # the steps make the missing headers from here on
        self._metrics: dict[tuple[str, float, bool], QtGui.QFontMetrics] = {}
        self._elisions: dict[tuple, str] = {}
        self._line_heights: dict[tuple, float] = {}
        self._centres: list[float] = []  # per column: the x its header is centred on
        self._widths: tuple | None = None  # (ppx, centres, rooms) of the last `widths`
        self._heights: tuple[float, float] | None = None  # what `heights` gave, until a header changes
        self._tall: list[float | None] = []  # per column: its header's height (None: to be measured)
        # per column: its header has room (or is selected), the x it is centred on, its half width
        # in pixels (0: not made), and whether it is shown now (see follow_view)
        self._wanted = np.zeros(0, dtype=bool)
        self._header_x = np.zeros(0)
        self._half_px = np.zeros(0)
        self._shown = np.zeros(0, dtype=bool)
        self._view_x: tuple[float, float, float] | None = None  # x0, x1 and pixels per unit of the view
        self._stopped = False
        view.sigRangeChanged.connect(self.follow_view)
        view.sigResized.connect(self.follow_view)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    # -- the model ----------------------------------------------------------------------------

    def set_columns(self, columns: list[L.Column]) -> None:
        """Headers for the columns of another model: made anew, as they are needed."""
        self._set_rows(columns)
        self._spare += [item for item in self.items if item is not None]
        self.items = [None] * len(columns)
        self._stale.clear()
        self.rooms = None
        for item in self._spare:
            if item.isVisible():
                item.hide()
        self._cursor = 0
        if len(self._elisions) > 20_000:
            self._elisions.clear()
        self._timer.start()

    def update_columns(self, columns: list[L.Column], changed: list[int]) -> None:
        """The same number of columns, of which those in `changed` draw their layer otherwise (an
        edit that keeps the model's structure): only their headers are written again."""
        rows = (self._below, self._second)
        self._set_rows(columns, changed)
        if (self._below, self._second) != rows:
            self.rooms = None  # other rows: every header is cut anew when next placed
        for i in changed:
            if self.items[i] is not None:
                self._refresh(i)

    def _set_rows(self, columns: list[L.Column], changed: list[int] | None = None) -> None:
        """`changed`: the columns that differ from the current ones (None: all of them)."""
        if changed is None or len(self._tall) != len(columns):
            self._tall = [None] * len(columns)
        for i in changed or ():
            self._tall[i] = None
        self.columns = columns
        self._heights = None
        self._centres = [c.x + c.out_dx / 2 for c in columns]  # over the neurons and what is drawn beside them
        if changed is None or len(self._wanted) != len(columns):
            self._wanted = np.zeros(len(columns), dtype=bool)
            self._half_px = np.zeros(len(columns))
            self._shown = np.zeros(len(columns), dtype=bool)
        for i in changed or ():
            self._half_px[i] = 0.0
        self._below, self._second = [], []
        run = 0
        for col in columns:  # neighbouring stage headers alternate between two rows so they do not collide
            below = col.kind in L.HEADERS_BELOW
            self._below.append(below)
            self._second.append(below and run % 2 == 1)
            run = run + 1 if below else 0
        # where _place centres each header (stages: on the column itself)
        self._header_x = np.array(
            [c.x if b else x for c, b, x in zip(columns, self._below, self._centres, strict=True)]
        )

    def stop(self) -> None:
        """No more steps, nor headers following the view (the canvas is closing)."""
        self._timer.stop()
        self._placing = None
        self._stopped = True

    def complete(self) -> bool:
        """Every column with room (or selected) has its header, written and placed for the last
        placing, and no header of an earlier model is left over."""
        return (
            not self._spare
            and not self._stale
            and all(item is not None or not self._has_room(i) for i, item in enumerate(self.items))
        )

    def _has_room(self, i: int) -> bool:
        """Column i's header would show at the last placing (before one: it may)."""
        return self.rooms is None or self.rooms[i] != 0 or i == self.selected

    def built(self):
        """(column index, item) of the headers made so far."""
        return ((i, item) for i, item in enumerate(self.items) if item is not None)

    # -- placing ------------------------------------------------------------------------------

    def place(self, ppx: float, ppy: float, view: tuple[float, float, float, float]) -> None:
        """Cut the headers to the room between their neighbours at `ppx` pixels per unit and place
        them for the view (x0, x1, y0, y1): at once those that show in or near it (made now if
        need be, for about STEP_MS), the others in the steps."""
        vx0, vx1, vy0, vy1 = view
        placing = (ppx, ppy, vx0, vx1, vy0, vy1)
        self._view_x = (vx0, vx1, ppx)
        rooms = self.widths(ppx)
        rerender = rooms != self.rooms
        # every header made is placed for the last placing (but those in _stale)
        replace = rerender or placing != self._placing
        self._placing = placing
        self.rooms = rooms
        if rerender:
            self._cursor = 0  # columns given room by this placing may lie behind the steps' cursor
        near = (vx1 - vx0) * NEAR_VIEW  # a header centred this far outside the view may still reach into it
        every = len(self.columns) <= SYNC_HEADERS
        start = time.perf_counter()
        for i, col in enumerate(self.columns):
            item = self.items[i]
            shown = rooms[i] != 0 or i == self.selected
            now = every or (shown and vx0 - near <= col.x + col.out_dx / 2 <= vx1 + near)
            if item is None:
                # a big model fitted gives dozens of headers room at once: those beyond STEP_MS of
                # making come in the steps, a few milliseconds later, not in this one long stop
                if now and (every or (time.perf_counter() - start) * 1000 < STEP_MS):
                    self._make(i)
            elif now:
                if rerender or i in self._stale:
                    self._render(i)
                if replace or i in self._stale:
                    self._place(i)
                self._stale.discard(i)
            elif rerender or replace:
                if not shown:  # it has lost its room: hidden now, its text and place follow in the steps
                    self._wanted[i] = False
                    self._show_if_near(i)
                self._stale.add(i)
        if not self.complete():
            self._timer.start()

    def select(self, index: int) -> None:
        """Highlight column `index`'s header (-1: none)."""
        before, self.selected = self.selected, index
        for i in {before, index}:
            if 0 <= i < len(self.items):
                if self.items[i] is None:
                    self._make(i)  # the selected header always shows
                else:
                    self._refresh(i)

    def restyle(self) -> None:
        """The theme changed: new fills and text colours."""
        for item in self._spare:
            item.fill = self._fill()
        for i, item in self.built():
            item.fill = self._fill()
            item.update()
            self._render(i)

    def widths(self, ppx: float) -> list[int | None]:
        """Pixels each layer's header may be wide without meeting its neighbours' in the same row
        (None: no limit; 0: less than HEADER_MIN_PX). Headers above their column form one row; those
        below take turns in two rows. In steps of 8 px, so panning changes nothing."""
        if self._widths is not None and self._widths[0] == ppx and self._widths[1] == self._centres:
            return self._widths[2]
        rows: dict[int, list[int]] = {}
        for i in range(len(self.columns)):
            rows.setdefault((1 + self._second[i]) if self._below[i] else 0, []).append(i)
        rooms: list[int | None] = [None] * len(self.columns)
        centre = self._centres
        for row in rows.values():
            for k, i in enumerate(row):
                gaps = [abs(centre[i] - centre[row[j]]) for j in (k - 1, k + 1) if 0 <= j < len(row)]
                if not gaps:
                    continue
                gap = min(gaps) * ppx - HEADER_SPACING_PX
                if gap < HEADER_ROOM_LIMIT_PX:
                    rooms[i] = int(gap) // 8 * 8 if gap >= HEADER_MIN_PX else 0
        self._widths = (ppx, self._centres, rooms)
        return rooms

    def below_rows(self) -> int:
        """How many rows of headers lie under the columns (stages take turns in two)."""
        return 2 if any(self._second) else int(any(self._below))

    def heights(self) -> tuple[float, float]:
        """The tallest header above the columns and below them, in pixels (a header still to be
        made counts as one of its number of lines)."""
        if self._heights is not None:
            return self._heights
        measured: list[float] = []
        for i, col in enumerate(self.columns):
            h = self._tall[i]
            if h is None:
                item = self.items[i]
                h = self._tall[i] = (
                    item.textItem.boundingRect().height() if item is not None else self._lines_height(col)
                )
            measured.append(h)
        above = max((h for h, below in zip(measured, self._below, strict=True) if not below), default=0.0)
        below = max((h for h, below in zip(measured, self._below, strict=True) if below), default=0.0)
        self._heights = (above, below)
        return above, below

    def natural_width(self, col: L.Column) -> float:
        """Pixels a column's header takes uncut (its name and its detail line, and the item's padding)."""
        widths = [self._metrics_of(size, bold).horizontalAdvance(text) for text, size, bold in self._lines(col)]
        return max(widths) + 12

    # -- one header ---------------------------------------------------------------------------

    def html(self, col: L.Column, selected: bool = False, room: int | None = None) -> str:
        name, detail = col.name, col.detail
        if room is not None:  # elided to fit between the neighbouring columns
            name = self._elided(name, 10, True, room)
            detail = self._elided(detail, 9, False, room)
        name, detail = html.escape(name), html.escape(detail)
        t = self._theme()
        bg = f"background-color:{t.selected_header};" if selected else ""
        parts = [
            f'<div style="text-align:center;{bg}"><span style="color:{t.ink};font-weight:700;font-size:10pt">{name}</span>',
            f'<br><span style="color:{t.muted};font-size:9pt">{detail}</span>',
        ]
        if col.error:
            parts.append(f'<br><span style="color:{t.error};font-size:8pt">{html.escape(col.error[:60])}</span>')
        parts.append("</div>")
        return "".join(parts)

    def _make(self, i: int) -> HeaderItem:
        item = self._spare.pop() if self._spare else None
        if item is None:
            item = HeaderItem(fill=self._fill())
            item.setZValue(20)
            item.hide()  # shown by _render if it has room: a hidden item added repaints nothing
            item.setParentItem(self.layer)
            self.made += 1
        self.items[i] = item
        self._tall[i] = None
        self._heights = None
        self._render(i)
        self._place(i)
        return item

    def _refresh(self, i: int) -> None:
        self._render(i)
        self._place(i)
        self._stale.discard(i)

    def _render(self, i: int) -> None:
        """Column i's header text: highlighted when selected, cut to its room."""
        item, col = self.items[i], self.columns[i]
        assert item is not None
        room = self.rooms[i] if self.rooms is not None else None
        selected = i == self.selected
        # a header with no room (hundreds of layers side by side) would only cover its neighbours:
        # hidden, but for the selected layer's, until zooming in makes room
        self._wanted[i] = room != 0 or selected
        text = self.html(col, selected=selected, room=HEADER_MIN_PX if room == 0 else room)
        if text != item.shown_html:
            item.show_html(text)
            self._tall[i] = None
            self._heights = None
            self._half_px[i] = 0.0
        if not self._half_px[i]:  # (a header of an earlier model, reused, may show the same text)
            self._half_px[i] = item.textItem.boundingRect().width() / 2
        self._show_if_near(i)
        tip = f"{col.name} · {col.detail}" if room is not None else ""
        if item.toolTip() != tip:
            item.setToolTip(tip)

    def follow_view(self, *args: object) -> None:
        """Show the headers with room that a pan or a zoom brought near the view, hide those it took
        away (a header off screen costs each paint and each zoom step its bounds and its transform)."""
        if self._stopped:
            return  # the canvas is closing: its view may be gone
        (x0, x1), _ = self.view.viewRange()
        self._view_x = (x0, x1, self.view.width() / max(x1 - x0, 1e-12))
        if not len(self._wanted):
            return
        target = self._wanted & self._near()
        for i in np.flatnonzero(target != self._shown).tolist():
            item = self.items[i]
            if item is not None:
                item.setVisible(bool(target[i]))
            self._shown[i] = target[i]

    def _near(self, which: slice = slice(None)) -> np.ndarray:
        """Per column (of `which`): its header's text reaches within OFF_VIEW_PX of the view (all of
        them before a view is known)."""
        x, half = self._header_x[which], self._half_px[which]
        if self._view_x is None:
            return np.ones(len(x), dtype=bool)
        x0, x1, ppx = self._view_x
        reach = (half + OFF_VIEW_PX) / max(ppx, 1e-12)
        return (x + reach >= x0) & (x - reach <= x1)

    def _show_if_near(self, i: int) -> None:
        """Column i's header shown if it is wanted (see _render) and near the view."""
        item = self.items[i]
        assert item is not None
        visible = bool(self._wanted[i]) and bool(self._near(slice(i, i + 1))[0])
        if item.isVisible() != visible:
            item.setVisible(visible)
        self._shown[i] = visible

    def _place(self, i: int) -> None:
        """Just above column i (stages: below), and on screen when zoomed in."""
        if self._placing is None:
            return
        _, ppy, _, _, vy0, vy1 = self._placing
        item, col = self.items[i], self.columns[i]
        assert item is not None
        gap = 6 / ppy
        if self._below[i]:
            y = -col.height / 2 - gap - (SECOND_ROW_PX / ppy if self._second[i] else 0)
            if y < vy0 + gap:
                _set_anchor(item, (0.5, 1.0))
                item.setPos(col.x, vy0 + gap)
            else:
                _set_anchor(item, (0.5, 0.0))
                item.setPos(col.x, y)
        else:
            y = col.height / 2 + gap
            x = col.x + col.out_dx / 2  # over the neurons and what the drawer puts beside them
            if y > vy1 - gap:
                _set_anchor(item, (0.5, 0.0))
                item.setPos(x, vy1 - gap)
            else:
                _set_anchor(item, (0.5, 1.0))
                item.setPos(x, y)

    def _step(self) -> None:
        """Make missing headers for about STEP_MS, then let the event loop run; the leftovers of an
        earlier model go once every column has its header."""
        if self._placing is None:
            return  # not placed yet: the first placing starts the steps again
        start = time.perf_counter()
        n = len(self.items)
        while self._cursor < n:
            if self.items[self._cursor] is None and self._has_room(self._cursor):
                self._make(self._cursor)
                if (time.perf_counter() - start) * 1000 >= STEP_MS:
                    self._timer.start()
                    return
            self._cursor += 1
        while self._stale:
            self._refresh(next(iter(self._stale)))
            if (time.perf_counter() - start) * 1000 >= STEP_MS:
                self._timer.start()
                return
        while self._spare:
            item = self._spare.pop()
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)
            if (time.perf_counter() - start) * 1000 >= STEP_MS:
                self._timer.start()
                return
        self.completed.emit()

    # -- text ---------------------------------------------------------------------------------

    @staticmethod
    def _lines(col: L.Column) -> list[tuple[str, float, bool]]:
        return [(col.name, 10, True), (col.detail, 9, False)]

    def _metrics_of(self, point_size: float, bold: bool) -> QtGui.QFontMetrics:
        base = self._font()
        key = (base.key(), point_size, bold)  # the metrics are made once per font: headers ask hundreds of times
        metrics = self._metrics.get(key)
        if metrics is None:
            font = QtGui.QFont(base)
            font.setPointSizeF(point_size)
            font.setBold(bold)
            metrics = self._metrics[key] = QtGui.QFontMetrics(font)
        return metrics

    def _elided(self, text: str, point_size: float, bold: bool, width: int) -> str:
        key = (self._font().key(), text, point_size, bold, width)
        found = self._elisions.get(key)
        if found is None:
            metrics = self._metrics_of(point_size, bold)
            found = self._elisions[key] = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, width)
        return found

    def _lines_height(self, col: L.Column) -> float:
        """The height of a header of as many lines as column `col`'s (measured once per count)."""
        key = (self._font().key(), bool(col.error))
        height = self._line_heights.get(key)
        if height is None:
            probe = QtWidgets.QGraphicsTextItem()
            sample = L.Column(0, "Ag", "", "input", None, 0.0, detail="Ag", error="Ag" if col.error else None)
            probe.setHtml(self.html(sample, room=None))
            height = self._line_heights[key] = probe.boundingRect().height()
        return height
