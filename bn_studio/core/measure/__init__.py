"""What the views show, computed in the core: histograms, diagnostics, decision grids, unit maps,
the training rate, and the snapshots (and their replay) that carry all of it to the window."""
