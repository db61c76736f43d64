"""`export` and `train` of a `.keras` file do their Keras work in the engine process, under its memory limit.

Run in-process with the limit lowered to a few megabytes: a sound file whose weights need more
is refused in one line, the command survives, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.commands import engine_calls
from tests.core.test_keras_archive_corpus import layer_entry, model_config, weights_bytes, write_keras


def big_model(path: Path) -> Path:
    """A sound 8-million-parameter model (32 MB of weights)."""
    config = model_config([2000], [layer_entry("Dense", "wide", units=4000), layer_entry("Dense", "out", units=2)])
    weights = weights_bytes({"dense": [(2000, 4000), (4000,)], "dense_1": [(4000, 2), (2,)]})
    return write_keras(path, config, weights)


@pytest.mark.engine
@pytest.mark.parametrize("command", [["export"], ["train", "--data", "synthetic", "--samples", "8", "--epochs", "1"]])
def test_a_file_over_the_engines_limit_is_refused_in_one_line(tmp_path, monkeypatch, capsys, command) -> None:
    path = big_model(tmp_path / "big.keras")
    out = tmp_path / "out.keras"
    monkeypatch.setattr(engine_calls, "DEFAULT_LOAD_MEMORY_LIMIT", 4 << 20)
    name, *rest = command
    assert main([name, str(path), *rest, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnstudio: error: "), err
    assert "limit" in err and err.rstrip().endswith(f"({path})"), err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.keras"]
