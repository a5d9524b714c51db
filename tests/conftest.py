import os
import tempfile

# Tests never need a screen: Qt renders offscreen unless the caller chose a platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the user's real settings and logs out of reach: QSettings and the log file go here.
_home = tempfile.mkdtemp(prefix="bn-studio-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")
