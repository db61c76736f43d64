"""The Keras engine process: its main loop and the ops it serves.

`engine_main(conn)` runs in a child process started by `EngineClient` (multiprocessing, spawn).
It reads `Request`s from the pipe, runs the handler registered for `request.op` and answers with
one `Reply` per request. Every exception becomes an error reply; the loop only ends on a
"shutdown" request or when the parent's end of the pipe closes. Keras is imported lazily, once,
on the first op that needs it ("ping" with `import_keras=True` warms it up).

Ops are a registry, `HANDLERS: dict[op, handler]`. A handler is `handler(ctx, args) -> value`:
`args` are the request's keyword arguments, `ctx` an `EngineContext` with the request id, the
weights sent along (`ctx.weights`), `ctx.progress(value, weights=None)` for interim replies and
`ctx.cancelled()` to honour a cancel message. A value with a non-empty `weights` dict attribute
(a dataclass such as `BuildResult`) has its arrays moved into shared memory on the way back.
Other modules add ops with the `@handler("op")` decorator; `nnstudio.engine.training_ops` (the
training service's ops) is imported at start-up when it exists.

Built-in ops: "ping", "build", "export", "export_file", "load_keras", "shutdown" (and "cancel", a message that
gets no reply: `args={"request_id": n}` marks op n cancelled for `ctx.cancelled()`).

Before each build, export and load the engine clears Keras's global state
(`keras.backend.clear_session`: name counters, TensorFlow's kernel cache), so nothing of earlier
models accumulates over a long editing session; tests/engine checks the process's RSS over many
builds (unless a training session of `training_ops` holds a model in this process). Test hooks: "ping", "build", "export" and
"load_keras" sleep `args["debug_delay_s"]` seconds first (an engine that hangs while loading Keras,
a runaway build, a load that is killed midway).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import re
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from nnstudio.core import kernel_tiles
from nnstudio.core.validation import DEFAULT_PARAM_BUDGET, set_param_budget
from nnstudio.core.weights import Weights
from nnstudio.engine import shared_memory
from nnstudio.engine.boot import DEFAULT_LOAD_MEMORY_LIMIT  # noqa: F401 (the command line imports it from here)
from nnstudio.engine.protocol import (
    ERROR,
    PARAM_BUDGET_ARG,
    PROGRESS,
    RELEASED_BLOCKS_ARG,
    RESULT,
    BuildFailure,
    BuildResult,
    EngineError,
    ExportResult,
    LoadResult,
    Reply,
    Request,
)

Handler = Callable[["EngineContext", dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}
EXTENSIONS = ("nnstudio.engine.training_ops",)
MAX_MESSAGE = 2000  # characters of an error message sent back
# Added to the engine's scheduling niceness: the window's process runs first. At 10, the GUI thread
# still waited 10-20 ms on the run queue at a time behind Keras loading a big model on both cores;
# the engine has every core the window leaves (a person's other busy programs come first too).
ENGINE_NICENESS = 19


def handler(op: str) -> Callable[[Handler], Handler]:
    """Register `func` as the handler of `op` (a later registration replaces an earlier one)."""

    def register(func: Handler) -> Handler:
        HANDLERS[op] = func
        return func

    return register


class EngineContext:
    """What a handler may use besides its arguments."""

    def __init__(self, conn: Any, prefix: str = shared_memory.DEFAULT_PREFIX) -> None:
        self.conn = conn
        self.prefix = prefix
        self.request_id = 0
        self.op = ""
        self.weights: Weights | None = None
        self._inbox: deque[Request] = deque()
        self._cancelled: set[int] = set()

    # -- for handlers --------------------------------------------------------------------------

    def progress(self, value: Any, weights: Weights | None = None) -> None:
        """Send an interim reply for the running op; `weights` travel through shared memory."""
        # not kept: a training's epochs come unasked, and no request would say when they were dropped
        layout = shared_memory.pack(weights, self.prefix) if weights else None
        self.send(Reply(self.request_id, self.op, PROGRESS, value, weights=layout))

    def cancelled(self) -> bool:
        """Whether a cancel message for the running op has arrived (never blocks)."""
        self._drain()
        return self.request_id in self._cancelled

    # -- for the loop --------------------------------------------------------------------------

    def send(self, reply: Reply) -> None:
        """Send `reply`; its shared-memory block is unlinked if it cannot be delivered."""
        try:
            self.conn.send(reply)
        except BaseException:
            shared_memory.discard(reply.weights)
            if reply.weights is not None and reply.weights.kept:
                shared_memory.release_kept([reply.weights.name])
            raise

    def waiting(self) -> bool:
        """Whether another request has arrived (never blocks)."""
        with contextlib.suppress(EOFError, OSError):
            return bool(self._inbox) or bool(self.conn.poll(0))
        return False

    def next_request(self) -> Request:
        if self._inbox:
            return self._inbox.popleft()
        return self.conn.recv()

    def _drain(self) -> None:
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll(0):
                message = self.conn.recv()
                if isinstance(message, Request) and message.op == "cancel":
                    release_dropped_blocks(message)
                    self._cancelled.add(int(message.args.get("request_id", -1)))
                else:
                    self._inbox.append(message)


# -- the loop ----------------------------------------------------------------------------------


def engine_main(conn: Any, prefix: str = shared_memory.DEFAULT_PREFIX, preload_keras: bool = False) -> None:
    """The child's entry point: serve requests from `conn` until "shutdown" or the pipe closes.

    `preload_keras`: import Keras before reading the first request (the seconds of that import
    start as early as the engine does); an import that fails is reported by the first op needing it.
    """
    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is for the GUI process
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice (Windows)
        # The process that asked comes first when the cores are busy: Keras building or training on
        # every core would otherwise stretch the window's steps (and any of its threads holding the
        # interpreter, a garbage collection of 8 ms took 55) to several times their length.
        os.nice(ENGINE_NICENESS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if preload_keras:
        preload()
    _load_extensions()
    ctx = EngineContext(conn, prefix)
    while True:
        try:
            request = ctx.next_request()
        except (EOFError, OSError):
            break  # the parent is gone
        except Exception as exc:  # an unreadable message: say so, keep serving
            with contextlib.suppress(Exception):
                ctx.send(Reply(-1, "?", ERROR, error=_engine_error(exc)))
            continue
        if not isinstance(request, Request):
            continue
        release_dropped_blocks(request)
        if request.op == "cancel":
            ctx._cancelled.add(int(request.args.get("request_id", -1)))
            continue
        if request.op == "shutdown":
            with contextlib.suppress(Exception):
                ctx.send(Reply(request.request_id, request.op, RESULT, True))
            break
        reply = serve(request, ctx)
        try:
            ctx.send(reply)
        except (BrokenPipeError, EOFError, OSError):
            break
        except Exception as exc:  # e.g. a value that does not pickle
            with contextlib.suppress(Exception):
                ctx.send(Reply(request.request_id, request.op, ERROR, error=_engine_error(exc)))
        if request.op in MODEL_OPS and not ctx.waiting():
            release_memory()
    with contextlib.suppress(Exception):
        conn.close()


def release_dropped_blocks(request: Request) -> None:
    """Close the kept files of the blocks the client says it dropped (`RELEASED_BLOCKS_ARG`)."""
    names = request.args.pop(RELEASED_BLOCKS_ARG, None)
    if isinstance(names, list | tuple):
        shared_memory.release_kept(str(name) for name in names)


def serve(request: Request, ctx: EngineContext) -> Reply:
    """Run one request's handler; every exception becomes an error reply."""
    ctx.request_id, ctx.op, ctx.weights = request.request_id, request.op, None
    try:
        if request.weights is not None:
            ctx.weights = shared_memory.unpack(request.weights)
        func = HANDLERS.get(request.op)
        if func is None:
            raise ValueError(f"unknown engine op {request.op!r} (known: {', '.join(sorted(HANDLERS))})")
        args = dict(request.args)
        set_param_budget(args.pop(PARAM_BUDGET_ARG, DEFAULT_PARAM_BUDGET))  # the sender's budget
        value = func(ctx, args)
        layout = None
        weights = getattr(value, "weights", None)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and isinstance(weights, dict) and weights:
            layout = shared_memory.pack(weights, ctx.prefix, tiles=_tile_sums(value, weights), keep=True)
            value = dataclasses.replace(value, weights={})
        return Reply(request.request_id, request.op, RESULT, value, weights=layout)
    except BaseException as exc:  # noqa: BLE001 - the engine never dies of an exception
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Reply(request.request_id, request.op, ERROR, error=_engine_error(exc))
    finally:
        ctx.weights = None
        ctx._cancelled.discard(request.request_id)


def _tile_sums(value: Any, weights: Weights) -> dict[str, kernel_tiles.TileSums]:
    """The tile sums of a model's convolutions, made here so that the window only draws them."""
    if not isinstance(value, BuildResult | LoadResult):
        return {}
    return kernel_tiles.sums_by_layer(kernel_tiles.convolution_drawings(value.spec.layers), weights)


def _engine_error(exc: BaseException) -> EngineError:
    return EngineError(
        message=_message(exc),
        exception_type=type(exc).__name__,
        layer_name=getattr(exc, "layer_name", None),
        traceback="".join(traceback.format_exception(exc))[-8000:],
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        text = "out of memory" + (f": {exc}" if str(exc) else "")
    else:
        text = str(getattr(exc, "message", None) or exc).strip() or type(exc).__name__
        where = getattr(exc, "where", None)
        if where and str(where) not in text:
            text = f"{text} ({where})"
    if len(text) <= MAX_MESSAGE:
        return text
    # TensorFlow puts the cause after a long traceback: keep both ends, cut the middle
    half = (MAX_MESSAGE - 3) // 2
    head, tail = text[:half], text[-half:]
    head = head[: head.rfind("\n")] if "\n" in head else head  # whole lines only
    tail = tail[tail.find("\n") + 1 :] if "\n" in tail else tail
    return f"{head}\n…\n{tail}"


def _load_extensions() -> None:
    for module in EXTENSIONS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                print(f"nnstudio engine: cannot load {module}: {exc}", file=sys.stderr)
        except Exception as exc:  # an extension's bug must not stop the engine
            print(f"nnstudio engine: cannot load {module}: {exc!r}", file=sys.stderr)


_KERAS: Any = None


def _debug_delay(args: dict[str, Any]) -> None:
    """Test hook: sleep `args["debug_delay_s"]` seconds (a hanging import, a runaway op)."""
    delay = float(args.get("debug_delay_s") or 0)
    if delay > 0:
        time.sleep(delay)


def _training_holds_a_model() -> bool:
    training = sys.modules.get("nnstudio.engine.training_ops")
    session = getattr(training, "SESSION", None)
    return getattr(session, "model", None) is not None


MODEL_OPS = frozenset({"build", "load_keras", "export", "export_file"})  # ops that make a whole Keras model


def release_memory() -> None:
    """Give the memory of the models just dropped back to the system, while no request waits.

    A model's weights are freed when its last reference goes (cycles: at a collection), but the C
    allocator keeps most freed pages for later: after an open (Keras's load, then a build with the
    file's weights) the engine held one model more than a plain Keras process, 0.3-1.4 GB for
    ConvNeXt. `malloc_trim` hands them back (glibc; elsewhere only the collection is done)."""
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


def clear_keras_session() -> None:
    """Forget the models of earlier builds (Keras's global state, TensorFlow's kernel cache).

    Python's own collector frees the objects afterwards; forcing it on every build would cost
    tens of milliseconds per edit. Skipped while a training session keeps a model here.
    """
    if _KERAS is None or _training_holds_a_model():
        return
    with contextlib.suppress(Exception):
        _KERAS.backend.clear_session(free_memory=False)


_KERAS_IMPORT_ERROR: Exception | None = None


def keras_module() -> Any:
    """Import Keras once (seconds: it loads TensorFlow); an import that failed raises its error again."""
    global _KERAS
    if _KERAS is None:
        if _KERAS_IMPORT_ERROR is not None:
            raise _KERAS_IMPORT_ERROR
        from nnstudio.keras_io.quiet_import import import_keras

        _KERAS = import_keras()
    return _KERAS


def preload() -> None:
    """Import Keras now; a failure is kept for `keras_module()` to raise where an op can report it."""
    global _KERAS_IMPORT_ERROR
    try:
        keras_module()
    except Exception as exc:
        _KERAS_IMPORT_ERROR = exc


# -- memory limit for untrusted files ------------------------------------------------------------


def _virtual_size() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextlib.contextmanager
def memory_limit(extra_bytes: int | None) -> Iterator[None]:
    """Cap the address space at its current size plus `extra_bytes` while the block runs.

    An allocation beyond the cap raises MemoryError (or, inside native code, ends the process,
    which the model service survives). Does nothing where `resource` or /proc is missing.
    """
    try:
        import resource
    except ImportError:
        resource = None  # type: ignore[assignment]
    current = _virtual_size()
    if not extra_bytes or resource is None or current is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + int(extra_bytes)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# -- built-in ops --------------------------------------------------------------------------------


@handler("ping")
def _ping(ctx: EngineContext, args: dict[str, Any]) -> dict[str, Any]:
    """Liveness check; `import_keras=True` also loads Keras so the first build is quick."""
    info: dict[str, Any] = {"pid": os.getpid(), "ops": sorted(HANDLERS)}
    _debug_delay(args)
    if args.get("import_keras"):
        keras = keras_module()
        info["keras_version"] = keras.__version__
        info["backend"] = keras.backend.backend()
        backend_module = sys.modules.get(info["backend"])  # Keras has imported it by now
        info["backend_version"] = str(getattr(backend_module, "__version__", ""))
    return info


@handler("build")
def _build(ctx: EngineContext, args: dict[str, Any]) -> BuildResult | BuildFailure:
    """Build and compile `args["spec"]` with Keras; Keras's summary rows and the real weights.

    Weights sent along (`ctx.weights`) are set into the model; `strict=False` skips entries that no
    longer fit (keeping the weights of unchanged layers across an edit).
    """
    from nnstudio.core.graph_shapes import graph_issues
    from nnstudio.core.summary import analyze

    spec = args["spec"]
    _debug_delay(args)
    start = time.perf_counter()
    issues = graph_issues(spec) if spec.is_functional else list(analyze(spec).issues)
    if issues:  # refuse before Keras allocates anything (parameter budget, bad values)
        issue = issues[0]
        return BuildFailure(ctx.request_id, spec, issue.message, issue.layer_name)
    keras_module()
    clear_keras_session()  # the previous build's model is garbage now
    from nnstudio.keras_io.build import build_model_keeping, keras_summary, layer_weights

    try:
        model, kept = build_model_keeping(spec, ctx.weights, strict=bool(args.get("strict", True)))
    except Exception as exc:
        return BuildFailure(ctx.request_id, spec, _message(exc), layer_at_fault(exc, spec))
    info = keras_summary(model)
    # the layers that hold the very arrays sent are not sent back (the GUI has them): an edit of a
    # model of 300 MB sends back the edited layers' weights only, and the GUI holds one copy
    weights = layer_weights(model, skip=kept)
    del model
    return BuildResult(
        request_id=ctx.request_id,
        spec=spec,
        rows=[dict(row) for row in info["layers"]],
        total_params=int(info["total_params"]),
        trainable_params=int(info["trainable_params"]),
        non_trainable_params=int(info["non_trainable_params"]),
        weights=weights,
        elapsed_ms=(time.perf_counter() - start) * 1000.0,
        kept=tuple(sorted(kept)),
    )


def layer_at_fault(exc: BaseException, spec: Any) -> str | None:
    """The layer an exception is about: its `layer_name`, else the first spec layer its text names."""
    name = getattr(exc, "layer_name", None)
    if name:
        return str(name)
    text = str(exc)
    names = sorted((layer.name for layer in spec.layers), key=len, reverse=True)
    for candidate in names:
        if re.search(rf"(?<![\w]){re.escape(candidate)}(?![\w])", text):
            return candidate
    return None


@handler("export")
def _export(ctx: EngineContext, args: dict[str, Any]) -> ExportResult:
    """Write `args["spec"]` (with `ctx.weights` when sent) to `args["path"]` atomically."""
    _debug_delay(args)
    start = time.perf_counter()
    keras_module()
    clear_keras_session()
    from nnstudio.keras_io.export import export_keras

    path = str(args["path"])
    with memory_limit(args.get("memory_limit_bytes")):
        export_keras(args["spec"], path, weights=ctx.weights)
    return ExportResult(ctx.request_id, path, (time.perf_counter() - start) * 1000.0)


@handler("export_file")
def _export_file(ctx: EngineContext, args: dict[str, Any]) -> ExportResult:
    """Load the `.keras` file `args["source"]` (checked by the core) and write it to `args["path"]`
    atomically, both under the optional memory limit: the command line's `export` of a file."""
    start = time.perf_counter()
    keras_module()  # before the limit: TensorFlow maps gigabytes of address space on import
    clear_keras_session()
    from nnstudio.keras_io.export import export_keras
    from nnstudio.keras_io.load import load_keras

    path = str(args["path"])
    with memory_limit(args.get("memory_limit_bytes")):
        spec, weights = load_keras(str(args["source"]))
        export_keras(spec, path, weights=weights)
        del weights
    return ExportResult(ctx.request_id, path, (time.perf_counter() - start) * 1000.0)


@handler("load_keras")
def _load_keras(ctx: EngineContext, args: dict[str, Any]) -> LoadResult:
    """Load a `.keras` file (checked by the core first) under an optional memory limit."""
    _debug_delay(args)
    keras_module()  # before the limit: TensorFlow maps gigabytes of address space on import
    clear_keras_session()
    from nnstudio.keras_io.load import load_keras

    path = str(args["path"])
    with memory_limit(args.get("memory_limit_bytes")):
        spec, weights = load_keras(path)
    return LoadResult(ctx.request_id, path, spec, weights)
