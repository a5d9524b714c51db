"""Before Qt starts, the app says in one line why a window cannot open (Qt would abort)."""

import os
import subprocess
import sys

from bn_studio.gui.preflight import NO_DISPLAY, XCB_LIBRARIES, display_problem


def _all_load(so):
    return True


def test_no_display_at_all_is_named_with_the_way_out():
    assert display_problem({}, "linux", _all_load) == NO_DISPLAY
    assert "xvfb-run" in NO_DISPLAY


def test_missing_xcb_libraries_are_named_with_the_exact_apt_command():
    gone = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    msg = display_problem({"DISPLAY": ":0"}, "linux", lambda so: so not in gone,
                          lambda d: None, root=False)
    assert msg.endswith(": sudo apt-get install libxcb-icccm4 libxcb-keysyms1")
    assert "libxcb-icccm.so.4" in msg and "\n" not in msg


def test_a_root_shell_is_told_the_apt_command_without_sudo():
    """A container's root shell often has no sudo at all ("sudo: command not found")."""
    msg = display_problem({"DISPLAY": ":0"}, "linux", lambda so: so != "libxcb-icccm.so.4",
                          lambda d: None, root=True)
    assert msg.endswith(": apt-get install libxcb-icccm4")


def test_an_x_server_that_does_not_answer_is_reported():
    msg = display_problem({"DISPLAY": ":42"}, "linux", _all_load,
                          lambda d: f"cannot connect to {d}")
    assert msg == "cannot connect to :42"


def test_nothing_is_checked_offscreen_on_wayland_or_off_linux():
    calls = []
    spy = calls.append
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", spy) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", spy) is None
    assert display_problem({}, "darwin", spy) is None
    assert calls == []


def test_every_library_maps_to_a_debian_package_named_in_the_readme():
    from pathlib import Path
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    install = next(line for line in readme.splitlines() if line.endswith("&& bn-studio"))
    for package in XCB_LIBRARIES.values():
        assert f" {package} " in install, package


def test_the_app_with_no_display_exits_2_with_one_line():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "bn_studio.cli"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip() == NO_DISPLAY
