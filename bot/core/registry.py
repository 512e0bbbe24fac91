"""The registry features fill at start-up: menu items, commands, flows, button actions.

Registration is explicit and ordered in `bot/app.py`; the registry refuses two owners for one
command or payload prefix, so a conflict fails at start-up, not in a chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.flow import Signal
from bot.core.text import fold
from bot.core.turn import Turn
from bot.core.types import Reply, Role
from storage.db import Tx

Handler = Callable[[Turn], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """An open case an erasure withdrew: the ward whose officers are told, and its code."""

    ward_id: str
    code: str


@dataclass(frozen=True, slots=True)
class Erased:
    """What one feature's eraser did (or, in a dry run, would do) for one user.

    Attributes:
        removed: records deleted, by kind; each kind `k` is the catalog key `privacy.kind.k`.
        kept: records kept with their personal fields blanked (anonymised), by kind likewise.
        withdrawn: open cases the erasure withdrew, so their ward's officers can be told.
    """

    removed: Mapping[str, int] = field(default_factory=dict)
    kept: Mapping[str, int] = field(default_factory=dict)
    withdrawn: tuple[Withdrawn, ...] = ()


class Eraser(Protocol):
    """A feature's part of `/xoadulieu`, run inside the caller's transaction.

    With `dry_run` it only reads and reports what it would remove and keep (shown to the
    user before they confirm); without, it deletes or anonymises and reports what it did.
    """

    def __call__(self, conn: Tx, user_id: int, *, dry_run: bool) -> Awaitable[Erased]:
        """Erase (or count) one user's records of this feature."""
        ...


EVERYONE = frozenset(Role)
STAFF = frozenset({Role.OFFICER, Role.ADMIN})


class Flow(Protocol):
    """A multi-step dialogue; its button payloads start with `name + ":"`."""

    @property
    def name(self) -> str:
        """The flow's payload prefix and session flow name."""
        ...

    @property
    def roles(self) -> frozenset[Role]:
        """Who may use it."""
        ...

    async def start(self, turn: Turn) -> list[Reply]:
        """Enter the flow and show its first step."""
        ...

    async def handle(self, turn: Turn) -> list[Reply] | Signal:
        """Handle input while the session is in this flow (see `bot.core.flow.Signal`)."""
        ...


@dataclass(frozen=True, slots=True)
class MenuItem:
    """An entry of the main menu; `label_key` is a catalog key."""

    key: str
    label_key: str
    start: Handler
    roles: frozenset[Role] = EVERYONE
    order: int = 100


@dataclass(frozen=True, slots=True)
class Command:
    """A command and its spoken aliases (matched after folding diacritics and case)."""

    names: tuple[str, ...]
    handler: Handler
    roles: frozenset[Role] = EVERYONE
    help_key: str | None = None
    takes_argument: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """A stateless button handler for payloads starting with `prefix`."""

    prefix: str
    handler: Handler
    roles: frozenset[Role] = EVERYONE


class RegistryError(ValueError):
    """Two features claimed the same command, menu key or payload prefix."""


class Registry:
    """Everything the dispatcher can route to."""

    def __init__(self) -> None:
        self.menu: list[MenuItem] = []
        self.commands: dict[str, Command] = {}
        self.flows: dict[str, Flow] = {}
        self.actions: dict[str, Action] = {}
        self.fallback: Handler | None = None
        self.command_list: list[Command] = []
        self.erasers: dict[str, Eraser] = {}

    def add_menu_item(self, item: MenuItem) -> None:
        """Add a main-menu item (payload `menu:<key>`)."""
        if any(existing.key == item.key for existing in self.menu):
            raise RegistryError(f"menu item {item.key!r} registered twice")
        self.menu.append(item)
        self.menu.sort(key=lambda entry: entry.order)

    def add_command(self, command: Command) -> None:
        """Add a command with its aliases."""
        for name in command.names:
            folded = fold(name)
            if folded in self.commands:
                raise RegistryError(f"command {name!r} registered twice")
            self.commands[folded] = command
        self.command_list.append(command)

    def add_flow(self, flow: Flow) -> None:
        """Add a multi-step flow (payload prefix `<name>:`)."""
        self._claim(flow.name)
        self.flows[flow.name] = flow

    def add_action(self, action: Action) -> None:
        """Add a stateless button action (payload prefix `<prefix>:`)."""
        self._claim(action.prefix)
        self.actions[action.prefix] = action

    def set_fallback(self, handler: Handler) -> None:
        """The handler for free text outside any flow (the Q&A search)."""
        if self.fallback is not None:
            raise RegistryError("fallback registered twice")
        self.fallback = handler

    def add_eraser(self, feature: str, eraser: Eraser) -> None:
        """A feature's part of `/xoadulieu`: delete or anonymise what it stores about a user."""
        if feature in self.erasers:
            raise RegistryError(f"eraser {feature!r} registered twice")
        self.erasers[feature] = eraser

    def _claim(self, prefix: str) -> None:
        if ":" in prefix or prefix == "menu":
            raise RegistryError(f"bad payload prefix {prefix!r}")
        if prefix in self.flows or prefix in self.actions:
            raise RegistryError(f"payload prefix {prefix!r} registered twice")

    def menu_for(self, role: Role) -> list[MenuItem]:
        """The menu items a role may see, in order."""
        return [item for item in self.menu if role in item.roles]

    def find_command(self, text: str) -> tuple[Command, str] | None:
        """The command `text` invokes (by name or alias) and its argument."""
        folded = fold(text)
        if not folded:
            return None
        if folded in self.commands:
            return self.commands[folded], ""
        head, _, rest = text.strip().partition(" ")
        head_folded = fold(head.split("@", 1)[0])
        command = self.commands.get(head_folded)
        if command is not None and (command.takes_argument or not rest.strip()):
            return command, rest.strip()
        return None

    def owners(self) -> Iterable[str]:
        """All claimed payload prefixes (for tests)."""
        return [*self.flows, *self.actions]
