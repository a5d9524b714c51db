"""The worker's commands are typed: each has exactly one handler in the training process,
and the snapshots that come back carry typed fields (no string-keyed bag)."""

import dataclasses

import numpy as np

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


class _HeldChild:
    """Stands for the child process; the test writes its messages into the snapshot pipe."""

    def is_alive(self):
        return True

    def join(self, timeout=None):
        pass

    terminate = kill = join


class _ScriptedWorker(worker_mod.TrainingWorker):
    def _start_child(self, cmd_conn, out_conn):
        self.child_out = out_conn               # kept open: the test sends on it
        return _HeldChild()


def _published(seq, epoch, classes):
    from bn_studio.core.data.datasets import make_dataset, split_and_standardize
    from bn_studio.core.training.trainer import TrainConfig, TwinTrainer
    split = split_and_standardize(make_dataset("blobs", n=60, classes=classes, seed=0), seed=0)
    snap = TwinTrainer(TrainConfig(hidden=(4,)), split).snapshot()
    return protocol.Published(seq, epoch, snap, None, False, None)


def test_a_snapshot_trained_before_the_newest_reset_is_never_shown():
    """Lesson 14 once scored a 2-class net, sent before a reset, on the reset's 3-class split
    (an IndexError on the GUI thread): such snapshots are dropped as they arrive."""
    w = _ScriptedWorker()
    try:
        w.child_out.send(_published(0, 0, classes=2))
        _received_all(w)
        assert w.latest().runs["bn"].net.config.classes == 2
        seq = w.send(protocol.Reset(None, None))
        w.child_out.send(_published(seq - 1, 0, classes=2))     # in flight as it was sent
        _received_all(w)
        assert w.latest() is None and w.peek().run_id == 0
        w.child_out.send(_published(seq, 1, classes=3))
        _received_all(w)
        shown = w.latest()
        assert shown.run_id == 1 and shown.runs["bn"].net.config.classes == 3
        assert [f.run_id for f in w.replay.frames()] == [1]
    finally:
        w._stopped = True
        w.child_out.close()


def _received_all(w):
    """Wait until the receiver has read everything sent so far (an Ack sent after it)."""
    import threading
    done, seq = threading.Event(), 10**9
    w._acks[seq] = done
    w.child_out.send(protocol.Ack(seq))
    assert done.wait(5.0), "the receiver did not read the pipe"
    del w._acks[seq]


class _Sink:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


class _Commands:
    def __init__(self, cmds):
        self.queue = list(enumerate(cmds, 1))

    def poll(self, timeout=0):
        return bool(self.queue)

    def recv(self):
        return self.queue.pop(0)


def test_while_training_the_grid_comes_with_a_later_snapshot_and_a_pause_brings_its_own():
    """No snapshot waits for the whole decision grid while the nets train: it is computed a
    pass at a time between steps and sent with a later snapshot, as the nets were when it
    began. A pause sends the paused step's grid at once."""
    from bn_studio.core.data.datasets import make_dataset, split_and_standardize
    from bn_studio.core.measure.grid import decision_grid
    from bn_studio.core.training.trainer import TrainConfig
    split = split_and_standardize(make_dataset("blobs", n=80, classes=3, seed=0), seed=0)
    child = worker_mod._Child(None, _Sink())
    child.cmd = _Commands([protocol.Reset(TrainConfig(hidden=(6, 5)), split),
                           protocol.Speed(None), protocol.Play()])
    for _ in range(3):
        seq, cmd = child.cmd.recv()
        child.handlers[type(cmd)](cmd)
    sent = child.out.sent
    while sum(m.grid is not None for m in sent) < 3:
        child.train_one()
    child.handlers[protocol.Pause](protocol.Pause())
    by_step = {m.snapshot.step: m.snapshot for m in sent}
    late = [m for m in sent[1:-1] if m.grid is not None]
    assert late and all(m.grid.step < m.snapshot.step for m in late)
    for m in late:
        nets = {name: run.net for name, run in by_step[m.grid.step].runs.items()}
        want = decision_grid(nets, m.grid.extent, m.grid.step)
        for name in nets:
            np.testing.assert_array_equal(m.grid.probs[name], want.probs[name])
    paused = sent[-1]
    assert paused.grid is not None and paused.grid.step == paused.snapshot.step
