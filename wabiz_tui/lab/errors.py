"""Errors of the lab."""

from __future__ import annotations


class LabError(RuntimeError):
    """A lab step failed; the message names the step and carries the tool's last output lines."""


class LabRefused(LabError):
    """The lab cannot run here at all (not root, not Linux, a tool missing): one clear sentence."""


class LabBadArgument(LabError, ValueError):
    """A lab command was given a value it cannot use (an unknown host, fault mode or DNS name): one sentence naming
    the value and what is accepted; the ``lab`` face exits 2 for it, as for any bad argument."""


class LabNotUp(LabError):
    """A command that acts on the lab found none up: nothing was done (the ``lab`` face exits 3: it could not run)."""

    def __init__(self, message: str = "no lab is up: `wabiz-tui lab up` first"):
        super().__init__(message)
