"""The settings file, read and written here rather than by QSettings: it holds plain values
only (text, byte arrays, lists of text), and nothing in it is ever unpickled.

PySide's QSettings turns ``@Variant(...PySide::PyObjectWrapper...)`` into a Python object by
unpickling it, and it parses a whole section of the file the first time any key in it is
read or written: a settings file could run code at launch. So QSettings never touches the
file. This module speaks the same INI dialect as QSettings (so earlier settings still load),
reads only plain values and refuses anything else (``@Variant``, ``@DateTime``, ``@Rect``…)
with one warning in the log; the next save leaves the refused entries out.

The API is the part of QSettings the app uses: ``value``, ``setValue``, ``contains``,
``remove``, ``clear``, ``allKeys``, ``sync``, ``fileName``. Numbers read back as text, as
they do from QSettings' INI files.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from bn_studio.core import limits

MAX_SETTINGS_BYTES = 1024 * 1024    # a few KB in use (the window layout is the largest)
GENERAL = "General"                 # QSettings' section for keys without a group
_SPACE = " \t\v\f"                   # what QSettings trims around keys and values

log = logging.getLogger(__name__)

_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            '"': '"', "?": "?", "'": "'", "\\": "\\"}
_WRITE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\"}
_KEY_SAFE = re.compile(r"[A-Za-z0-9_.\-]")
_DIGITS = {"x": (re.compile(r"[0-9a-fA-F]*"), 16), "o": (re.compile(r"[0-7]*"), 8)}


class NotPlain(ValueError):
    """A saved value that is not plain data (a serialized object, a date, a rectangle…)."""


def settings_path() -> Path:
    """Where QSettings("BN Studio", "BN Studio") keeps its INI file on Linux."""
    from PySide6.QtCore import QStandardPaths
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "BN Studio" / "BN Studio.conf"


class SettingsStore:
    """The settings file as a dict of raw (still escaped) values; each change is written at
    once (atomically: a new file renamed over the old one)."""

    def __init__(self, path=None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self._raw: dict[str, str] = {}
        self._load()
        self._stamp = _stamp(self.path)

    def changed_on_disk(self) -> bool:
        """Whether the file is no longer the one this store read or wrote last."""
        return _stamp(self.path) != self._stamp

    def fileName(self) -> str:
        return str(self.path)

    def value(self, key: str, default=None):
        """The plain value saved under ``key`` (str, bytes, list of str), or ``default``."""
        raw = self._raw.get(key)
        if raw is None:
            return default
        try:
            return decode_value(raw)
        except NotPlain as e:
            log.warning("setting %r is not plain data (%s); ignored", key, e)
            return default

    def setValue(self, key: str, value) -> None:
        self._raw[key] = encode_value(value)
        self._save()

    def contains(self, key: str) -> bool:
        return key in self._raw

    def remove(self, key: str) -> None:
        """``key`` and every key in its group, as QSettings.remove; "" removes all."""
        self._raw = {k: v for k, v in self._raw.items()
                     if key and k != key and not k.startswith(key + "/")}
        self._save()

    def clear(self) -> None:
        self._raw = {}
        self._save()

    def allKeys(self) -> list[str]:
        return list(self._raw)

    def sync(self) -> None:
        """Changes are written when made; here for QSettings' callers."""

    def _load(self) -> None:
        try:
            data = limits.read_small_file(self.path, MAX_SETTINGS_BYTES, ValueError,
                                          "settings file")
        except ValueError as e:
            if self.path.exists():
                log.warning("settings file unusable (%s); using the defaults", e)
            return
        raw, refused = parse_ini(data.decode("utf-8", errors="replace"))
        if refused:
            log.warning("settings file %s: %d value(s) that are not plain data ignored (%s); "
                        "they are never read", self.path, len(refused),
                        ", ".join(limits.shown(k) for k in refused[:5]))
        self._raw = raw

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".settings.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
                    f.write(format_ini(self._raw))
                os.replace(tmp, self.path)
                self._stamp = _stamp(self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as e:
            log.warning("settings not saved (%s)", e.strerror or e)


def _stamp(path: Path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def parse_ini(text: str) -> tuple[dict[str, str], list[str]]:
    """(key → raw value, keys refused): the INI lines QSettings writes, one ``key=value`` a
    line under ``[group]`` headers. A value that would not decode to plain data is refused
    here, so it is never kept, shown or written back."""
    raw: dict[str, str] = {}
    refused: list[str] = []
    group = ""
    for line in re.split(r"\r\n|\r|\n", text):     # not splitlines(): U+0085 is text here
        stripped = line.strip(_SPACE)
        if not stripped or stripped[0] in ";#":
            continue
        if stripped[0] == "[" and stripped[-1] == "]":
            name = _unescape_key(stripped[1:-1])
            group = "" if name == GENERAL else name + "/"
            continue
        key, equals, value = line.partition("=")
        key = key.strip(_SPACE)
        if not equals or not key:
            continue
        key = group + _unescape_key(key).replace("\\", "/")
        try:
            decode_value(value)
        except NotPlain:
            refused.append(key)
            continue
        raw[key] = value.strip(_SPACE)
    return raw, refused


def format_ini(raw: dict[str, str]) -> str:
    """The file QSettings would write for these raw values: [General] first, then a section
    per group."""
    groups: dict[str, list[str]] = {}
    for key, value in raw.items():
        group, slash, name = key.partition("/")
        if not slash:
            group, name = GENERAL, key
        groups.setdefault(group, []).append(f"{_escape_key(name)}={value}")
    order = sorted(groups, key=lambda g: (g != GENERAL, g))
    return "\n".join(f"[{_escape_key(g) if g != GENERAL else g}]\n" + "\n".join(groups[g]) + "\n"
                     for g in order)


def encode_value(value) -> str:
    """A plain value as QSettings writes it: text, bytes, a number, a bool or a list of text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _escape_string(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, str):
        return _escape_string("@" + value if value.startswith("@") else value)
    if isinstance(value, (bytes, bytearray, memoryview)) or type(value).__name__ == "QByteArray":
        return _escape_string("@ByteArray(" + bytes(value).decode("latin-1") + ")")
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        if not value:
            return "@Invalid()"
        return ", ".join(encode_value(v) for v in value)
    raise TypeError(f"settings hold text, numbers, bytes or lists of text, not "
                    f"{type(value).__name__}")


def decode_value(raw: str):
    """The plain value of a raw INI value: str, bytes, list of str or None; NotPlain for
    anything else (never deserialized)."""
    parts = _unescape(raw)
    if isinstance(parts, list):
        return [_plain(p, text_only=True) for p in parts]
    return _plain(parts)


def _plain(s: str, text_only: bool = False):
    """QSettings' stringToVariant, for plain values only."""
    if not s.startswith("@"):
        return s
    if s.startswith("@@"):
        return s[1:]
    if s.endswith(")"):
        if s.startswith("@ByteArray(") and not text_only:
            return s[len("@ByteArray("):-1].encode("latin-1", errors="replace")
        if s.startswith("@String("):
            return s[len("@String("):-1]
        if s == "@Invalid()" and not text_only:
            return None
        kind = s[1:s.find("(")] if "(" in s else s[1:]
        raise NotPlain(f"@{kind[:20]}")
    return s


def _unescape(raw: str):
    """QSettings' iniUnescapedStringList: a value, or a list if it has commas outside quotes.
    Spaces around an unquoted value are dropped (not escaped ones)."""
    items: list[str] = []
    out: list[str] = []
    size = keep = 0             # characters in ``out``; those up to ``keep`` stay if spaces
    quoted = in_quotes = is_list = False
    i, n = 0, len(raw)

    def add(text: str) -> None:
        nonlocal size
        out.append(text)
        size += len(text)

    def finish() -> str:
        text = "".join(out)
        return text if quoted else text[:keep] + text[keep:].rstrip(" \t")

    while i < n and raw[i] in " \t":
        i += 1
    while i < n:
        ch = raw[i]
        if ch == "\\":
            ch, i = raw[i + 1:i + 2], i + 2
            if ch in _ESCAPES and ch:
                add(_ESCAPES[ch])
            elif ch == "x" or "0" <= ch <= "7":
                pattern, base = _DIGITS["x" if ch == "x" else "o"]
                found = pattern.match(raw, i)
                assert found is not None            # a run of digits, maybe empty, matches
                digits = found.group()
                if ch != "x":
                    digits = ch + digits
                if digits:                  # a bare \x is skipped, as QSettings does
                    add(chr(int(digits, base) & 0xFFFF))
                i += len(digits) - (ch != "x")
            keep = size
        elif ch == '"':
            i += 1
            quoted, in_quotes, keep = True, not in_quotes, size
            if not in_quotes:
                while i < n and raw[i] in " \t":
                    i += 1
        elif ch == "," and not in_quotes:
            items.append(finish())
            is_list, out, size, keep, quoted = True, [], 0, 0, False
            i += 1
            while i < n and raw[i] in " \t":
                i += 1
        else:
            j = i + 1
            while j < n and raw[j] not in '\\",':
                j += 1
            add(raw[i:j])
            i = j
    return items + [finish()] if is_list else finish()


def _escape_string(s: str) -> str:
    """QSettings' iniEscapedString (UTF-8 file)."""
    out = []
    quote = False
    hex_before = False              # after \xNN a hex digit must be escaped too
    for ch in s:
        if ch in ";,=":
            quote = True
        if hex_before and ch in "0123456789abcdefABCDEF":
            out.append(f"\\x{ord(ch):x}")
            continue
        hex_before = False
        if ch == "\0":
            out.append("\\0")
            hex_before = True
        elif ch in _WRITE_ESCAPES:
            out.append(_WRITE_ESCAPES[ch])
        elif ord(ch) <= 0x1F:
            out.append(f"\\x{ord(ch):x}")
            hex_before = True
        else:
            out.append(ch)
    text = "".join(out)
    if quote or text.startswith(" ") or text.endswith(" "):
        text = f'"{text}"'
    return text


def _escape_key(key: str) -> str:
    """QSettings' iniEscapedKey (a "/" inside a section's key is written as "\\")."""
    out = []
    for ch in key:
        if ch == "/":
            out.append("\\")
        elif _KEY_SAFE.match(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"%{ord(ch):02X}")
        else:
            out.append(f"%U{ord(ch):04X}")
    return "".join(out)


def _unescape_key(key: str) -> str:
    """QSettings' iniUnescapedKey."""
    return re.sub(r"%(?:U([0-9A-Fa-f]{4})|([0-9A-Fa-f]{2}))",
                  lambda m: chr(int(m.group(1) or m.group(2), 16)), key)
