"""Where nnstudio's package data is: icons, the style sheet, examples and datasets.

The repository keeps them in the top-level `resources/` folder; the wheel ships them inside the
package as `nnstudio/resources/` (see `setup.py`). `resource_dir()` finds them with
`importlib.resources` either way: in the installed package first, else beside the package in a
source checkout (an editable install or `PYTHONPATH`).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def resource_dir() -> Path:
    """The folder holding `icons/`, `style/`, `examples/` and `datasets/`."""
    package = files("nnstudio")
    packaged = package / "resources"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(package)).parent / "resources"


def resource(*parts: str) -> Path:
    """A file of the package data, e.g. `resource("datasets", "iris.csv")`."""
    return resource_dir().joinpath(*parts)


def examples() -> list[Path]:
    """The example models shipped with nnstudio, by name."""
    return sorted(resource("examples").glob("*.nnstudio"))
