"""The parent's side of the engine: start the child, talk to it, end it. No Qt.

`shared_memory` (numpy) is imported when weights first travel, not with this module: the window
imports it before it is shown. `EngineClient` is not thread-safe: one thread (the engine session's worker) owns it. Nothing
here is meant for the GUI thread: `receive`, `call` and `close` wait on a pipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections import deque
from typing import Any

from nnstudio.core.validation import param_budget
from nnstudio.core.weights import Weights
from nnstudio.engine import boot
from nnstudio.engine.protocol import (
    ERROR,
    PARAM_BUDGET_ARG,
    PROGRESS,
    RELEASED_BLOCKS_ARG,
    EngineError,
    Reply,
    Request,
)


class EngineDied(RuntimeError):
    """The engine process ended (crash, out of memory, killed) or its pipe broke."""


class EngineTimeout(TimeoutError):
    """No reply within the time allowed; the engine is still running."""


class EngineFailure(RuntimeError):
    """An op raised in the engine; `error` holds the engine's account of it."""

    def __init__(self, error: EngineError) -> None:
        super().__init__(error.message)
        self.error = error


class EngineClient:
    """One engine child process (multiprocessing, spawn) and the pipe to it."""

    def __init__(self, spawned: tuple[Any, Any, str] | None = None) -> None:
        """`spawned`: an engine started by `boot.spawn` to adopt (process, pipe end, prefix)."""
        self.process: Any = None
        self.conn: Any = None
        self.prefix = boot.new_prefix()
        # names of the engine's blocks whose arrays this process dropped, told with the next request
        self._released: deque[str] = deque()
        if spawned is not None:
            self.process, self.conn, self.prefix = spawned

    # -- life ------------------------------------------------------------------------------------

    def start(self, preload_keras: bool = False) -> None:
        """Spawn the engine (returns at once). With `preload_keras` the engine imports Keras first
        thing, before it reads its first request; else the first op needing Keras imports it."""
        if self.is_alive():
            return
        self._cleanup()
        self.prefix = boot.new_prefix()
        self._released.clear()  # the blocks of an earlier engine went with it
        self.process, self.conn = boot.spawn(self.prefix, preload_keras)

    def is_alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def sentinel(self) -> Any:
        """Becomes ready (for `multiprocessing.connection.wait`) when the process ends."""
        return self.process.sentinel if self.process is not None else None

    def kill(self) -> None:
        """End the engine at once (SIGKILL) and clean up after it."""
        if self.process is not None and self.process.is_alive():
            with contextlib.suppress(Exception):
                self.process.kill()
        self._cleanup()

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self, timeout: float = 5.0) -> None:
        """Ask the engine to stop; kill it if it has not within `timeout` seconds."""
        if self.process is not None and self.process.is_alive() and self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.send(Request("shutdown", 0))
            self.process.join(timeout)
        self.kill()

    def _cleanup(self) -> None:
        if self.process is not None:
            with contextlib.suppress(Exception):
                self.process.join(5.0)
            with contextlib.suppress(Exception):
                if self.process.is_alive():
                    self.process.kill()
                    self.process.join(5.0)
            with contextlib.suppress(Exception):
                self.process.close()
        if self.conn is not None:
            # Unread replies may hold shared-memory blocks: unlink them.
            with contextlib.suppress(Exception):
                while self.conn.poll(0):
                    message = self.conn.recv()
                    if getattr(message, "weights", None) is not None:
                        _shared_memory().discard(message.weights)
            with contextlib.suppress(Exception):
                self.conn.close()
        self.process = self.conn = None
        if boot.blocks_left(self.prefix):
            _shared_memory().sweep(self.prefix)  # blocks a dying engine created but never sent

    # -- messages --------------------------------------------------------------------------------

    def send(
        self, op: str, request_id: int, args: dict[str, Any] | None = None, weights: Weights | None = None
    ) -> None:
        """Send one request; `weights` go through shared memory. EngineDied if the pipe is broken.
        The request carries this process's parameter budget, which the engine applies to it."""
        if self.conn is None:
            raise EngineDied("the Keras engine is not running")
        # the engine draws nothing: the kernels' block sums (a pass over every big kernel) are for the
        # window; arrays that lie in the engine's own blocks go back by reference, not copied
        layout = (
            _shared_memory().pack(weights, self.prefix, sum_kernels=False, shared_with=self.prefix) if weights else None
        )
        args = {PARAM_BUDGET_ARG: param_budget(), **(args or {})}
        released = [self._released.popleft() for _ in range(len(self._released))]
        if released:
            args[RELEASED_BLOCKS_ARG] = released
        try:
            self.conn.send(Request(op, request_id, args, layout))
        except (BrokenPipeError, EOFError, OSError) as exc:
            if layout is not None:
                _shared_memory().discard(layout)
            raise EngineDied(f"the Keras engine is not reachable: {exc}") from exc
        except BaseException:
            if layout is not None:
                _shared_memory().discard(layout)
            raise

    def cancel(self, request_id: int) -> None:
        """Ask a running op that checks `ctx.cancelled()` (training) to stop."""
        self.send("cancel", 0, {"request_id": request_id})

    def poll(self, timeout: float | None = 0.0) -> bool:
        return self.conn is not None and self.conn.poll(timeout)

    def receive(self, timeout: float | None = None, unpack: bool = True) -> Reply:
        """The next reply, its weights taken from shared memory into `reply.value.weights`.

        With `unpack=False` the block is unlinked unread (a stale reply). A reply whose value has
        no `weights` field gets the arrays in `reply.weights` instead of the layout.
        """
        if self.conn is None:
            raise EngineDied("the Keras engine is not running")
        try:
            ready = self.conn.poll(timeout)
        except (EOFError, OSError) as exc:
            raise EngineDied("the Keras engine stopped") from exc
        if not ready:
            if not self.is_alive():
                raise EngineDied("the Keras engine stopped")
            raise EngineTimeout(f"no reply from the Keras engine within {timeout} s")
        try:
            reply: Reply = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise EngineDied("the Keras engine stopped") from exc
        layout = reply.weights
        if layout is None:
            return reply
        shared_memory = _shared_memory()
        if not unpack:
            shared_memory.discard(layout)
            if layout.kept:
                self._released.append(layout.name)
            reply.weights = None
            return reply
        weights = shared_memory.unpack(layout, on_release=self._released.append)
        value = reply.value
        if (
            dataclasses.is_dataclass(value)
            and not isinstance(value, type)
            and any(f.name == "weights" for f in dataclasses.fields(value))
        ):
            reply.value = dataclasses.replace(value, weights=weights)
            reply.weights = None
        else:
            reply.weights = weights
        return reply

    def call(
        self, op: str, args: dict[str, Any] | None = None, timeout: float | None = 60.0, weights: Weights | None = None
    ) -> Any:
        """Send a request and wait for its result (skipping progress). For scripts and tests."""
        request_id = _next_id()
        self.send(op, request_id, args, weights)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            reply = self.receive(left, unpack=True)
            if reply.request_id != request_id or reply.kind == PROGRESS:
                continue
            if reply.kind == ERROR:
                assert reply.error is not None
                raise EngineFailure(reply.error)
            return reply.value


_counter = 0


def _shared_memory() -> Any:
    """The shared-memory module (it imports numpy: only once weights travel)."""
    from nnstudio.engine import shared_memory

    return shared_memory


def _next_id() -> int:
    global _counter
    _counter -= 1  # negative: never collides with the model service's positive ids
    return _counter
