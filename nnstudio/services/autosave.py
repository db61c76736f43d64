"""Autosave and crash recovery.

While the document has unsaved changes, it is written (project JSON, atomically) to the user's
data folder every 30 seconds of unsaved change. Each running instance owns one autosave file
`autosave-<id>.nnstudio` and holds a lock file `autosave-<id>.lock` (QLockFile) for as long as it
runs; a clean exit removes both. On start, an autosave file whose lock is not held by a live
process was left by a crashed session: `orphans()` lists them and the window offers Restore or
Discard. A second running instance holds its own lock, so it is never mistaken for a crash.

No widgets here (the window asks the question); the folder can be overridden for tests, or with
the environment variable NNSTUDIO_DATA_DIR.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal, Slot

from nnstudio.core.fileio import atomic_write_bytes
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import ModelSpec

INTERVAL_MS = 30_000
PREFIX = "autosave-"
SUFFIX = ".nnstudio"
UNREADABLE_SUFFIX = ".unreadable"  # an autosave this version cannot read is kept under this suffix
EDITOR_KEY = "autosave"  # in the autosaved file's editor section: {"path": original file or None}


def data_folder() -> Path:
    """Where autosaves live: $NNSTUDIO_DATA_DIR, else Qt's AppDataLocation for this application."""
    override = os.environ.get("NNSTUDIO_DATA_DIR")
    if override:
        return Path(override)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".local" / "share" / "nnstudio")


@dataclass
class Recovered:
    """An autosave left by a crashed session."""

    file: Path
    lock: Path
    spec: ModelSpec
    editor: dict[str, Any]
    original_path: Path | None
    modified: float  # mtime, seconds since the epoch

    def discard(self) -> None:
        """Delete the autosave (and its stale lock)."""
        self.file.unlink(missing_ok=True)
        lock = QLockFile(str(self.lock))
        lock.setStaleLockTime(0)
        if lock.tryLock(0):
            lock.unlock()  # removes the lock file
        else:
            self.lock.unlink(missing_ok=True)


class Autosave(QObject):
    """Autosaves one document while it has unsaved changes; call `close()` on a clean exit."""

    saved = Signal(str)  # path of the autosave file just written
    failed = Signal(str)  # why an autosave could not be written

    def __init__(self, document, folder: str | Path | None = None, interval_ms: int = INTERVAL_MS, parent=None):
        super().__init__(parent if parent is not None else document)
        self.document = document
        self.folder = Path(folder) if folder is not None else data_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.session_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.file = self.folder / f"{PREFIX}{self.session_id}{SUFFIX}"
        self.lock_path = self.folder / f"{PREFIX}{self.session_id}.lock"
        # Find the crashed sessions' files before taking our own lock.
        self._orphans = find_orphans(self.folder)
        self._lock = QLockFile(str(self.lock_path))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self.locked = self._lock.tryLock(0)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_now)
        self._closed = False
        document.changed.connect(self._on_changed)
        document.modifiedChanged.connect(self._on_modified_changed)

    # -- recovery --------------------------------------------------------------------------------

    def orphans(self) -> list[Recovered]:
        """Autosaves of crashed sessions found when this one started (newest first)."""
        return list(self._orphans)

    def forget(self, recovered: Recovered) -> None:
        self._orphans = [o for o in self._orphans if o.file != recovered.file]

    # -- saving ------------------------------------------------------------------------------------

    def is_pending(self) -> bool:
        return self._timer.isActive()

    @Slot(object)
    def _on_changed(self, _spec) -> None:
        if self._closed:
            return
        if self.document.is_modified():
            if not self._timer.isActive():  # every 30 s of unsaved change, not 30 s after the last edit
                self._timer.start()
        else:
            self._timer.stop()
            self.remove()

    @Slot(bool)
    def _on_modified_changed(self, modified: bool) -> None:
        if self._closed:
            return
        if modified:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
            self.remove()  # saved (or undone back to the saved state): nothing to recover

    @Slot()
    def save_now(self) -> bool:
        """Write the autosave now (also called by the timer)."""
        if self._closed:
            return False
        path = self.document.path
        editor = dict(self.document.editor)
        editor[EDITOR_KEY] = {"path": str(path) if path is not None else None}
        try:
            atomic_write_bytes(self.file, dumps_project(self.document.spec, editor).encode("utf-8"))
        except (OSError, ValueError) as exc:
            self.failed.emit(f"autosave failed: {exc}")
            return False
        self.saved.emit(str(self.file))
        return True

    def remove(self) -> None:
        """Delete this session's autosave file (the lock stays while the session runs)."""
        self.file.unlink(missing_ok=True)

    def close(self, keep: bool = False) -> None:
        """A clean exit: stop, delete the autosave and release the lock.

        `keep=True` (the session was interrupted, e.g. SIGTERM at logout, with unsaved changes):
        write the autosave now and leave it, so the next start offers to restore it.
        """
        if self._closed:
            return
        if keep and self.document.is_modified():
            self.save_now()
        else:
            keep = False
        self._closed = True
        self._timer.stop()
        if not keep:
            self.remove()
        if self.locked:
            self._lock.unlock()
            self.locked = False


def find_orphans(folder: Path) -> list[Recovered]:
    """Autosave files in `folder` whose session is not running any more, newest first."""
    found: list[Recovered] = []
    try:
        candidates = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    except OSError:
        return []
    for file in candidates:
        session = file.name[len(PREFIX) : -len(SUFFIX)]
        lock_path = folder / f"{PREFIX}{session}.lock"
        probe = QLockFile(str(lock_path))
        probe.setStaleLockTime(0)
        if not probe.tryLock(0):
            continue  # a live instance owns it
        probe.unlock()
        try:
            data = file.read_bytes()
            spec, editor = loads_project(data)
            modified = file.stat().st_mtime
        except (OSError, ProjectError):
            _keep_aside(file)  # unreadable: nothing to offer, but never delete someone's work
            continue
        info = editor.pop(EDITOR_KEY, {}) if isinstance(editor.get(EDITOR_KEY), dict) else {}
        editor.pop(EDITOR_KEY, None)
        original = info.get("path") if isinstance(info, dict) else None
        found.append(Recovered(file, lock_path, spec, editor, Path(original) if original else None, modified))
    found.sort(key=lambda r: r.modified, reverse=True)
    return found


def _keep_aside(file: Path) -> None:
    """Rename an autosave that cannot be read to `<name>.unreadable` (out of the next search), keeping it."""
    with contextlib.suppress(OSError):  # else it stays, and is refused again next time
        file.rename(file.with_name(file.name + UNREADABLE_SUFFIX))


def describe(recovered: Recovered) -> str:
    """One line about a recovered autosave, for the Restore/Discard question."""
    import time

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovered.modified))
    name = recovered.original_path.name if recovered.original_path else "an untitled model"
    layers = len(recovered.spec.layers)
    return f"unsaved changes to {name} ({layers} layers), autosaved {when}"
