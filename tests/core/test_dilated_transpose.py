"""A transposed convolution with dilation_rate > 1 is refused where the installed TensorFlow cannot
run it on the CPU: 2.21 and later (as read from its package's metadata folder) without its oneDNN
kernels (TF_ENABLE_ONEDNN_OPTS=0, or by default a CPU without the instructions TensorFlow asks for)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nnstudio.core.layers.convolutional import _conv as conv
from nnstudio.core.layers.registry import layer_type

WITHOUT_ONEDNN = frozenset({"sse4_2", "avx2", "avx512f"})  # a CPU TensorFlow keeps oneDNN off on
WITH_ONEDNN = frozenset({"avx2", "avx512f", "avx512_vnni"})


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Pretend TensorFlow of a given release is installed in tmp_path (None: not installed), on a CPU
    with the given flags (None: they cannot be read), with TF_ENABLE_ONEDNN_OPTS unset."""
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)

    def install(release: str | None, flags: frozenset[str] | None = WITHOUT_ONEDNN) -> None:
        conv.dilated_transpose_runs.cache_clear()
        package = tmp_path / "tensorflow"
        package.mkdir(exist_ok=True)
        for old in tmp_path.glob("tensorflow-*.dist-info"):
            old.rmdir()
        if release is not None:
            (tmp_path / f"tensorflow-{release}.dist-info").mkdir()
        found = SimpleNamespace(submodule_search_locations=[str(package)])
        monkeypatch.setattr(conv, "find_spec", lambda name: found if name == "tensorflow" else None)
        monkeypatch.setattr(conv, "cpu_flags", lambda: flags)

    yield install
    conv.dilated_transpose_runs.cache_clear()


@pytest.mark.parametrize(("release", "runs"), [("2.20.1", True), ("2.16.0", True), ("2.21.0", False), ("3.0.0", False)])
def test_the_release_decides_without_onednn(installed, release, runs):
    installed(release)
    assert conv.dilated_transpose_runs() is runs


@pytest.mark.parametrize(
    ("flags", "setting", "runs"),
    [
        (WITH_ONEDNN, None, True),  # TensorFlow turns oneDNN on for such a CPU
        (WITH_ONEDNN | {"amx_tile"}, None, True),
        (WITHOUT_ONEDNN, None, False),
        (WITH_ONEDNN, "0", False),  # the person turned it off
        (WITHOUT_ONEDNN, "1", True),  # or on
        (WITHOUT_ONEDNN, "true", True),
        (None, None, True),  # the CPU cannot be read: Keras has the last word
        (None, "false", False),
    ],
)
def test_oneDNN_kernels_run_it_on_a_release_whose_own_kernels_do_not(installed, monkeypatch, flags, setting, runs):
    installed("2.21.0", flags)
    if setting is not None:
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", setting)
    assert conv.dilated_transpose_runs() is runs


def test_without_a_release_to_read_keras_has_the_last_word(installed, monkeypatch):
    installed(None)
    assert conv.dilated_transpose_runs()
    conv.dilated_transpose_runs.cache_clear()
    monkeypatch.setattr(conv, "find_spec", lambda name: None)
    assert conv.dilated_transpose_runs()


def test_the_cpu_flags_are_those_linux_lists():
    flags = conv.cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo flags line here")
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        line = next(line for line in info if line.split(":")[0].strip() == "flags")
    assert flags == frozenset(line.split(":", 1)[1].split()) and flags


@pytest.mark.parametrize("class_name", ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"])
def test_a_dilated_transpose_is_refused_at_its_dilation_where_it_cannot_run(installed, class_name):
    kind = layer_type(class_name)
    rank = int(class_name[4])
    params = {**kind.defaults(), "filters": 2, "kernel_size": [3] * rank, "dilation_rate": [2] * rank}
    installed("2.21.0")
    problems = dict(kind.validate(params))
    assert "dilation_rate" in problems and "cannot run" in problems["dilation_rate"]
    assert "TF_ENABLE_ONEDNN_OPTS" in problems["dilation_rate"]
    installed("2.21.0", WITH_ONEDNN)
    assert "dilation_rate" not in dict(kind.validate(params))
    installed("2.20.0")
    assert "dilation_rate" not in dict(kind.validate(params))
    params["dilation_rate"] = [1] * rank
    installed("2.21.0")
    assert "dilation_rate" not in dict(kind.validate(params))
