"""Package data: the top-level `resources/` folder ships inside the wheel as `nnstudio/resources/`.

Everything else about the project is in pyproject.toml. `nnstudio.core.resources` finds the
folder in the installed package, or beside the package in a source checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("icons", "style", "examples", "datasets", "nnstudio.svg", "nnstudio.desktop")


class build_py_with_resources(build_py):  # noqa: N801 (setuptools' command naming)
    """build_py, then a copy of the shipped resources into the built package."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "resources"
        target = Path(self.build_lib) / "nnstudio" / "resources"
        for name in SHIPPED:
            if (source / name).is_dir():
                self.copy_tree(str(source / name), str(target / name))
            else:
                self.mkpath(str(target))
                self.copy_file(str(source / name), str(target / name))


setup(cmdclass={"build_py": build_py_with_resources})
