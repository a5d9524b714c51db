"""Can a window open here? Asked before Qt is started, because Qt's answer is an abort.

With no display, or with a system library of its xcb platform missing, Qt prints a misleading
line ("xcb-cursor0 … is needed") and aborts the process. These checks find the real cause and
say what to install, in one line. No Qt import: nothing here may start Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys

# Qt's xcb platform (plugins/platforms/libqxcb.so and libQt6XcbQpa.so.6) and its GL and font
# needs, as shared library → Debian/Ubuntu package. Derived with
#   ldd …/libqxcb.so …/libQt6XcbQpa.so.6 | awk '/=> \//{print $3}' | xargs dpkg -S
# on a machine that had them (and the two "not found" ones looked up by name).
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

NO_DISPLAY = ("bn-studio: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
              "unset); start it from a desktop session or under `xvfb-run bn-studio` "
              "(train, search and screenshot need no display)")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(loads=_loads) -> list[str]:
    """The shared libraries of Qt's xcb platform that cannot be loaded here."""
    return [so for so in XCB_LIBRARIES if not loads(so)]


def _x_server_error(display: str) -> str | None:
    """None if an X connection to ``display`` opens, else why not (libxcb's own check)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None                         # reported as a missing library instead
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    failed = xcb.xcb_connection_has_error(conn)
    xcb.xcb_disconnect(conn)
    if failed:
        return (f"bn-studio: cannot connect to the X display {display!r} (is the X server "
                "running, and may this user use it?); or run under `xvfb-run bn-studio`")
    return None


def display_problem(env=None, platform: str = sys.platform, loads=_loads,
                    x_server_error=_x_server_error, root: bool | None = None) -> str | None:
    """One line saying why the window cannot open here, or None if nothing stands in the way.
    ``root``: whether the install command needs no sudo (a root shell may have none)."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if qpa and qpa != "xcb":
        return None                         # offscreen, wayland, vnc …: Qt's own business
    display, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if not display:
        return None if (wayland and not qpa) else NO_DISPLAY
    missing = missing_libraries(loads)
    if missing:
        packages = " ".join(sorted({XCB_LIBRARIES[so] for so in missing}))
        if root is None:
            root = hasattr(os, "geteuid") and os.geteuid() == 0
        return (f"bn-studio: Qt cannot open a window: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing; install with: "
                f"{'' if root else 'sudo '}apt-get install {packages}")
    return x_server_error(display)
