"""The parameter budget in the window: kept in QSettings, applied at start, changed from the
Keras menu (Keras > Parameter Budget…).

The budget is the most parameters a model may have before nnstudio refuses it (100 M unless
raised; ConvNeXtXLarge has 350 M); the message that refuses a model says how to raise it. The
engine process takes the budget that each request carries, so a change holds there too.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog, QWidget

from nnstudio.core.validation import DEFAULT_PARAM_BUDGET, budget_problem, param_budget, set_param_budget

BUDGET_KEY = "limits/max_params"
DIALOG_MAXIMUM = 2**31 - 1  # the largest number QInputDialog.getInt takes (2.1 billion parameters)


def stored_budget(settings: QSettings) -> int:
    """The budget `settings` keep (the default when none, or when what they hold is not a fit count)."""
    value = settings.value(BUDGET_KEY)
    try:
        count = int(str(value)) if value is not None else DEFAULT_PARAM_BUDGET
    except ValueError:
        return DEFAULT_PARAM_BUDGET
    return DEFAULT_PARAM_BUDGET if budget_problem(count) else count


def apply_stored_budget(settings: QSettings) -> int:
    """Make the budget `settings` keep the one in force; returns it."""
    count = stored_budget(settings)
    set_param_budget(count)
    return count


def ask_param_budget(parent: QWidget, settings: QSettings) -> int | None:
    """Ask for a new budget; put it in force and in `settings`. The new budget, or None if cancelled."""
    count, accepted = QInputDialog.getInt(
        parent,
        "Parameter Budget",
        "The most parameters a model may have before nnstudio refuses it\n"
        f"(Keras allocates them all; default {DEFAULT_PARAM_BUDGET:,}):",
        min(param_budget(), DIALOG_MAXIMUM),
        1,
        DIALOG_MAXIMUM,
        1_000_000,
    )
    if not accepted:
        return None
    set_param_budget(count)
    settings.setValue(BUDGET_KEY, count)
    settings.sync()
    return count
