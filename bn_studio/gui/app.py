"""Start the app, or render it offscreen to a PNG (``bn-studio screenshot``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


MAX_PLAY_S = 600           # screenshot --play: ten minutes of the live path at most
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def make_application(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    from .theme import apply_pyqtgraph_theme
    # The instance is always this app's QApplication (a QCoreApplication has no widgets).
    app = cast(QApplication, QApplication.instance() or QApplication(["bn-studio", *(argv or [])]))
    app.setApplicationName("BN Studio")
    app.setOrganizationName("BN Studio")
    app.setOrganizationDomain("bn-studio.invalid")
    apply_pyqtgraph_theme("light")
    from bn_studio.core.procs import return_large_blocks

    from . import lazy_menus, main_thread_gc, wheel_guard
    return_large_blocks()               # hours of training: freed large blocks go back
    wheel_guard.install(app)            # a wheel over an unfocused control changes nothing
    main_thread_gc.install()            # cyclic garbage collected on this thread only
    lazy_menus.install()                # plot menus built on first right-click
    return app


def style_application(app, theme: str = "light") -> None:
    """Icon, desktop identity and theme: the same for the app and for its screenshots."""
    from .theme import apply_theme
    try:
        from .resources import APP_ID, app_icon
        app.setWindowIcon(app_icon())
        app.setDesktopFileName(APP_ID)      # Wayland/GNOME match the window to its .desktop
    except (ImportError, OSError):
        pass
    apply_theme(theme)


def run_app(argv: list[str] | None = None) -> int:
    import sys

    from .preflight import display_problem
    problem = display_problem()         # Qt would abort with a misleading message instead
    if problem:
        print(problem, file=sys.stderr)
        return 2
    app = make_application(argv)
    from .logs import install_excepthook, setup_logging
    from .main_window import MainWindow
    setup_logging()
    quit_on_signals(app)
    style_application(app)
    win = MainWindow(restore=True)

    def show_error(title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        from .plain_text import message_box
        message_box(win, QMessageBox.Icon.Critical, title, text)

    install_excepthook(show_error)
    import logging

    from .logs import StatusBridge
    bridge = StatusBridge()                  # warnings and errors also reach the status bar
    bridge.record.connect(win.show_status)
    logging.getLogger().addHandler(bridge)
    win.show()
    return app.exec()


SIGNAL_POLL_MS = 200        # how often Python gets a turn to run a signal handler


def quit_on_signals(app) -> None:
    """Ctrl-C (SIGINT), SIGTERM and SIGHUP close the windows as File → Quit does (settings
    saved, training process stopped), then quit. Python runs signal handlers only between
    bytecodes, and Qt's event loop is C++, so a timer hands control to Python a few times a
    second. Installed before the window is built; a signal noted before that (procs.
    note_stop_signals) counts too: the window closes as soon as the event loop runs."""
    import signal

    from PySide6.QtCore import QTimer

    def close_all() -> None:
        app.closeAllWindows()
        app.quit()

    def close(*_) -> None:
        QTimer.singleShot(0, close_all)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, close)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_POLL_MS)
    from bn_studio.core.procs import stop_noted
    if stop_noted() is not None:        # a signal while the app was starting (cli.main)
        close()


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1600x1000, not {text!r}") from None
    if w < 200 or h < 200:
        raise ValueError("--size must be at least 200x200")
    from bn_studio.core.limits import MAX_SCREENSHOT_PX as most
    if w > most or h > most:
        raise ValueError(f"--size must be at most {most}x{most} (the limit on screenshot size)")
    return w, h


def _play_live(app, model, seconds: float) -> None:
    """What a user sees: Reset, Play at the window's speed, the display timer drawing every
    frame it gets, for ``seconds``; then Pause so the capture holds one state."""
    from PySide6.QtCore import QEventLoop, QTimer
    model.reset()
    model.flush(timeout=60)
    model.play()
    loop = QEventLoop()
    QTimer.singleShot(int(max(0.0, seconds) * 1000), loop.quit)
    loop.exec()
    model.pause()


def _play_live_steps(app, model, steps: int) -> None:
    """The live path as ``_play_live``, but the training process pauses by itself at exactly
    step ``steps`` (MaxSteps), so the picture does not depend on the machine's speed."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    from bn_studio.errors import UsageError as CliError
    model.reset()
    model.flush(timeout=60)
    if steps == 0:
        return
    errors: list[str] = []                  # a refused step or a trainer that could not start
    model.errorOccurred.connect(errors.append)
    model.pause_at(steps)
    model.play()
    loop, poll = QEventLoop(), QTimer()
    speed = model.speed or 1000.0
    deadline = time.monotonic() + 60 + 20 * steps / speed     # a very busy machine, and more

    def check() -> None:
        snap = model.newest()
        done = snap is not None and snap.step >= steps and not model.playing
        stuck = bool(errors) or not model.training_alive or time.monotonic() > deadline
        if done or stuck or (not model.playing and snap is not None and snap.step > 0):
            loop.quit()
    poll.timeout.connect(check)
    poll.start(20)
    loop.exec()
    poll.stop()
    model.pause()
    model.pause_at(None)
    model.flush(timeout=60)
    model.errorOccurred.disconnect(errors.append)
    snap = model.newest()
    if snap is None or snap.step != steps:
        why = errors[-1] if errors else ("both nets diverged" if snap is not None and all(
            r.diverged_at is not None for r in snap.runs.values()) else "it stopped")
        raise CliError(f"--play-steps {steps}: training stopped at step "
                       f"{0 if snap is None else snap.step} ({why})")


def check_screenshot_args(args) -> None:
    """Refuse what would fail only after the window was built and trained (one line each)."""
    from pathlib import Path

    from bn_studio.errors import UsageError as CliError
    from bn_studio.core import limits
    try:
        if args.steps is not None:
            limits.check_steps(args.steps, "--steps")
        if getattr(args, "play_steps", None) is not None:
            limits.check_steps(args.play_steps, "--play-steps")
    except ValueError as e:
        raise CliError(str(e)) from None
    play = getattr(args, "play", None)
    if play is not None and not 0 <= play <= MAX_PLAY_S:
        raise CliError(f"--play must be between 0 and {MAX_PLAY_S} seconds, not {play:g}")
    out = Path(args.out)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise CliError(f"cannot write {out.name}: the file name must end in "
                       f"{' or '.join(IMAGE_SUFFIXES)} (it picks the image format)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(f"cannot write {out}: no folder {folder}")
    if not os.access(folder, os.W_OK):
        raise CliError(f"cannot write {out}: the folder {folder} is not writable")


def _check_names(args) -> None:
    """Unknown panel or dataset names, a missing --data file and a workspace that cannot
    open, refused before a window exists: failing inside the built window means closing it
    while an error unwinds (and building it first: seconds before one line)."""
    from bn_studio.core.data.datasets import DATASETS
    from bn_studio.errors import UsageError as CliError
    from .docks import available_panels
    if args.panel:
        names = [cls.name for cls in available_panels()]
        if args.panel not in names:
            raise CliError(f"unknown panel {args.panel!r}; choose one of {', '.join(names)}")
    if args.dataset and args.dataset not in DATASETS:
        raise CliError(f"unknown dataset {args.dataset!r}; choose one of {', '.join(DATASETS)}")
    data = getattr(args, "data", None)
    if data:            # missing, a folder, a pipe, a name too long: what reading it would say
        from bn_studio.core import limits
        limits.open_regular(data, limits.MAX_CSV_BYTES, CliError, "CSV file").close()
    if getattr(args, "columns", None) and not data:
        raise CliError("--columns picks the columns of --data; give --data FILE.csv too")
    workspace = getattr(args, "workspace", None)
    if workspace:
        from bn_studio.workspace import WorkspaceError, preflight
        try:
            preflight(workspace)
        except WorkspaceError as e:
            raise CliError(str(e)) from None


def quiet_qt_messages() -> None:
    """Offscreen Qt prints 'This plugin does not support propagateSizeHints()' for every
    window; drop that noise and pass every other message on to stderr."""
    import sys

    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def run_screenshot(args) -> int:
    """Render the main window (or one panel) offscreen after K steps and write a PNG."""
    from bn_studio.errors import UsageError as CliError
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = parse_size(args.size)
    except ValueError as e:
        raise CliError(str(e)) from None
    check_screenshot_args(args)
    _check_names(args)
    quiet_qt_messages()
    app = make_application()
    theme = getattr(args, "theme", "light")
    style_application(app, theme)
    from .main_window import MainWindow
    from bn_studio.core.data.datasets import DatasetSpec
    win = MainWindow()
    win.set_theme(theme)
    try:
        model = win.model
        lesson = getattr(args, "lesson", None)
        if lesson is not None:
            from bn_studio.core.lessons.numbers import LESSONS
            if not 1 <= lesson <= len(LESSONS) or "lessons" not in win.panels:
                raise CliError(f"--lesson must be between 1 and {len(LESSONS)}")
            win.start_lesson(LESSONS[lesson - 1].id)
        if getattr(args, "workspace", None):
            from bn_studio.workspace import WorkspaceError
            try:
                win.open_workspace_from(args.workspace, wait=True)
            except WorkspaceError as e:
                raise CliError(str(e)) from None
        if getattr(args, "data", None):
            from .panels.datasets import DatasetsPanel
            datasets = win.panels.get("datasets")
            if not isinstance(datasets, DatasetsPanel):
                raise CliError("--data needs the datasets panel")
            if not datasets.import_csv(args.data, getattr(args, "columns", None)):
                raise CliError(datasets.error.text())
        if args.dataset:
            from bn_studio.core.data.datasets import DATASETS
            if args.dataset not in DATASETS:
                raise CliError(f"unknown dataset {args.dataset!r}; choose one of "
                               f"{', '.join(DATASETS)}")
            if not model.set_spec(DatasetSpec(args.dataset)):
                raise CliError(f"could not make dataset {args.dataset!r}")
        win.fit_to_screen((width, height))
        win.show()
        target: QWidget = win
        if args.panel:
            if args.panel not in win.panels:
                raise CliError(f"unknown panel {args.panel!r}; choose one of "
                               f"{', '.join(win.panels)}")
            target = win.panels[args.panel]
            dock = win.docks.get(args.panel)
            if dock is not None:
                dock.show()                 # a panel that starts hidden (View menu) too
                dock.raise_()
        # A selected point, so the softmax inspector and test-time BN panels show numbers.
        model.select_point(model.split.X_val[0])
        play = getattr(args, "play", None)
        play_steps = getattr(args, "play_steps", None)
        if play is not None:
            _play_live(app, model, play)
        elif play_steps is not None:
            _play_live_steps(app, model, play_steps)
        else:
            model.step(max(0, int(300 if args.steps is None else args.steps)))
        for _ in range(3):          # let the snapshot reach every panel, then lay out and paint
            model.flush(timeout=600)
            app.processEvents()
        if model.selected_point is not None:         # refresh point views with the last nets
            model.select_point(model.selected_point)
        app.processEvents()
        ok = target.grab().save(args.out)
        if not ok:
            raise CliError(f"could not write {args.out} (Qt could not save the image there)")
        print(args.out)
        return 0
    finally:
        win.close()
        app.processEvents()
