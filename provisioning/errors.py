"""Errors of the provisioning tool: one line for the technician, a stable code for scripts."""

from __future__ import annotations

from appliance.errors import KioskError


class ProvisionError(KioskError):
    """A provisioning step cannot go on; ``hint`` says what to do about it."""

    code = "provision-failed"

    def __init__(self, message: str, *, code: str | None = None, hint: str = "") -> None:
        super().__init__(message, code=code)
        self.hint = hint


class NotAvailable(ProvisionError):
    """This build lacks the part a command needs (e.g. the model runtime)."""

    code = "not-available"
