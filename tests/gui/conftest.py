import pytest

from bn_studio.gui.model import StudioModel


@pytest.fixture
def model(qtbot):
    """A studio model with its training worker; shut down after the test."""
    m = StudioModel()
    yield m
    m.shutdown()
