"""Workflow errors: a one-line message (host, step, what failed) and a next action, never a secret."""

from __future__ import annotations


class WorkflowError(Exception):
    """A step could not be done; ``next_action`` says what the operator should do."""

    def __init__(self, message: str, next_action: str = ""):
        self.next_action = next_action
        super().__init__(message)
