"""Edit ▸ Find Layer (Ctrl+F): a find field over the model, completing layer names; Enter jumps to the
layer (selects it: the graph expands its group and centres on it), Esc closes the field."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from nnstudio.services.document import Document
from nnstudio.ui.icons import error_color

WIDTH = 300


class LayerFinder(QLineEdit):
    """The find field (objectName `layerFinder`), floating at the top right of `anchor` inside its window."""

    found = Signal(int)  # the position of the layer jumped to
    closed = Signal()

    def __init__(self, document: Document, anchor: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("layerFinder")
        self.setAccessibleName("Find layer")
        self.setPlaceholderText("Find a layer by name…  (Enter jumps, Esc closes)")
        self.setClearButtonEnabled(True)
        self.document = document
        self.anchor = anchor
        self.host = parent
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        completer.activated.connect(self.jump)
        self.setCompleter(completer)
        self.textEdited.connect(lambda _text: self._mark(None))
        self.setFixedWidth(WIDTH)
        self.hide()

    def open(self) -> None:
        """Show the field over the anchor's top right corner with the model's layer names, focused."""
        self.names.setStringList([layer.name for layer in self.document.spec.layers])
        corner = self.anchor.mapTo(self.host, self.anchor.rect().topRight())
        self.move(corner.x() - WIDTH - 12, corner.y() + 8)
        self._mark(None)
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def close_field(self) -> None:
        self._hide_popup()
        self.hide()
        self.closed.emit()

    def jump(self, text: str | None = None) -> str | None:
        """Jump to the layer named `text` (the field's text): that name exactly, else the one name that
        matches it ignoring case, else the first name that contains it. The reason when none does."""
        wanted = (self.text() if text is None else text).strip()
        if not wanted:
            return None
        names = [layer.name for layer in self.document.spec.layers]
        lowered = wanted.casefold()
        matches = (
            [i for i, name in enumerate(names) if name == wanted]
            or [i for i, name in enumerate(names) if name.casefold() == lowered]
            or [i for i, name in enumerate(names) if lowered in name.casefold()]
        )
        if not matches:
            reason = f"No layer's name contains {wanted!r}"
            self._mark(reason)
            return reason
        self.setText(names[matches[0]])
        self.close_field()
        self.found.emit(matches[0])
        return None

    def _hide_popup(self) -> None:
        popup = self.completer().popup()
        if popup is not None:
            popup.hide()

    def _mark(self, reason: str | None) -> None:
        self.setToolTip(reason or "")
        self.setStyleSheet(f"QLineEdit#layerFinder {{ border: 1.5px solid {error_color().name()}; }}" if reason else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.close_field()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            popup = self.completer().popup()
            if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
                super().keyPressEvent(event)  # the completer takes the highlighted name (activated)
                return
            self._hide_popup()
            self.jump()
            event.accept()
            return
        super().keyPressEvent(event)
