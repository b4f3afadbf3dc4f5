"""The reliability suite: the engine tests' simulated cluster fixtures, and its figures in the summary."""

from tests.engine.conftest import demo, installed  # noqa: F401 - pytest fixtures

from .figures import FIGURES


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
