"""Start the app, or render it offscreen to a PNG (``bn-studio screenshot``)."""

from __future__ import annotations

import os


def make_application(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    from .theme import apply_pyqtgraph_theme
    app = QApplication.instance() or QApplication(["bn-studio", *(argv or [])])
    app.setApplicationName("BN Studio")
    app.setOrganizationName("BN Studio")
    app.setOrganizationDomain("bn-studio.invalid")
    apply_pyqtgraph_theme("light")
    from . import wheel_guard
    wheel_guard.install(app)            # a wheel over an unfocused control changes nothing
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
    style_application(app)
    win = MainWindow(restore=True)

    def show_error(title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox
        box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, win)
        box.open()

    install_excepthook(show_error)
    import logging

    from .logs import StatusBridge
    bridge = StatusBridge()                  # warnings and errors also reach the status bar
    bridge.record.connect(lambda text: win.statusBar().showMessage(text, 10000))
    logging.getLogger().addHandler(bridge)
    win.show()
    return app.exec()


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1600x1000, not {text!r}") from None
    if w < 200 or h < 200:
        raise ValueError("--size must be at least 200x200")
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


def run_screenshot(args) -> int:
    """Render the main window (or one panel) offscreen after K steps and write a PNG."""
    from bn_studio.cli import CliError
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = parse_size(args.size)
    except ValueError as e:
        raise CliError(str(e)) from None
    app = make_application()
    theme = getattr(args, "theme", "light")
    style_application(app, theme)
    from .main_window import MainWindow
    from .model import DatasetSpec
    win = MainWindow()
    win.set_theme(theme)
    try:
        model = win.model
        lesson = getattr(args, "lesson", None)
        if lesson is not None:
            from bn_studio.core.lessons import LESSONS
            if not 1 <= lesson <= len(LESSONS) or "lessons" not in win.panels:
                raise CliError(f"--lesson must be between 1 and {len(LESSONS)}")
            win.start_lesson(LESSONS[lesson - 1].id)
        if args.dataset:
            from bn_studio.core.datasets import DATASETS
            if args.dataset not in DATASETS:
                raise CliError(f"unknown dataset {args.dataset!r}; choose one of "
                               f"{', '.join(DATASETS)}")
            if not model.set_spec(DatasetSpec(args.dataset)):
                raise CliError(f"could not make dataset {args.dataset!r}")
        win.fit_to_screen((width, height))
        win.show()
        target = win
        if args.panel:
            if args.panel not in win.panels:
                raise CliError(f"unknown panel {args.panel!r}; choose one of "
                               f"{', '.join(win.panels)}")
            target = win.panels[args.panel]
            dock = win.docks.get(args.panel)
            if dock is not None:
                dock.raise_()
        # A selected point, so the softmax inspector and test-time BN panels show numbers.
        model.select_point(model.split.X_val[0])
        play = getattr(args, "play", None)
        if play is not None:
            _play_live(app, model, play)
        else:
            model.step(max(0, int(300 if args.steps is None else args.steps)))
        for _ in range(3):          # let the snapshot reach every panel, then lay out and paint
            model.flush(timeout=600)
            app.processEvents()
        model.select_point(model.selected_point)      # refresh point views with the last nets
        app.processEvents()
        ok = target.grab().save(args.out)
        if not ok:
            raise CliError(f"could not write {args.out}")
        print(args.out)
        return 0
    finally:
        win.close()
        app.processEvents()
