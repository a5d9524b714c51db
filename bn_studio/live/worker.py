"""The training worker: a child process that owns the TwinTrainer and publishes snapshots.

A process, not a thread: training is Python-heavy, and a thread would share the GIL with the
GUI, so every frame drawn would cost training time and every training step would stall the
event loop. The GUI sends typed commands (protocol.py: Play, Pause, Step, Reset, …) down a
pipe; a small receiver thread in the GUI process reads snapshots as they come and keeps only
the newest, which the display timer draws. Curves grow with the run, so the child sends only
their new rows and the receiver re-assembles them; both keep at most HISTORY_ROWS rows per
history, thinned evenly (stats.Series), so memory stays flat however long the app trains.
No Qt (an import contract in pyproject.toml checks it): the child process imports this module.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import threading
import time
import traceback
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from bn_studio.core.measure.grid import (GRID_RESOLUTION, DecisionGrid, data_extent, decision_grid,
                                         grid_passes, shifted, union)
from bn_studio.core.measure.rate import RateMeter
from bn_studio.core.measure.replay import SnapshotRing
from bn_studio.core.procs import release_free_memory, single_blas_thread
from bn_studio.core.measure.snapshot import Snapshot, bounded_rows, map_histories
from bn_studio.core.measure.stats import Series
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, advance
from bn_studio.core.measure.unit_maps import UnitMaps, twin_unit_maps

from .protocol import (Ack, Change, Command, Failed, MaxSteps, Notify, Pause, Play, Published,
                       Quit, Reset, Shift, ShowDiagnostics, ShowUnitMaps, Speed, Step)

log = logging.getLogger(__name__)

SNAPSHOT_INTERVAL_S = 1 / 75        # a little faster than the 60 fps display timer
GRID_INTERVAL_S = 0.2               # decision regions are the costly part: 5 per second
UNIT_MAPS_INTERVAL_S = 0.5          # unit pictures (only while their panel is shown): 2 a second,
UNIT_MAPS_COST_RATIO = 10           # or fewer: at most 1/10 of the time (8x512 takes ~0.4 s)
DIAGNOSTICS_COST_RATIO = 20         # gradient diagnostics (while shown): ≤ 1/20 of the time
STOP_TIMEOUT_S = 3.0
HISTORY_ROWS = 4096                 # per curve: plenty for a plot a few thousand pixels wide
PIPE_BYTES = 1 << 18                # snapshots in flight to the GUI: ~5, ~70 ms (_widen)
TRIM_INTERVAL_S = 5.0               # the receiver hands freed memory back this often
SMOOTHNESS_EVERY = 10               # steps between two loss-spread measurements (smoothness)


def _widen(conn) -> None:
    """Let the snapshot pipe hold 256 kB (Linux; elsewhere it keeps its size). At 64 kB it
    held one or two snapshots: the child blocked on every send until the receiver thread,
    which shares the GIL with the drawing GUI thread, had read the last one, and trained at
    the pace of the GUI process rather than its own."""
    try:
        import fcntl
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


class TrainingWorker:
    """Owns the trainer in a child process; every public method is safe to call from the GUI."""

    def __init__(self) -> None:
        cmd_recv, self._cmd_send = mp.Pipe(duplex=False)
        self._out_recv, out_send = mp.Pipe(duplex=False)
        _widen(out_send)
        self._proc = self._start_child(cmd_recv, out_send)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._fresh = False
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._reset_seq = 0                 # the last Reset sent; snapshots before it: dropped
        self._acks: dict[int, threading.Event] = {}
        self._series: dict[tuple, Series] = {}
        self._epoch = -1
        self._grid: DecisionGrid | None = None
        self._unit_maps: UnitMaps | None = None  # the newest unit pictures, carried to every frame
        self._diagnostics: dict | None = None    # the newest diagnostics, likewise
        self.replay = SnapshotRing()        # thinned stored snapshots of the run (the timeline)
        # What the user last asked for until the child has answered it, then what the child
        # says (Published.playing); _paused_itself: the child stopped without being asked.
        self.playing = False
        self._paused_itself = False
        self._failures: list[str] = []      # commands the child could not carry out, unread
        self._stopped = False
        self._receiver = threading.Thread(target=self._receive, name="bn-studio-receiver",
                                          daemon=True)
        self._receiver.start()

    def _start_child(self, cmd_conn, out_conn):
        """Run the training loop (_child_main) at the far end of the two pipes; returns its
        process (is_alive, join, terminate, kill)."""
        ctx = mp.get_context("spawn")          # never fork a process that runs Qt
        # 1 BLAS thread (the GUI shares the cores) unless the user set a number.
        with single_blas_thread(keep_user_choice=True):
            proc = ctx.Process(target=_child_main, args=(cmd_conn, out_conn),
                               name="bn-studio-trainer", daemon=True)
            proc.start()
        cmd_conn.close()                        # the child holds its own ends
        out_conn.close()
        return proc

    # Commands: called on the GUI thread.
    def send(self, cmd: Command, playing: bool | None = None) -> int:
        """Send one command; returns its sequence number. ``playing``: the state the command
        asks for, taken at once (the buttons never lag the command) and together with the
        sequence number, so that no answer to an earlier command can overwrite it."""
        with self._lock:
            seq = next(self._seq)
            self._last_seq = seq
            if isinstance(cmd, Reset):
                self._reset_seq = seq
            if playing is not None:
                self.playing = playing
        if self._stopped:
            return seq
        try:
            with self._send_lock:
                self._cmd_send.send((seq, cmd))
        except (OSError, BrokenPipeError):
            log.warning("the training process has stopped; %s not sent", type(cmd).__name__)
        return seq

    def reset(self, config: TrainConfig, split) -> None:
        self.send(Reset(config, split))

    def play(self) -> None:
        self.send(Play(), playing=True)

    def pause(self) -> None:
        self.send(Pause(), playing=False)

    def step(self, n: int = 1) -> None:
        self.send(Step(int(n)), playing=False)

    def set_speed(self, steps_per_second: float | None) -> None:
        self.send(Speed(steps_per_second))

    def shift_inputs(self, offset, validation_only: bool = False) -> None:
        """Covariate shift: every input (or only the validation inputs) moves by ``offset``
        from now on (no reset)."""
        self.send(Shift(tuple(float(v) for v in offset), bool(validation_only)))

    def change(self, name: str, value: float) -> None:
        """Change one live setting (TwinTrainer.change) of the running twins, no reset."""
        self.send(Change(name, float(value)))

    def show_unit_maps(self, on: bool) -> None:
        """Compute every hidden unit's picture (Snapshot.unit_maps) while ``on``."""
        self.send(ShowUnitMaps(bool(on)))

    def show_diagnostics(self, on: bool) -> None:
        """Send the gradient diagnostics (Snapshot.diagnostics) while ``on``."""
        self.send(ShowDiagnostics(bool(on)))

    def set_max_steps(self, max_steps: int | None) -> None:
        """Pause by itself once the step counter reaches ``max_steps`` (None: never)."""
        self.send(MaxSteps(max_steps))

    def latest(self) -> Snapshot | None:
        """The newest snapshot if it is new since the last call, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._latest

    def paused_by_itself(self) -> bool:
        """Whether the child has stopped training unasked (a step limit, both nets diverged,
        a failed step) since the last call."""
        with self._lock:
            paused, self._paused_itself = self._paused_itself, False
        return paused

    def failures(self) -> list[str]:
        """Messages of commands the child could not carry out since the last call (say, a
        reset whose trainer could not be built): the GUI shows them and recovers."""
        with self._lock:
            out, self._failures = self._failures, []
        return out

    def peek(self) -> Snapshot | None:
        with self._lock:
            return self._latest

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every command sent so far has been handled and its snapshot received."""
        done = threading.Event()
        seq = next(self._seq)
        self._acks[seq] = done
        try:
            with self._send_lock:
                self._cmd_send.send((seq, Notify()))
        except (OSError, BrokenPipeError):
            return False
        ok = done.wait(timeout)
        self._acks.pop(seq, None)
        return ok

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        if self._stopped:
            return
        self.send(Quit())
        self._stopped = True
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(1.0)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(1.0)
        self._cmd_send.close()
        self._receiver.join(1.0)

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    # The receiver thread, in the GUI process.
    def _receive(self) -> None:
        trimmed = time.monotonic()
        while True:
            try:
                msg = self._out_recv.recv()
            except (EOFError, OSError):
                break
            if time.monotonic() - trimmed > TRIM_INTERVAL_S:
                release_free_memory()           # off the GUI thread, the GIL released
                trimmed = time.monotonic()
            if isinstance(msg, Ack):
                event = self._acks.get(msg.seq)
                if event is not None:
                    event.set()
                continue
            if isinstance(msg, Failed):         # a command failed and left no trainer
                with self._lock:
                    self._failures.append(msg.message)
                continue
            if msg.seq < self._reset_seq:
                # Trained before the newest Reset: the GUI already holds that reset's split
                # (its classes, its points), which this snapshot's nets may not fit.
                continue
            snap = self._assemble(msg)
            with self._lock:
                if msg.seq >= self._last_seq and msg.playing != self.playing:
                    # The child answered every command sent and does otherwise: it paused.
                    self.playing = msg.playing
                    self._paused_itself = not msg.playing
                self._latest = snap
                self._fresh = True
        self._out_recv.close()

    def _assemble(self, msg: Published) -> Snapshot:
        """Append the new rows of every history and put full views back into the snapshot."""
        if msg.epoch != self._epoch:
            self._epoch = msg.epoch
            self._series = {}
            self._grid = None
            self._unit_maps = None
            self._diagnostics = None
        if msg.grid is not None:
            self._grid = msg.grid
        snap = msg.snapshot
        if snap.unit_maps is not None:
            self._unit_maps = snap.unit_maps
        snap.unit_maps = self._unit_maps
        map_histories(snap, self._extend)
        # After the histories are whole: a snapshot the child sent without diagnostics (it
        # sends them at most every DIAGNOSTICS_COST_RATIO × their cost) carries the last
        # ones, each saying its step.
        if snap.diagnostics is not None:
            self._diagnostics = snap.diagnostics
        snap.diagnostics = self._diagnostics
        snap.grid, snap.playing, snap.error, snap.run_id = (self._grid, msg.playing, msg.error,
                                                            msg.epoch)
        self.replay.add(snap)
        return snap

    def _extend(self, key: tuple, rows: np.ndarray) -> np.ndarray:
        series = self._series.get(key)
        if series is None:
            width = rows.shape[1]
            series = self._series[key] = Series(width=width,
                                                max_rows=bounded_rows(width, HISTORY_ROWS))
        series.extend(rows)
        return series.view()


# The child process
class _Child:
    """The training loop that runs in the child process."""

    def __init__(self, cmd_conn, out_conn) -> None:
        self.cmd, self.out = cmd_conn, out_conn
        self.trainer: TwinTrainer | None = None
        self.playing = False
        self.speed: float | None = None
        self.max_steps: int | None = None
        self.error: str | None = None
        self.epoch = 0
        self.seq = 0
        self.sent: dict[tuple, float] = {}       # last step sent, per history
        self.extent = (-3.0, 3.0, -3.0, 3.0)
        self.grid_time = 0.0
        self.grid_dirty = True
        self.grid_job: Generator[None, None, DecisionGrid] | None = None   # passes to run
        self.grid_ready: DecisionGrid | None = None     # a finished job's, for the next snapshot
        self.next_publish = 0.0                  # when the next snapshot is due (playing)
        self.unit_maps_on = False
        self.unit_maps_time = 0.0
        self.unit_maps_wait = UNIT_MAPS_INTERVAL_S
        self.diagnostics_on = False
        self.diagnostics_time = 0.0
        self.diagnostics_wait = SNAPSHOT_INTERVAL_S
        self.meter = RateMeter()                 # the real steps per second, while playing
        # One handler per command type (Quit ends run() itself).
        self.handlers: dict[type[Command], Callable[[Any], None]] = {
            Reset: self.on_reset, Play: self.on_play, Pause: self.on_pause, Step: self.on_step,
            Shift: self.on_shift, Change: self.on_change, Speed: self.on_speed,
            MaxSteps: self.on_max_steps, ShowUnitMaps: self.on_unit_maps,
            ShowDiagnostics: self.on_diagnostics, Notify: self.on_notify}

    def run(self) -> None:
        while True:
            busy = self.playing and self.trainer is not None
            if self.cmd.poll(0 if busy else 0.2):
                try:
                    seq, cmd = self.cmd.recv()
                except (EOFError, OSError):
                    return
                self.seq = seq
                if isinstance(cmd, Quit):
                    return
                try:
                    self.handlers[type(cmd)](cmd)
                except Exception as e:     # a bad config must never kill the worker
                    self.fail(e, cmd)
                continue
            if busy:
                self.train_one()

    def fail(self, e: Exception, cmd: Command | None = None) -> None:
        """Tell the GUI: with a trainer, in the next snapshot; without one (a reset that could
        not build it, or a snapshot that cannot be made), as a Failed message."""
        traceback.print_exc()
        what = f"{e.__class__.__name__}: {e}" if not isinstance(e, ValueError) else str(e)
        self.error = (what or e.__class__.__name__).splitlines()[0][:500]
        self.playing = False
        if isinstance(cmd, Reset):
            self.trainer = None
        try:
            if self.trainer is not None:
                self.publish(force=True)
                return
        except Exception:                   # the trainer itself is broken: drop it
            traceback.print_exc()
            self.trainer = None
        self.out.send(Failed(self.seq, f"Training could not start: {self.error}"))

    # One handler per command type.
    def on_reset(self, cmd: Reset) -> None:
        self.error = None
        self.trainer = None
        self.epoch += 1
        self.sent = {}
        self.extent = data_extent(np.concatenate([cmd.split.X_train, cmd.split.X_val]))
        self.trainer = TwinTrainer(cmd.config, cmd.split, history_rows=HISTORY_ROWS,
                                   smoothness_every=SMOOTHNESS_EVERY, diagnostics=True)
        self.grid_dirty = True
        self.publish(force=True)

    def on_play(self, cmd: Play) -> None:
        self.playing = self.trainer is not None
        self.meter.started(self.speed)

    def on_pause(self, cmd: Pause) -> None:
        self.playing = False
        self.meter.stopped()
        self.publish(force=True)

    def on_step(self, cmd: Step) -> None:
        self.playing = False
        self.meter.stopped()
        if self.trainer is not None:
            advance(self.trainer, cmd.n)
            self.grid_dirty = True
            self.publish(force=True)

    def on_shift(self, cmd: Shift) -> None:
        if self.trainer is not None:
            self.trainer.shift_inputs(cmd.offset, cmd.validation_only)
            self.extent = (union(self.extent, shifted(self.extent, cmd.offset))
                           if cmd.validation_only else shifted(self.extent, cmd.offset))
            self.grid_dirty = True
            self.publish(force=True)

    def on_change(self, cmd: Change) -> None:
        if self.trainer is not None:
            self.trainer.change(cmd.name, cmd.value)    # a bad value: fail() reports it
            self.publish(force=True)

    def on_speed(self, cmd: Speed) -> None:
        self.speed = cmd.steps_per_second
        self.meter.started(self.speed)

    def on_max_steps(self, cmd: MaxSteps) -> None:
        self.max_steps = cmd.max_steps

    def on_unit_maps(self, cmd: ShowUnitMaps) -> None:
        self.unit_maps_on = cmd.on
        self.unit_maps_time = 0.0 if cmd.on else self.unit_maps_time
        self.grid_dirty = True
        self.publish(force=True)

    def on_diagnostics(self, cmd: ShowDiagnostics) -> None:
        self.diagnostics_on = cmd.on
        self.publish(force=True)

    def on_notify(self, cmd: Notify) -> None:
        self.publish(force=True)
        self.out.send(Ack(self.seq))

    def train_one(self) -> None:
        assert self.trainer is not None, "train_one runs only with a trainer (busy)"
        t0, cpu0 = time.perf_counter(), time.process_time()
        try:
            advance(self.trainer, 1)
        except Exception as e:
            self.fail(e)
            return
        self.meter.stepped(time.perf_counter() - t0, time.process_time() - cpu0)
        if self.trainer.all_diverged or (self.max_steps is not None
                                         and self.trainer.step_count >= self.max_steps):
            self.playing = False
            self.grid_dirty = True
            self.publish(force=True)
            return
        self.grid_pass()
        if time.perf_counter() >= self.next_publish:
            self.publish()
        if self.speed:
            deadline = t0 + 1.0 / self.speed
            while self.grid_job is not None and time.perf_counter() < deadline:
                self.grid_pass()            # the time between two steps goes to the grid
            delay = deadline - time.perf_counter()
            if delay > 0:
                self.cmd.poll(delay)        # sleeps, but wakes up for a command

    def grid_pass(self) -> None:
        """One pass of the decision-grid job under way, if any (grid_passes)."""
        if self.grid_job is None:
            return
        start, cpu0 = time.perf_counter(), time.process_time()
        try:
            next(self.grid_job)
        except StopIteration as done:
            self.grid_job, self.grid_ready = None, done.value
        # Counted with the snapshots' work: the rate's reason names the pictures' share.
        self.meter.published(time.perf_counter() - start, time.process_time() - cpu0)

    def publish(self, force: bool = False) -> None:
        start = time.perf_counter()
        # Due on a schedule, not an interval after the last one: snapshots keep their rate
        # (one for every display frame) although a step overshoots each due time a little.
        self.next_publish = max(self.next_publish, start - SNAPSHOT_INTERVAL_S / 2) \
            + SNAPSHOT_INTERVAL_S
        cpu0 = time.process_time()
        if self.trainer is None:
            return
        snap = self.trainer.snapshot()
        snap.rate = self.meter.reading if self.playing else None
        grid = None
        now = time.perf_counter()
        if self.diagnostics_on and (force or now - self.diagnostics_time
                                    >= self.diagnostics_wait):
            snap.diagnostics = self.trainer.diagnostics_snapshot()
            self.diagnostics_time = now
            self.diagnostics_wait = max(SNAPSHOT_INTERVAL_S, DIAGNOSTICS_COST_RATIO
                                        * (time.perf_counter() - now))
        if self.grid_ready is not None:
            grid, self.grid_ready = self.grid_ready, None
        # A paused, stepped or changed state shows its own regions at once (only a snapshot
        # sent while training is not forced).
        at_once = force or self.grid_dirty
        if at_once or (self.grid_job is None and now - self.grid_time >= GRID_INTERVAL_S):
            nets = {name: run.net for name, run in snap.runs.items()}
            if at_once:
                grid, self.grid_job = decision_grid(nets, self.extent, snap.step,
                                                    GRID_RESOLUTION), None
            else:
                # While training the grid (21 ms) is computed a pass at a time between steps
                # and sent with a later snapshot: no snapshot waits for it (60 Hz frames).
                self.grid_job = grid_passes(nets, self.extent, snap.step, GRID_RESOLUTION)
                self.grid_pass()            # takes the nets of this step (a copy) now
            self.grid_time, self.grid_dirty = now, False
            if self.unit_maps_on and (force or now - self.unit_maps_time >= self.unit_maps_wait):
                snap.unit_maps = twin_unit_maps(nets, self.extent, snap.step,
                                                snap.config.activation)
                self.unit_maps_time = now
                self.unit_maps_wait = max(UNIT_MAPS_INTERVAL_S, UNIT_MAPS_COST_RATIO
                                          * (time.perf_counter() - now))
        map_histories(snap, self.delta)
        self.out.send(Published(self.seq, self.epoch, snap, grid, self.playing, self.error))
        self.meter.published(time.perf_counter() - start, time.process_time() - cpu0)

    def delta(self, key: tuple, rows: np.ndarray) -> np.ndarray:
        """The rows after the last step sent (by step, not by count: thinning drops rows)."""
        last = self.sent.get(key)
        start = 0 if last is None else int(np.searchsorted(rows[:, 0], last, side="right"))
        if start < rows.shape[0]:
            self.sent[key] = float(rows[-1, 0])
        return np.array(rows[start:])


def _child_main(cmd_conn, out_conn) -> None:
    try:
        _Child(cmd_conn, out_conn).run()
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        out_conn.close()
