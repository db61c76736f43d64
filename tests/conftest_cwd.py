"""A fixture that fails a test which leaves the working directory changed.

Later tests start Python children that import `tests.…` from the project root; a test that
calls `os.chdir` without restoring it (use `monkeypatch.chdir`) breaks them far from the cause.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def working_directory_kept() -> Iterator[None]:
    """Fail the test if the working directory differs after it from before it."""
    before = os.getcwd()
    yield
    after = os.getcwd()
    if after != before:
        os.chdir(before)
        pytest.fail(f"the test left the working directory at {after} (use monkeypatch.chdir)")
