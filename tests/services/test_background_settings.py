"""BackgroundSettings: a change is seen at once and written to the file by the writer thread."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from nnstudio.services.background_settings import BackgroundSettings, stop_writing

WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def writer_stopped():
    """The writer thread ends with each test, as it does when the application quits."""
    yield
    stop_writing()


def file_text(path) -> str:
    """The file as it is on disk (a QSettings object of it would share the writer's view, and its lock)."""
    return path.read_text() if path.exists() else ""


# Holds the file's lock until a line comes on stdin, or for LOCK_HELD_S at most: were the write made on
# the GUI thread, it would wait for the lock there, and the test fails instead of hanging.
HOLD_LOCK = """
import select, sys
from PySide6.QtCore import QLockFile
lock = QLockFile(sys.argv[1])
assert lock.lock()
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
lock.unlock()
"""
LOCK_HELD_S = 5.0


def test_a_change_is_written_while_the_gui_thread_goes_on(qapp, qtbot, tmp_path):
    """The file is locked by another process: the write asked for after a change waits for the lock in
    the writer thread, the GUI thread's events go on meanwhile, and the write lands once the lock goes."""
    path = tmp_path / "settings.ini"
    settings = BackgroundSettings(str(path), QSettings.Format.IniFormat)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, f"{path}.lock", str(LOCK_HELD_S)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        settings.setValue("files/recent", ["/models/a.keras", "/models/b.keras"])
        settings.setValue("files/lastDir", "/models")
        assert settings.value("files/recent") == ["/models/a.keras", "/models/b.keras"], "seen at once"
        ticks: list[int] = []
        qtbot.waitUntil(lambda: ticks.append(1) or len(ticks) > 20, timeout=WAIT_MS)  # the event loop runs on
        assert not settings.write_asked() and holder.poll() is None
        assert "a.keras" not in file_text(path), "the write waits for the lock"
    finally:
        holder.communicate("go\n", timeout=30)
    qtbot.waitUntil(lambda: "/models/b.keras" in file_text(path), timeout=WAIT_MS)
    assert "lastDir=/models" in file_text(path)
    assert settings.value("files/recent") == ["/models/a.keras", "/models/b.keras"]


def test_changes_made_later_are_written_too_and_the_writer_stops_at_exit(qapp, qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    settings = BackgroundSettings(str(path), QSettings.Format.IniFormat)
    for place in ("/first", "/second"):
        settings.setValue("files/lastDir", place)
        qtbot.waitUntil(lambda place=place: f"lastDir={place}" in file_text(path), timeout=WAIT_MS)
    settings.remove("files/lastDir")
    settings.setValue("files/recent", ["/third/c.keras"])
    qtbot.waitUntil(lambda: not settings.write_asked(), timeout=WAIT_MS)  # the write is asked for
    stop_writing()  # as at exit: what was asked for is written first
    assert "/third/c.keras" in file_text(path) and "lastDir" not in file_text(path)
