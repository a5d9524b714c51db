"""Hide or lock the controls a lesson names (lesson_pack.CONTROLS), and give them back after.

A locked control is disabled (still visible, so the learner sees the setting); a hidden one's
row of the network form is hidden (the dataset gallery: its dock). Everything is restored
when another lesson, or the start page, is shown.
"""

from __future__ import annotations

# The network panel's attributes behind each control name; the form row is the field's.
NETWORK_FIELDS = {"layers": ("layers", "widths"), "activation": ("activation",),
                  "optimizer": ("optimizer",), "lr": ("lr_slider",), "momentum": ("momentum",),
                  "beta1": ("beta1",), "beta2": ("beta2",), "batch": ("batch",), "l2": ("l2",),
                  "decay": ("decay",), "seed": ("seed",), "bn_decay": ("bn_decay",)}


class ControlLock:
    def __init__(self) -> None:
        self._undo: list = []

    def apply(self, window, hidden=(), locked=()) -> None:
        """Hide and lock the named controls of ``window`` (a MainWindow); unknown parts of a
        stripped-down window (no network panel) are skipped."""
        self.release()
        panels = getattr(window, "panels", {})
        for name in locked:
            for w in self._widgets(panels, name):
                w.setEnabled(False)
                self._undo.append(lambda w=w: w.setEnabled(True))
        for name in hidden:
            if name == "dataset":
                dock = getattr(window, "docks", {}).get("datasets")
                if dock is not None and dock.isVisible():
                    dock.hide()
                    self._undo.append(dock.show)
                continue
            network = panels.get("network")
            for w in self._widgets(panels, name):
                form = getattr(network, "form", None)
                if form is not None and form.indexOf(w) >= 0:
                    form.setRowVisible(w, False)
                    self._undo.append(lambda f=form, w=w: f.setRowVisible(w, True))
                else:
                    w.setVisible(False)
                    self._undo.append(lambda w=w: w.setVisible(True))

    def release(self) -> None:
        for undo in reversed(self._undo):
            try:
                undo()
            except RuntimeError:        # the widget is gone (window closing)
                pass
        self._undo = []

    @staticmethod
    def _widgets(panels: dict, name: str) -> list:
        """The widgets behind a control name: the field of its form row (a row's container
        when the control sits in one), or the whole dataset gallery."""
        if name == "dataset":
            panel = panels.get("datasets")
            return [panel] if panel is not None else []
        network = panels.get("network")
        if network is None:
            return []
        form = getattr(network, "form", None)
        out = []
        for attr in NETWORK_FIELDS[name]:
            w = getattr(network, attr, None)
            while w is not None and form is not None and form.indexOf(w) < 0 and \
                    w.parentWidget() is not network:
                w = w.parentWidget()            # a field inside a row's container
            if w is not None:
                out.append(w)
        return out
