"""Settings from an injectable mapping (environment plus `.env`), cast explicitly.

Nothing is read at import time: `Config.from_env()` builds the settings when the composition
root asks for them, and tests pass their own mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that never shows in reprs or logs."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')" if self.value else "Secret('')"

    def __bool__(self) -> bool:
        return bool(self.value)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple `.env` file (KEY=VALUE lines, `#` comments, optional quotes)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _database_url(raw: str) -> str:
    """`DATABASE_URL`: empty (the SQLite file at `DATABASE_PATH`), `postgresql://` or `sqlite:///`."""
    if raw and not raw.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise ConfigError(
            f"DATABASE_URL must start with postgresql:// or sqlite:///, got {raw.split(':')[0]!r}"
        )
    return raw


@dataclass(frozen=True, slots=True)
class Config:
    """All settings of one process; see `.env.example` for each key."""

    database_path: Path
    database_url: Secret
    telegram_token: Secret
    telegram_base_url: str
    webhook_listen: str
    webhook_port: int
    webhook_url: str
    webhook_secret: Secret
    default_language: str
    session_ttl_hours: int
    demo_data: bool
    zalo_oa_app_id: str
    zalo_oa_secret_key: Secret
    zalo_oa_access_token: Secret
    zalo_oa_refresh_token: Secret
    zalo_oa_api_base: str
    zalo_oauth_base: str
    zalo_bot_token: Secret
    zalo_bot_api_base: str
    zalo_bot_secret: Secret
    http_listen: str
    http_port: int
    web_url: str = "http://127.0.0.1:8080"
    """The web site's address, no trailing slash (WEB_BASE_URL; default http://HTTP_LISTEN:PORT)."""

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Config:
        """Build settings from `env`, casting each value and failing loudly on bad ones."""

        def get(key: str, default: str) -> str:
            return env.get(key, default).strip()

        def get_int(key: str, default: int) -> int:
            raw = get(key, str(default))
            try:
                return int(raw)
            except ValueError as exc:
                raise ConfigError(f"{key} must be an integer, got {raw!r}") from exc

        def get_bool(key: str, default: bool) -> bool:
            raw = get(key, "1" if default else "0").lower()
            if raw in {"1", "true", "yes", "on"}:
                return True
            if raw in {"0", "false", "no", "off"}:
                return False
            raise ConfigError(f"{key} must be a boolean, got {raw!r}")

        language = get("DEFAULT_LANGUAGE", "vi")
        if language not in {"vi", "en"}:
            raise ConfigError(f"DEFAULT_LANGUAGE must be vi or en, got {language!r}")
        return cls(
            database_path=Path(get("DATABASE_PATH", "data/giamngheo.sqlite3")),
            database_url=Secret(_database_url(get("DATABASE_URL", ""))),
            telegram_token=Secret(get("TELEGRAM_BOT_TOKEN", "")),
            telegram_base_url=get("TELEGRAM_BASE_URL", "https://api.telegram.org/bot"),
            webhook_listen=get("WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=get_int("WEBHOOK_PORT", 8443),
            webhook_url=get("WEBHOOK_URL", ""),
            webhook_secret=Secret(get("WEBHOOK_SECRET", "")),
            default_language=language,
            session_ttl_hours=get_int("SESSION_TTL_HOURS", 72),
            demo_data=get_bool("DEMO_DATA", True),
            zalo_oa_app_id=get("ZALO_OA_APP_ID", ""),
            zalo_oa_secret_key=Secret(get("ZALO_OA_SECRET_KEY", "")),
            zalo_oa_access_token=Secret(get("ZALO_OA_ACCESS_TOKEN", "")),
            zalo_oa_refresh_token=Secret(get("ZALO_OA_REFRESH_TOKEN", "")),
            zalo_oa_api_base=get("ZALO_OA_API_BASE", "https://openapi.zalo.me"),
            zalo_oauth_base=get("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com"),
            zalo_bot_token=Secret(get("ZALO_BOT_TOKEN", "")),
            zalo_bot_api_base=get("ZALO_BOT_API_BASE", "https://bot-api.zapps.me/bot"),
            zalo_bot_secret=Secret(get("ZALO_BOT_SECRET", "")),
            http_listen=get("HTTP_LISTEN", "127.0.0.1"),
            http_port=get_int("HTTP_PORT", 8080),
            web_url=(
                get("WEB_BASE_URL", "")
                or f"http://{get('HTTP_LISTEN', '127.0.0.1')}:{get_int('HTTP_PORT', 8080)}"
            ).rstrip("/"),
        )

    @property
    def database(self) -> str:
        """What `storage.db.connect` opens: `DATABASE_URL` if set, else the `DATABASE_PATH` file."""
        return self.database_url.value or str(self.database_path)

    @classmethod
    def from_env(cls, dotenv: Path = Path(".env")) -> Config:
        """Settings from `.env` overlaid by the process environment."""
        merged = read_dotenv(dotenv)
        merged.update(os.environ)
        return cls.from_mapping(merged)
