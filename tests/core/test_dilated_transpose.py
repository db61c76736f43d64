"""A transposed convolution with dilation_rate > 1 is refused where the installed TensorFlow cannot
run it on the CPU (2.21 and later), as read from its package's metadata folder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nnstudio.core.layers.convolutional import _conv as conv
from nnstudio.core.layers.registry import layer_type


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Pretend TensorFlow of a given release is installed in tmp_path (None: not installed)."""

    def install(release: str | None) -> None:
        conv.dilated_transpose_runs.cache_clear()
        package = tmp_path / "tensorflow"
        package.mkdir(exist_ok=True)
        for old in tmp_path.glob("tensorflow-*.dist-info"):
            old.rmdir()
        if release is not None:
            (tmp_path / f"tensorflow-{release}.dist-info").mkdir()
        found = SimpleNamespace(submodule_search_locations=[str(package)])
        monkeypatch.setattr(conv, "find_spec", lambda name: found if name == "tensorflow" else None)

    yield install
    conv.dilated_transpose_runs.cache_clear()


@pytest.mark.parametrize(("release", "runs"), [("2.20.1", True), ("2.16.0", True), ("2.21.0", False), ("3.0.0", False)])
def test_the_release_decides(installed, release, runs):
    installed(release)
    assert conv.dilated_transpose_runs() is runs


def test_without_a_release_to_read_keras_has_the_last_word(installed, monkeypatch):
    installed(None)
    assert conv.dilated_transpose_runs()
    conv.dilated_transpose_runs.cache_clear()
    monkeypatch.setattr(conv, "find_spec", lambda name: None)
    assert conv.dilated_transpose_runs()


@pytest.mark.parametrize("class_name", ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"])
def test_a_dilated_transpose_is_refused_at_its_dilation_on_a_release_that_cannot_run_it(installed, class_name):
    kind = layer_type(class_name)
    rank = int(class_name[4])
    params = {**kind.defaults(), "filters": 2, "kernel_size": [3] * rank, "dilation_rate": [2] * rank}
    installed("2.21.0")
    problems = dict(kind.validate(params))
    assert "dilation_rate" in problems and "cannot run" in problems["dilation_rate"]
    installed("2.20.0")
    assert "dilation_rate" not in dict(kind.validate(params))
    params["dilation_rate"] = [1] * rank
    installed("2.21.0")
    assert "dilation_rate" not in dict(kind.validate(params))
