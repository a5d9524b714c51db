"""Cyclic garbage (plot items, their timers) is collected in the GUI thread only: collected
in the snapshot receiver thread it crashed the window (a lesson rebuilding the histograms)."""

import gc
import threading


class Cycle:
    freed_in: list = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_in.append(threading.current_thread())


def test_garbage_made_in_a_thread_is_collected_in_the_gui_thread(qtbot):
    from bn_studio.gui.app import make_application
    make_application()
    assert not gc.isenabled()

    def allocate() -> None:
        for _ in range(2000):           # past gen 0's threshold: it would collect here
            Cycle()
    t = threading.Thread(target=allocate)
    t.start()
    t.join()
    # The GUI thread's timer collects generation 0. A cycle that was still referenced while
    # the timer collected mid-loop moved to generation 1, which it collects only after ten
    # more rounds: wait for most, then collect the rest here (on the GUI thread too).
    qtbot.waitUntil(lambda: len(Cycle.freed_in) >= 1900, timeout=10_000)
    gc.collect()
    assert len(Cycle.freed_in) == 2000
    assert set(Cycle.freed_in) == {threading.main_thread()}
