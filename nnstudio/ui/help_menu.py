"""What the Help menu shows: the keyboard shortcuts table and the About text."""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence


def shortcut_rows(keyed_actions: Iterable[QAction], undo: QAction, redo: QAction) -> list[tuple[str, str]]:
    """(keys, what they do): the window's keyed actions (`undo` and `redo` named plainly), then the panels' own keys."""
    rows: list[tuple[str, str]] = []
    for action in keyed_actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in dict.fromkeys(keys) if k]
        if keys:
            text = action.text().replace("&", "").rstrip("…")
            if action in (undo, redo):
                text = "Undo" if action is undo else "Redo"
            rows.append((" or ".join(keys[:2]), text))
    rows += [
        ("Enter or double-click", "Layers: append the layer type to the model"),
        ("Drag", "Layers → Model: insert a layer there; within Model: reorder"),
        ("F or Home, + and −", "Canvas: fit, zoom in and out (wheel zooms, drag pans)"),
        ("Drag", "Layers → Graph: on a connection inserts, on or beside a layer branches from it"),
        ("Drag from a right-hand port", "Graph: connect that layer's output to the layer you release on"),
        ("Arrows, Alt+Left / Alt+Right", "Graph: walk the layers; select their input / output connections"),
        ("Delete", "Graph: delete the selected connection or layer"),
        ("Enter or double-click", "Graph: expand a collapsed group of blocks, or collapse the selected layer's"),
        ("Click or drag", "Graph overview (its corner, when the graph does not fit): move the view there"),
        ("Enter, Esc", "Find Layer: jump to the layer named (completions as you type), close the field"),
        (
            QKeySequence(QKeySequence.StandardKey.Copy).toString(QKeySequence.SequenceFormat.NativeText),
            "Summary: copy the table as Keras prints it",
        ),
    ]
    return rows


def shortcuts_table(rows: Iterable[tuple[str, str]]) -> str:
    """The rows as the rich-text table of the Keyboard Shortcuts window."""
    cells = "".join(
        f"<tr><td style='padding-right:16px'><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>"
        for keys, text in rows
    )
    return f"<table cellspacing='0' cellpadding='3'>{cells}</table>"


def about_text(keras_version: str, backend: str = "") -> str:
    """The About box: nnstudio's version, and Keras's and its backend's as the engine reported them
    ("" when not yet)."""
    from nnstudio import __version__

    # The versions as the engine reported them: the window itself never imports Keras.
    on = f" on {html.escape(backend)}" if backend else ""
    keras = (
        f"<p>Keras {html.escape(keras_version)}{on}, in its own process, so the window never waits for it.</p>"
        if keras_version
        else "<p>Keras runs in its own process, so the window never waits for it.</p>"
    )
    return (
        f"<h3>nnstudio {__version__}</h3>"
        "<p>Build Keras neural networks by hand and eye: drag layers in, read the shapes and "
        "parameter counts at once, see the real weights, export a <code>.keras</code> file or a "
        f"Python script.</p>{keras}"
    )
