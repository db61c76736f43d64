"""Shared test set-up: Qt's offscreen platform and quiet TensorFlow for every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Fail any test that leaves the working directory changed.
# Fail any test that starts the engine, TensorFlow or the CLI without its marker.
# Fail any test that leaves a QThread, thread or engine process running.
from tests.conftest_cwd import working_directory_kept  # noqa: E402, F401
from tests.conftest_markers import markers_match_what_tests_start  # noqa: E402, F401
from tests.conftest_threads import no_leaked_threads  # noqa: E402, F401

# The one place where tests get a running engine.
from tests.engines import engine_client, make_session, model_service, session, training_service  # noqa: E402, F401
