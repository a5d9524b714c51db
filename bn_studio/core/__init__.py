"""NumPy-only training core, in layers (each imports only those below it; pyproject.toml's
import contracts check it): lessons, search, training, then measure and data, then nn.

- nn: layers, batch norm, losses, networks and optimizers (the maths of one step);
- data: toy datasets, drawn points and CSV files, split and standardised;
- measure: what the views show (histograms, diagnostics, grids, unit maps, snapshots, replay);
- training: the twins and populations, their config and parameters, changes and results;
- search: random (or grid) searches on the right scale, run in worker processes;
- lessons: the lesson packs and the numbers each lesson talks about.

limits.py (every size limit) and procs.py (child processes) sit beside them, used by all.
Nothing in this package may import Qt or pyqtgraph (tests/core/test_no_qt.py checks it).
"""
