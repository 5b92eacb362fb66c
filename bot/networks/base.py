"""The contract every network adapter implements, and the one error vocabulary they all report in.

The worker's retry logic is written once against these errors: it never asks which network failed.
"""

from __future__ import annotations

from datetime import datetime

from bot.errors import CablebotError


class PublishError(CablebotError):
    """A publish did not go through. Subclasses say what the caller should do about it."""


class RateLimited(PublishError):
    """Wait until `until` (timezone-aware UTC) before trying this account again."""

    def __init__(self, message: str, until: datetime) -> None:
        self.until = until
        super().__init__(message)


class Transient(PublishError):
    """Worth retrying after a back-off (network trouble, 5xx, timeouts)."""


class Rejected(PublishError):
    """The network refused this post for good (its reason in the message); do not retry it."""


class AuthFailed(PublishError):
    """The account's credentials are missing, wrong or revoked: an editor must fix them."""
