"""The parameter budget: 100 M by default, raised for a process by `set_param_budget` (the command
line's --max-params, the window's setting), applied by the analysis, the `.keras` reader and the
engine (each request carries the sender's), and a refusal that says how to raise it."""

from __future__ import annotations

import json
import zipfile

import pytest

from nnstudio.core.keras_archive import ArchiveError, read_keras_config
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.core.validation import (
    DEFAULT_PARAM_BUDGET,
    HOW_TO_RAISE_BUDGET,
    budget_problem,
    param_budget,
    set_param_budget,
)
from nnstudio.engine.process import HANDLERS, EngineContext, serve
from nnstudio.engine.protocol import PARAM_BUDGET_ARG, RESULT, Request

WIDE = 15_000  # Input(10,000) -> Dense(15,000): 150,015,000 parameters, over the default budget


@pytest.fixture(autouse=True)
def default_budget():
    yield
    set_param_budget(DEFAULT_PARAM_BUDGET)


def wide_spec() -> ModelSpec:
    spec = ModelSpec(name="wide")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[10_000]))
    return spec.inserted(1, spec.new_layer("Dense", units=WIDE))


def test_a_model_over_the_budget_is_refused_with_how_to_raise_it():
    summary = analyze(wide_spec())
    assert summary.total_params == 10_001 * WIDE
    (issue,) = summary.issues
    assert issue.layer_name == "dense" and issue.field == "units"
    assert "over the budget of 100,000,000" in issue.message and HOW_TO_RAISE_BUDGET in issue.message
    assert "--max-params" in issue.message and "Parameter Budget" in issue.message


def test_a_raised_budget_takes_the_model_and_an_explicit_one_wins():
    set_param_budget(400_000_000)
    assert param_budget() == 400_000_000
    assert analyze(wide_spec()).ok
    assert not analyze(wide_spec(), param_budget=1_000).ok
    set_param_budget(DEFAULT_PARAM_BUDGET)
    assert not analyze(wide_spec()).ok


@pytest.mark.parametrize("value", [0, -5, 10**13, 1.5, True, "400M", None])
def test_an_unfit_budget_is_refused_and_the_old_one_kept(value):
    assert budget_problem(value) is not None
    with pytest.raises(ValueError, match="parameter budget must be a whole number"):
        set_param_budget(value)  # type: ignore[arg-type]
    assert param_budget() == DEFAULT_PARAM_BUDGET


def _wide_config() -> bytes:
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"name": "input_layer", "batch_shape": [None, 10_000]},
        },
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": WIDE}},
    ]
    return json.dumps(
        {"module": "keras", "class_name": "Sequential", "config": {"name": "wide", "layers": layers}}
    ).encode()


def test_the_keras_reader_applies_the_budget_in_force(tmp_path):
    path = tmp_path / "wide.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", _wide_config())
    with pytest.raises(ArchiveError, match="over the budget of 100,000,000"):
        read_keras_config(path)
    set_param_budget(200_000_000)
    assert [layer.name for layer in read_keras_config(path).layers] == ["input_layer", "dense"]


def test_the_engine_applies_the_budget_each_request_carries(monkeypatch):
    monkeypatch.setitem(HANDLERS, "budget_probe", lambda ctx, args: (param_budget(), sorted(args)))
    ctx = EngineContext(None)
    reply = serve(Request("budget_probe", 1, {PARAM_BUDGET_ARG: 350_000_000, "x": 1}), ctx)
    assert reply.kind == RESULT and reply.value == (350_000_000, ["x"])  # taken out of the handler's arguments
    reply = serve(Request("budget_probe", 2, {}), ctx)
    assert reply.value == (DEFAULT_PARAM_BUDGET, [])  # a request without one gets the default


def test_the_client_sends_its_budget_with_every_request():
    from tests.engines import recording_client

    client, sent = recording_client()
    set_param_budget(123_456_789)
    client.send("build", 7, {"spec": "s"})
    assert sent[0].args == {PARAM_BUDGET_ARG: 123_456_789, "spec": "s"}
