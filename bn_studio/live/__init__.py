"""The live engine: the training process behind the window and its typed protocol (no Qt)."""
