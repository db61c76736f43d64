"""Shared test set-up: Qt's offscreen platform and quiet TensorFlow for every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Fail any test that leaves a QThread, thread or engine process running (owner: engine, C).
from tests.conftest_threads import no_leaked_threads  # noqa: E402, F401
