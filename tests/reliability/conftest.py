"""The reliability suite: the engine tests' simulated cluster fixtures (its figures: tests/reliability/figures.py)."""

from tests.engine.conftest import demo, installed  # noqa: F401 - pytest fixtures
