"""The main menu: welcome, help, cancel from any step, and the language switch.

Other features add their own menu items; this module only renders them for the user's role.
"""

from __future__ import annotations

from bot.core.dispatcher import Dispatcher
from bot.core.i18n import LANGUAGES, Translator
from bot.core.registry import Command, Registry
from bot.core.turn import Turn
from bot.core.types import Choice, Reply


def _name(turn: Turn) -> str:
    return turn.user.display_name or turn.t("menu.friend")


class MenuFeature:
    """Registers /start, /help, /cancel and /lang."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    def register(self, registry: Registry) -> None:
        """Add the commands and their Vietnamese aliases."""
        registry.add_command(Command(("/start", "bắt đầu"), self.start, help_key="help.start"))
        registry.add_command(Command(("/menu", "menu", "xin chào", "chào"), self.show))
        registry.add_command(
            Command(("/help", "/trogiup", "trợ giúp", "giúp"), self.help, help_key="help.help")
        )
        registry.add_command(
            Command(("/cancel", "/huy", "huỷ", "thoát"), self.cancel, help_key="help.cancel")
        )
        registry.add_command(
            Command(("/lang", "/ngonngu"), self.language, takes_argument=True, help_key="help.lang")
        )

    async def start(self, turn: Turn) -> list[Reply]:
        """Introduces the assistant and shows the main menu (leaving any flow)."""
        turn.session.clear()
        key = "menu.welcome_staff" if turn.user.is_staff else "menu.welcome"
        return self.dispatcher.menu(turn, greeting=turn.t(key, name=_name(turn)))

    async def show(self, turn: Turn) -> list[Reply]:
        """Greets briefly and shows the main menu, leaving any flow (/start introduces)."""
        turn.session.clear()
        return self.dispatcher.menu(turn, greeting=turn.t("menu.hello", name=_name(turn)))

    async def help(self, turn: Turn) -> list[Reply]:
        """Lists what the assistant can do and the commands for the user's role."""
        lines = [turn.t("help.intro")]
        for command in self.dispatcher.registry.command_list:
            if command.help_key and turn.user.role in command.roles:
                lines.append(f"{command.names[0]} — {turn.t(command.help_key)}")
        lines.append(turn.t("help.official"))
        return [Reply("\n".join(lines), (Choice(turn.t("menu.back_to_menu"), "menu:main"),))]

    async def cancel(self, turn: Turn) -> list[Reply]:
        """Leaves the current flow at any step and shows the menu (the dispatcher's cancel)."""
        return self.dispatcher.cancel(turn)

    async def language(self, turn: Turn) -> list[Reply]:
        """Switches between Vietnamese and English (`/lang vi|en`)."""
        wanted = turn.argument.strip().lower()
        if wanted not in LANGUAGES:
            return [turn.reply("menu.lang_usage")]
        await turn.services.users.set_language(turn.user.id, wanted)
        turn.t = Translator(wanted)
        return self.dispatcher.menu(turn, greeting=turn.t("menu.lang_set"))
