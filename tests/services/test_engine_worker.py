"""The engine session's worker and its job policies, without Qt and without TensorFlow.

A stand-in client plays the engine through real pipes: the test answers each request when it likes.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

from nnstudio.engine.protocol import ERROR, PROGRESS, RESULT, EngineError, Reply
from nnstudio.services.engine_worker import BUILDS, DEATH_MESSAGES, FILES, TRAINING, EngineWorker, Inbox, Job


class StandInClient:
    """EngineClient's interface over pipes; `requests` holds what the worker sent."""

    def __init__(self) -> None:
        self.starts = 0
        self.requests: list[tuple[str, int, dict]] = []
        self.cancelled: list[int] = []
        self.process: Any = None
        self.conn: Any = None
        self.sentinel: Any = None
        self._engine: Any = None
        self._death: Any = None
        self.dead = False
        self.lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return 1000 + self.starts if self.process else None

    def start(self, preload_keras: bool = False) -> None:
        if self.process is not None:
            return
        self.starts += 1
        self.conn, self._engine = multiprocessing.Pipe()
        self.sentinel, self._death = multiprocessing.Pipe(duplex=False)
        self.process = object()

    def send(self, op: str, request_id: int, args: dict | None = None, weights: Any = None) -> None:
        with self.lock:
            self.requests.append((op, request_id, dict(args or {})))
        if op == "ping":
            self.reply(Reply(request_id, op, RESULT, {"keras_version": "3.0"}))

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)

    def receive(self, timeout: float | None = None, unpack: bool = True) -> Reply:
        from nnstudio.engine.client import EngineDied

        if self.dead:
            raise EngineDied("the stand-in engine died")
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def reply(self, reply: Reply) -> None:
        self._engine.send(reply)

    def die(self) -> None:
        self.dead = True
        self._death.send_bytes(b"dead")  # the sentinel becomes ready

    def kill(self) -> None:
        self.dead = False
        self.process = self.conn = self.sentinel = None

    def sent(self, op: str) -> list[int]:
        with self.lock:
            return [rid for o, rid, _ in self.requests if o == op]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.changed = threading.Condition()

    def _add(self, *event: Any) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def state(self, state: str, message: str) -> None:
        self._add("state", state, message)

    def started(self, job: Job) -> None:
        self._add("started", job.request_id)

    def progress(self, job: Job, value: Any, weights: Any) -> None:
        self._add("progress", job.request_id, value)

    def finished(self, job: Job, value: Any) -> None:
        self._add("finished", job.request_id, value)

    def failed(self, job: Job, message: str, layer_name: str | None) -> None:
        self._add("failed", job.request_id, message)

    def wait_for(self, condition, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: condition(self.events), timeout), self.events


@pytest.fixture
def worker():
    inbox, client, reports = Inbox(), StandInClient(), Recorder()
    worker = EngineWorker(inbox, reports, client=client)  # type: ignore[arg-type]
    thread = threading.Thread(target=worker.run, name="stand-in-worker")
    thread.start()
    yield worker, inbox, client, reports
    inbox.stop()
    thread.join(10)
    inbox.close()
    assert not thread.is_alive()


def wait_until(condition) -> None:
    for _ in range(1000):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("timed out")


def wait_sent(client: StandInClient, op: str, count: int) -> None:
    wait_until(lambda: len(client.sent(op)) >= count)


def test_the_newest_build_wins_and_a_stale_answer_is_dropped(worker):
    _, inbox, client, reports = worker
    inbox.put(Job("build", BUILDS, 1, {"spec": "a"}))
    wait_sent(client, "build", 1)
    inbox.put(Job("build", BUILDS, 2, {"spec": "b"}))  # waits, then is replaced: never sent
    inbox.put(Job("build", BUILDS, 3, {"spec": "c"}))
    client.reply(Reply(1, "build", RESULT, "built a"))  # stale by now
    wait_sent(client, "build", 2)
    client.reply(Reply(3, "build", RESULT, "built c"))
    reports.wait_for(lambda events: ("finished", 3, "built c") in events)
    assert client.sent("build") == [1, 3]
    assert [e for e in reports.events if e[0] == "finished"] == [("finished", 3, "built c")]


def test_files_go_first_then_the_newest_build_then_training_each_in_order(worker):
    _, inbox, client, reports = worker
    inbox.put(Job("train", TRAINING, 1))
    wait_sent(client, "train", 1)
    for job in (Job("train", TRAINING, 2), Job("build", BUILDS, 3), Job("export", FILES, 4), Job("build", BUILDS, 5)):
        inbox.put(job)
    client.reply(Reply(1, "train", PROGRESS, {"epoch": 1}))
    for request_id in (1, 4, 5, 2):
        assert client.requests[-1][1] == request_id
        sent = len(client.requests)
        client.reply(Reply(request_id, client.requests[-1][0], RESULT, request_id))
        reports.wait_for(lambda events, r=request_id: ("finished", r, r) in events)
        if request_id != 2:
            wait_until(lambda n=sent: len(client.requests) > n)
    assert ("progress", 1, {"epoch": 1}) in reports.events
    assert [rid for _, rid, _ in client.requests if rid] == [1, 4, 5, 2]  # build 3 was replaced by 5


def test_a_cancel_reaches_the_running_training_and_errors_are_reported(worker):
    _, inbox, client, reports = worker
    inbox.put(Job("train", TRAINING, 7))
    wait_sent(client, "train", 1)
    inbox.cancel(7)
    for _ in range(500):
        if client.cancelled:
            break
        threading.Event().wait(0.01)
    assert client.cancelled == [7]
    client.reply(Reply(7, "train", ERROR, error=EngineError("row 3: not a number")))
    reports.wait_for(lambda events: ("failed", 7, "row 3: not a number") in events)


def test_an_engine_death_resends_the_build_once_and_fails_a_training_run(worker):
    _, inbox, client, reports = worker
    inbox.put(Job("build", BUILDS, 1))
    wait_sent(client, "build", 1)
    client.die()
    wait_sent(client, "build", 2)  # the same build, to the new engine
    assert client.sent("build") == [1, 1] and client.starts == 2
    client.reply(Reply(1, "build", RESULT, "built"))
    reports.wait_for(lambda events: ("finished", 1, "built") in events)
    inbox.put(Job("train", TRAINING, 2))
    wait_sent(client, "train", 1)
    client.die()
    reports.wait_for(lambda events: ("failed", 2, DEATH_MESSAGES[TRAINING]) in events)
    reports.wait_for(lambda events: sum(1 for e in events if e[:2] == ("state", "restarting")) == 2)
    assert client.sent("train") == [2]  # not sent again


def test_a_files_answer_equal_to_the_spec_held_here_takes_that_very_spec_and_the_spec_is_not_sent(worker):
    """The engine's reading of an opened file comes as a copy: when it equals the spec this side read,
    the answer carries this side's object (compared on the worker's thread, not the window's); a
    different reading stays as the engine gave it. The spec held here never goes to the engine."""
    from nnstudio.core.spec import lesson_spec
    from nnstudio.engine.protocol import LoadResult

    _, inbox, client, reports = worker
    held = lesson_spec()
    inbox.put(Job("load_keras", FILES, 1, {"path": "a.keras"}, known_spec=held))
    wait_sent(client, "load_keras", 1)
    assert client.requests[-1][2] == {"path": "a.keras"}
    client.reply(Reply(1, "load_keras", RESULT, LoadResult(1, "a.keras", held)))  # the pipe gives a copy
    reports.wait_for(lambda events: any(e[:2] == ("finished", 1) for e in events))
    answer = next(e[2] for e in reports.events if e[:2] == ("finished", 1))
    assert answer.spec is held
    other = held.with_layer(1, held.layers[1].with_params(units=7))
    inbox.put(Job("load_keras", FILES, 2, {"path": "b.keras"}, known_spec=held))
    wait_sent(client, "load_keras", 2)
    client.reply(Reply(2, "load_keras", RESULT, LoadResult(2, "b.keras", other)))
    reports.wait_for(lambda events: any(e[:2] == ("finished", 2) for e in events))
    differing = next(e[2] for e in reports.events if e[:2] == ("finished", 2)).spec
    assert differing == other and differing is not held
