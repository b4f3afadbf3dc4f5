"""The engine tests' simulated cluster fixtures (a demo cluster, installed)."""

from tests.engine.conftest import demo, installed  # noqa: F401 - pytest fixtures
