"""The colours of the network canvas and the weight histogram, taken from the application palette.

Both widgets follow the palette (light or dark, nnstudio/ui/style.py) and recolour themselves when
it changes. The two sign hues stay the same colour-blind-safe pair (blue for w > 0, orange for
w < 0, after ColorBrewer PuOr/RdBu); on a dark background they are lighter, so that they keep
their contrast. Faint things (weak weights, small biases) are the hue mixed into the background,
so on dark they fade into the dark, as on light into the white.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtGui

from nnstudio.core.layers.registry import all_types

# the light theme's sign hues (tests and the histogram refer to them by these names)
POSITIVE = "#1f6fb4"
NEGATIVE = "#e8710a"


@dataclass(frozen=True)
class Theme:
    dark: bool
    background: str
    ink: str  # names, titles
    muted: str  # details, counts, axes
    outline: str  # neuron outlines
    positive: str
    negative: str
    mixed: str
    pending: str
    identity: str
    input_fill: str
    neutral_fill: str  # a neuron without a bias, or a group
    pending_fill: str
    selection: str  # the selected column's frame
    selected_header: str  # background of the selected column's name
    error: str
    panel: str  # legend and label backgrounds (drawn translucent)
    panel_border: str
    stage_fills: dict  # class name -> fill


def mix(colour: str, t: float, background: str = "#ffffff") -> QtGui.QColor:
    """`colour` laid over `background` with opacity t, as an opaque colour."""
    c, b = QtGui.QColor(colour), QtGui.QColor(background)
    t = min(max(float(t), 0.0), 1.0)
    return QtGui.QColor(
        round(b.red() + (c.red() - b.red()) * t),
        round(b.green() + (c.green() - b.green()) * t),
        round(b.blue() + (c.blue() - b.blue()) * t),
    )


def _lighter(colour: str, lightness: float) -> str:
    """The same hue and saturation at HSL lightness `lightness` (0..1)."""
    c = QtGui.QColor(colour)
    h, s = c.hslHueF(), c.hslSaturationF()
    return QtGui.QColor.fromHslF(max(h, 0.0), s, lightness).name()


# class -> the fill of its marker on a light background, from the layer registry
_LIGHT_STAGES = {t.class_name: t.marker.fill for t in all_types() if t.marker is not None}

LIGHT_THEME = Theme(
    dark=False,
    background="#ffffff",
    ink="#2e3440",
    muted="#6b7280",
    outline="#39414d",
    positive=POSITIVE,
    negative=NEGATIVE,
    mixed="#8c8c8c",
    pending="#b8bcc4",
    identity="#9aa3ad",
    input_fill="#e3e8ee",
    neutral_fill="#ffffff",
    pending_fill="#eef0f3",
    selection="#ffd166",
    selected_header="#fff3cf",
    error="#b42318",
    panel="#ffffff",
    panel_border="#d0d5dd",
    stage_fills=_LIGHT_STAGES,
)


def theme_for(palette: QtGui.QPalette) -> Theme:
    """The canvas colours for `palette`: LIGHT_THEME on a light one; on a dark one, the palette's
    own base and text colours with lighter sign hues."""
    role = QtGui.QPalette.ColorRole
    base = palette.color(role.Base)
    if base.lightness() >= 128:
        return LIGHT_THEME
    bg = base.name()
    ink = palette.color(role.Text).name()
    muted = palette.color(role.PlaceholderText)
    if abs(muted.lightness() - base.lightness()) < 60:  # not set, or too close to the background
        muted = mix(ink, 0.62, bg)
    return Theme(
        dark=True,
        background=bg,
        ink=ink,
        muted=muted.name(),
        outline=mix(ink, 0.72, bg).name(),
        positive=_lighter(POSITIVE, 0.62),  # #5a9fdc-ish: the same blue, lighter
        negative=_lighter(NEGATIVE, 0.58),  # #f58f3a-ish: the same orange, lighter
        mixed="#a3a3a3",
        pending=mix(ink, 0.55, bg).name(),
        identity=mix(ink, 0.5, bg).name(),
        input_fill=mix(ink, 0.22, bg).name(),
        neutral_fill=bg,
        pending_fill=mix(ink, 0.1, bg).name(),
        selection="#ffd166",
        selected_header=mix("#ffd166", 0.2, bg).name(),
        error="#ff8a80",
        panel=bg,
        panel_border=mix(ink, 0.25, bg).name(),
        stage_fills={k: mix(v, 0.62, bg).name() for k, v in _LIGHT_STAGES.items()},
    )
