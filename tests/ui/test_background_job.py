"""BackgroundJob: one job at a time in a worker thread that waits a while for the next one."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication

from nnstudio.ui.background_job import BackgroundJob, JobResult


def workers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def run_one(qtbot, jobs: BackgroundJob, job) -> JobResult:
    with qtbot.waitSignal(jobs._relay.finished, timeout=5_000) as finished:
        assert jobs.start("tag", job)
        assert jobs.running and not jobs.start("other", job), "one job at a time"
    jobs.done()
    assert not jobs.running
    return finished.args[0]


def test_jobs_one_after_another_run_in_the_waiting_worker(qtbot):
    results: list[JobResult] = []
    jobs = BackgroundJob(results.append, name="test-lingering", linger_s=30.0)
    try:
        first = run_one(qtbot, jobs, threading.get_ident)
        assert workers("test-lingering"), "the worker waits for the next job"
        second = run_one(qtbot, jobs, threading.get_ident)
        assert first.value == second.value != threading.get_ident()
        assert [r.value for r in results] == [first.value, second.value]
    finally:
        jobs.close()
    assert not workers("test-lingering"), "close() ends the waiting worker at once"
    assert jobs.closed and not jobs.start("late", threading.get_ident)


def test_without_lingering_each_job_ends_its_thread(qtbot):
    jobs = BackgroundJob(lambda _result: None, name="test-short", linger_s=0.0)
    first = run_one(qtbot, jobs, threading.get_ident)
    qtbot.waitUntil(lambda: not workers("test-short"), timeout=5_000)
    second = run_one(qtbot, jobs, threading.get_ident)
    assert first.value != threading.get_ident() and second.value != threading.get_ident()
    qtbot.waitUntil(lambda: not workers("test-short"), timeout=5_000)
    jobs.close()


def test_a_failing_job_reports_its_error_and_the_worker_goes_on(qtbot):
    jobs = BackgroundJob(lambda _result: None, name="test-failing", linger_s=30.0)
    try:
        failed = run_one(qtbot, jobs, lambda: 1 / 0)
        assert failed.value is None and failed.error.startswith("ZeroDivisionError")
        assert run_one(qtbot, jobs, lambda: 42).value == 42
    finally:
        jobs.close()


def test_close_while_a_job_runs_joins_it_and_drops_its_result(qtbot):
    results: list[JobResult] = []
    jobs = BackgroundJob(results.append, name="test-closing", linger_s=30.0)
    release = threading.Event()
    entered = threading.Event()

    def job() -> int:
        entered.set()
        release.wait(5)
        return 1

    assert jobs.start("tag", job)
    assert entered.wait(5)
    releaser = threading.Timer(0.2, release.set)  # the job ends while close() joins it
    releaser.start()
    jobs.close()
    releaser.join()
    assert not workers("test-closing") and not jobs.running
    QCoreApplication.processEvents()  # a queued result would be delivered now
    assert results == []


def test_a_prepared_worker_waits_and_runs_the_first_job_without_a_new_thread(qtbot):
    jobs = BackgroundJob(lambda _result: None, name="test-prepared", linger_s=30.0)
    try:
        jobs.prepare()
        prepared = workers("test-prepared")
        assert len(prepared) == 1 and not jobs.running
        jobs.prepare()
        assert workers("test-prepared") == prepared, "one worker, not one per call"
        result = run_one(qtbot, jobs, threading.get_ident)
        assert result.value == prepared[0].ident
    finally:
        jobs.close()
    assert not workers("test-prepared")
    jobs.prepare()
    assert not workers("test-prepared"), "a closed job starts no worker"
    short = BackgroundJob(lambda _result: None, name="test-unprepared", linger_s=0.0)
    short.prepare()
    assert not workers("test-unprepared"), "a worker that would not wait is not started ahead"


def test_release_ends_a_waiting_worker_at_once_and_later_ones_after_their_job(qtbot):
    jobs = BackgroundJob(lambda _result: None, name="test-release", linger_s=30.0)
    try:
        run_one(qtbot, jobs, threading.get_ident)
        assert workers("test-release")
        jobs.release()
        assert not workers("test-release"), "the waiting worker is ended and joined"
        go = threading.Event()
        with qtbot.waitSignal(jobs._relay.finished, timeout=5_000):
            assert jobs.start("busy", lambda: go.wait(5))
            jobs.release()  # a window closing while the job runs
            assert workers("test-release"), "the running job is not cut off"
            go.set()
        jobs.done()
        qtbot.waitUntil(lambda: not workers("test-release"), timeout=5_000)  # not 30 s of waiting
        run_one(qtbot, jobs, threading.get_ident)  # a result that arrives after the window closed
        qtbot.waitUntil(lambda: not workers("test-release"), timeout=5_000)
        jobs.prepare()  # a job expected after the close (a late model): no worker waits for it
        assert not workers("test-release")
        run_one(qtbot, jobs, threading.get_ident)
        qtbot.waitUntil(lambda: not workers("test-release"), timeout=5_000)
        jobs.resume()  # the window is shown again: a prepared worker waits for the job, and for the next
        jobs.prepare()
        assert workers("test-release")
        run_one(qtbot, jobs, threading.get_ident)
        assert workers("test-release"), "a worker waits for the next job again"
    finally:
        jobs.close()
