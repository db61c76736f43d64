"""The application's look: Fusion style, a light or dark palette that follows the system, one style sheet.

`apply_style(app)` sets everything up and follows the system's colour scheme when it changes.
`RESOURCES` is the folder that holds the icon, the style sheet and the examples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from nnstudio.core.resources import resource_dir

RESOURCES = resource_dir()
STYLE_SHEET = RESOURCES / "style" / "nnstudio.qss"
APP_ICON = RESOURCES / "nnstudio.svg"


@dataclass(frozen=True)
class Colors:
    """The handful of colours the palette and the style sheet are made of."""

    window: str
    base: str
    alternate: str
    panel: str
    button: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    ok: str
    warn: str
    error: str
    dark: bool


LIGHT = Colors(
    window="#f4f5f7",
    base="#ffffff",
    alternate="#f7f8fa",
    panel="#eceef2",
    button="#f8f9fb",
    text="#1d2330",
    muted="#6b7385",
    border="#d5d9e0",
    accent="#3b6fd8",
    accent_text="#ffffff",
    ok="#1e8a4c",
    warn="#b86e00",
    error="#c62828",
    dark=False,
)

DARK = Colors(
    window="#1f2128",
    base="#262931",
    alternate="#2b2e37",
    panel="#2c2f38",
    button="#323641",
    text="#e3e6ed",
    muted="#9aa1b2",
    border="#3a3e4a",
    accent="#5b8ef0",
    accent_text="#ffffff",
    ok="#4cc38a",
    warn="#f0b34a",
    error="#ff6b6b",
    dark=True,
)


def system_prefers_dark() -> bool:
    """Whether the desktop asks for a dark colour scheme (Qt 6.5+ style hints).

    NNSTUDIO_THEME=dark or =light overrides the system's choice.
    """
    forced = os.environ.get("NNSTUDIO_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    try:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # pragma: no cover - older Qt
        return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def current_colors() -> Colors:
    """The colours in use now."""
    return DARK if system_prefers_dark() else LIGHT


def make_palette(c: Colors) -> QPalette:
    """A full QPalette for Fusion from `c`, disabled colours included."""
    p = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    p.setColor(role.Window, QColor(c.window))
    p.setColor(role.WindowText, QColor(c.text))
    p.setColor(role.Base, QColor(c.base))
    p.setColor(role.AlternateBase, QColor(c.alternate))
    p.setColor(role.ToolTipBase, QColor(c.base))
    p.setColor(role.ToolTipText, QColor(c.text))
    p.setColor(role.PlaceholderText, QColor(c.muted))
    p.setColor(role.Text, QColor(c.text))
    p.setColor(role.Button, QColor(c.button))
    p.setColor(role.ButtonText, QColor(c.text))
    p.setColor(role.BrightText, QColor(c.error))
    p.setColor(role.Highlight, QColor(c.accent))
    p.setColor(role.HighlightedText, QColor(c.accent_text))
    p.setColor(role.Link, QColor(c.accent))
    p.setColor(role.Mid, QColor(c.border))
    p.setColor(role.Midlight, QColor(c.panel))
    p.setColor(role.Dark, QColor(c.border).darker(130))
    p.setColor(role.Light, QColor(c.base).lighter(110))
    p.setColor(role.Shadow, QColor("#000000"))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c.muted))
    p.setColor(group.Disabled, role.Highlight, QColor(c.border))
    return p


def style_sheet(c: Colors) -> str:
    """The style sheet with its @name@ placeholders filled in from `c`."""
    try:
        text = STYLE_SHEET.read_text(encoding="utf-8")
    except OSError:
        return ""
    for key, value in vars(c).items():
        if isinstance(value, str):
            text = text.replace(f"@{key}@", value)
    text = text.replace("@scheme@", "dark" if c.dark else "light")
    return text.replace("@style_dir@", STYLE_SHEET.parent.as_posix())


def app_icon() -> QIcon:
    """The application icon (SVG, sharp at any size)."""
    return QIcon(str(APP_ICON)) if APP_ICON.exists() else QIcon()


class _SchemeFollower(QObject):
    """Re-applies the palette when the system switches between light and dark."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        hints = QGuiApplication.styleHints()
        signal = getattr(hints, "colorSchemeChanged", None)
        if signal is not None:
            signal.connect(self.apply)

    def apply(self, *_args) -> None:
        c = current_colors()
        self._app.setPalette(make_palette(c))
        self._app.setStyleSheet(style_sheet(c))


def apply_style(app: QApplication) -> Colors:
    """Fusion, the palette for the system's scheme, the style sheet and the icon; returns the colours used."""
    app.setStyle("Fusion")
    follower = app.findChild(_SchemeFollower)
    if follower is None:
        follower = _SchemeFollower(app)
    follower.apply()
    app.setWindowIcon(app_icon())
    return current_colors()
