"""The training worker with its loop on a thread of the test process, for panel tests.

The same TrainingWorker (receiver, re-assembly, replay) and the same child loop (_child_main),
talking through the same pipes in the same typed protocol; only the far end is a thread
instead of a spawned process, which saves the second or two a process takes to start
(importing NumPy and the app) in every test that builds a model. Tests about the process
itself (it starts, it fails, it ends with the window, signals) are marked ``real_worker``
and get the real one (conftest.py chooses).
"""

from __future__ import annotations

import threading

from bn_studio.live.worker import TrainingWorker, _child_main


class _ChildThread(threading.Thread):
    """Stands where the child process would: is_alive, join, terminate, kill."""

    def __init__(self, cmd_conn, out_conn) -> None:
        super().__init__(name="bn-studio-trainer", daemon=True)
        self._conns = cmd_conn, out_conn

    def run(self) -> None:
        cmd_conn, out_conn = self._conns
        try:
            _child_main(cmd_conn, out_conn)     # closes out_conn when the loop ends
        finally:
            cmd_conn.close()

    def terminate(self) -> None:
        """A thread cannot be stopped from outside; Quit (sent by stop()) ends its loop."""

    kill = terminate


class InProcessWorker(TrainingWorker):
    """A TrainingWorker whose child loop runs on a thread of this process."""

    def _start_child(self, cmd_conn, out_conn):
        child = _ChildThread(cmd_conn, out_conn)
        child.start()
        return child
