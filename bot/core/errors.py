"""Typed domain errors routed to the dispatcher's single error boundary."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected problem the user can fix; shown as the translated message `key`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class PermissionDenied(UserFacingError):
    """The user's role or ward does not allow the action (checked on the server)."""

    def __init__(self) -> None:
        super().__init__("error.permission")


class ChannelError(Exception):
    """A channel could not deliver a message."""


class RecipientBlocked(ChannelError):
    """The recipient blocked the bot or left; further sends are pointless."""
