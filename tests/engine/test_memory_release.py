"""The engine gives the memory of the models it dropped back to the system once it is idle."""

from __future__ import annotations

import multiprocessing
import threading

from nnstudio.engine import process
from nnstudio.engine.protocol import RESULT, Request


def test_memory_is_given_back_after_each_model_op_and_not_after_others(monkeypatch):
    released: list[str] = []
    given_back = threading.Event()
    current = [""]

    def release() -> None:
        released.append(current[0])
        given_back.set()

    def stub(ctx, args):
        current[0] = ctx.op
        return f"{ctx.op} done"

    monkeypatch.setattr(process, "release_memory", release)
    for op in process.MODEL_OPS:
        monkeypatch.setitem(process.HANDLERS, op, stub)
    parent, child = multiprocessing.Pipe()
    engine = threading.Thread(target=process.engine_main, args=(child,), daemon=True)
    engine.start()
    for request_id, op in enumerate(["ping", "build", "ping", "load_keras"]):
        given_back.clear()
        parent.send(Request(op, request_id))
        assert parent.recv().kind == RESULT
        if op in process.MODEL_OPS:  # given back once the reply is out, the engine idle
            assert given_back.wait(10)
    parent.send(Request("shutdown", 99))
    parent.recv()
    engine.join(10)
    assert not engine.is_alive()
    assert released == ["build", "load_keras"]


def test_no_memory_is_given_back_while_another_request_waits(monkeypatch):
    released: list[str] = []
    monkeypatch.setattr(process, "release_memory", lambda: released.append("released"))
    monkeypatch.setitem(process.HANDLERS, "build", lambda ctx, args: "built")
    parent, child = multiprocessing.Pipe()
    for request_id in (1, 2, 3):  # three builds queued before the engine reads the first
        parent.send(Request("build", request_id))
    parent.send(Request("shutdown", 9))
    engine = threading.Thread(target=process.engine_main, args=(child,), daemon=True)
    engine.start()
    engine.join(10)
    assert [parent.recv().request_id for _ in range(4)] == [1, 2, 3, 9]
    assert released == [], "each build had another request waiting behind it"
