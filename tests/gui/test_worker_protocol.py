"""The worker's commands are typed: each has exactly one handler in the training process,
and the snapshots that come back carry typed fields (no string-keyed bag)."""

import dataclasses

import pytest

from bn_studio.core.measure.grid import DecisionGrid
from bn_studio.live import protocol
from bn_studio.live import worker as worker_mod


def test_every_command_type_has_one_handler_in_the_child():
    child = worker_mod._Child(None, None)
    commands = {cls for cls in vars(protocol).values()
                if isinstance(cls, type) and issubclass(cls, protocol.Command)
                and cls is not protocol.Command}
    assert set(child.handlers) == commands - {protocol.Quit}


def test_commands_are_frozen_values():
    cmd = protocol.Change("lr", 0.5)
    assert cmd == protocol.Change("lr", 0.5)
    try:
        cmd.value = 1.0
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a command must not change after it is sent")


@pytest.mark.real_worker
def test_a_live_snapshot_carries_typed_grid_status_and_run(model):
    model.reset()
    model.step(3)
    model.flush()
    snap = model.snapshot
    assert isinstance(snap.grid, DecisionGrid) and snap.grid.step == 3
    assert snap.playing is False and snap.error is None and snap.live
    first = snap.run_id
    model.reset()
    model.flush()
    assert model.snapshot.run_id == first + 1 and model.snapshot.step == 0


def test_the_snapshot_pipe_holds_several_snapshots():
    """At the system's 64 kB the child blocked on each send until the GUI process had read
    the last snapshot: it trained at the pace of the GUI's GIL, not its own."""
    import multiprocessing as mp
    import sys
    if not sys.platform.startswith("linux"):
        pytest.skip("pipe sizes are set on Linux only")
    import fcntl
    recv, send = mp.Pipe(duplex=False)
    assert fcntl.fcntl(recv.fileno(), fcntl.F_GETPIPE_SZ) < worker_mod.PIPE_BYTES
    worker_mod._widen(send)
    assert fcntl.fcntl(recv.fileno(), fcntl.F_GETPIPE_SZ) >= worker_mod.PIPE_BYTES
    recv.close()
    send.close()
