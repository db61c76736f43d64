"""A fixture that fails a test which starts TensorFlow or the command line without saying so.

`pytest -m "not engine and not cli"` must run only the fast tests, so every test that starts the
Keras engine process or imports TensorFlow carries `@pytest.mark.engine`, and every test that
runs `nnstudio` (or another Python that imports it or Keras) in a subprocess carries
`@pytest.mark.cli` (or `engine`, when that subprocess loads TensorFlow). This fixture checks it:
`nnstudio.engine.boot.spawn` (every engine's start) and `subprocess.Popen` are watched while each test runs, and TensorFlow
appearing in `sys.modules` counts as a start too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from nnstudio.engine import boot

_SEEN: dict[str, list[str]] = {"engine": [], "subprocess": []}


def _watch() -> None:
    spawn = boot.spawn
    if getattr(spawn, "_nnstudio_watched", False):
        return

    def watched_spawn(prefix: str, preload_keras: bool) -> tuple:
        _SEEN["engine"].append("boot.spawn")
        return spawn(prefix, preload_keras)

    watched_spawn._nnstudio_watched = True  # type: ignore[attr-defined]
    boot.spawn = watched_spawn  # type: ignore[assignment]

    popen_init = subprocess.Popen.__init__

    def watched_init(self: subprocess.Popen, args: object, *rest: object, **kwargs: object) -> None:
        text = " ".join(str(a) for a in args) if isinstance(args, (list, tuple)) else str(args)
        if "nnstudio" in text or "keras" in text:
            _SEEN["subprocess"].append(text[:120])
        popen_init(self, args, *rest, **kwargs)  # type: ignore[arg-type]

    subprocess.Popen.__init__ = watched_init  # type: ignore[method-assign, assignment]


_watch()


@pytest.fixture(autouse=True)
def markers_match_what_tests_start(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if it started an engine, TensorFlow or the CLI without its marker."""
    for seen in _SEEN.values():
        seen.clear()
    had_tensorflow = "tensorflow" in sys.modules
    yield
    marks = {mark.name for mark in request.node.iter_markers()}
    problems = []
    if _SEEN["engine"] and "engine" not in marks:
        problems.append("it started the Keras engine process: mark it @pytest.mark.engine")
    if not had_tensorflow and "tensorflow" in sys.modules and "engine" not in marks:
        problems.append("it imported TensorFlow: mark it @pytest.mark.engine")
    if _SEEN["subprocess"] and not marks & {"cli", "engine"}:
        problems.append(f"it ran {_SEEN['subprocess'][0]!r}: mark it @pytest.mark.cli (or engine)")
    if problems:
        pytest.fail("; ".join(problems))
