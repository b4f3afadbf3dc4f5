"""Workflow errors: a one-line message (host, step, what failed) and a next action, never a secret."""

from __future__ import annotations


class WorkflowError(Exception):
    """A step could not be done; ``next_action`` says what the operator should do."""

    def __init__(self, message: str, next_action: str = ""):
        self.next_action = next_action
        super().__init__(message)


class DuplicateNumber(WorkflowError):
    """Registration refused before it was sent: another saved cluster profile has the same cc/phone_number
    (field case R23). ``diagnosis`` is the DUPLICATE_REGISTRATION_RISK entry with the other clusters named."""

    def __init__(self, message: str, next_action: str, diagnosis: object):
        self.diagnosis = diagnosis
        super().__init__(message, next_action)
