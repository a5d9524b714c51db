"""The PySide6 + pyqtgraph app: views that draw snapshots from the core and never compute maths."""
