"""The one place where tests get a running Keras engine (each fixture shuts its engine down).

- `engine_client`: a bare `EngineClient` with Keras loaded, shared by a module's tests (no Qt).
- `make_session(**kwargs)`: `EngineSession`s, started on first use; each is shut down after the test.
- `session`, `model_service`, `training_service`: one session for the test and the services over it.
- `recording_client()`: an `EngineClient` with no engine, whose pipe keeps the requests sent (no
  TensorFlow: for the fast tests of what a request carries).

Every test using these starts TensorFlow, so it carries `@pytest.mark.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from nnstudio.engine.client import EngineClient
from nnstudio.services.engine_session import EngineSession
from nnstudio.services.model_service import ModelService
from nnstudio.services.training_service import TrainingService

KERAS_START_MS = 180_000  # spawning the engine and importing Keras on a busy 2-core machine


def recording_client() -> tuple[EngineClient, list]:
    """A client whose pipe records the requests it is given, and the list they go to."""
    sent: list = []

    class Pipe:
        def send(self, request: object) -> None:
            sent.append(request)

    client = EngineClient()
    client.conn = Pipe()
    return client, sent


@pytest.fixture(scope="module")
def engine_client() -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    client.call("ping", {"import_keras": True}, timeout=KERAS_START_MS / 1000)
    yield client
    client.close()
    assert not client.is_alive()


@pytest.fixture
def make_session(qtbot) -> Iterator[Callable[..., EngineSession]]:
    sessions: list[EngineSession] = []

    def make(**kwargs: object) -> EngineSession:
        session = EngineSession(**kwargs)  # type: ignore[arg-type]
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.shutdown()


@pytest.fixture
def session(make_session: Callable[..., EngineSession]) -> EngineSession:
    return make_session()


@pytest.fixture
def model_service(session: EngineSession) -> ModelService:
    return ModelService(session)


@pytest.fixture
def training_service(session: EngineSession) -> TrainingService:
    return TrainingService(session, weights_interval=0.05)
