"""NumPy-only training core: layers, losses, networks, optimizers, datasets, trainer, search.

Nothing in this package may import Qt or pyqtgraph (tests/core/test_no_qt.py checks it).
"""
