"""Layers, networks, losses and optimizers: the maths of one step."""
