"""Configuration from the environment and `.env`, validated once at start-up.

Secrets are `SecretStr` so that they never show up in a repr, a log line or a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///oneteam.db"


class SettingsError(Exception):
    """The configuration is unusable; the message says which variable to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(SLACK_API_URL, validation_alias="SLACK_API_URL")
    slack_timeout: int = Field(30, ge=1, validation_alias="SLACK_TIMEOUT")
    # Slack's rate limits as a multiple of the documented ones (bot/pacing.py): background edits and Home
    # publishes are paced below each method's limit, and messages to one channel or DM go 1/scale s apart
    # (Slack: about 1 a second). 0: not paced, for a sandbox that enforces none.
    slack_rate_scale: float = Field(1.0, ge=0, validation_alias="SLACK_RATE_SCALE")
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    org_file: Path | None = Field(None, validation_alias=AliasChoices("ONETEAM_ORG", "org_file"))
    jira_url: str | None = Field(None, validation_alias="JIRA_URL")
    jira_user: str | None = Field(None, validation_alias="JIRA_USER")
    jira_token: SecretStr | None = Field(None, validation_alias="JIRA_TOKEN")
    jira_webhook_token: SecretStr | None = Field(None, validation_alias="JIRA_WEBHOOK_TOKEN")
    jira_timeout: float = Field(10.0, gt=0, validation_alias="JIRA_TIMEOUT")
    secret: SecretStr | None = Field(None, validation_alias="ONETEAM_SECRET")
    log_level: str = Field("INFO", validation_alias="ONETEAM_LOG_LEVEL")

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        return v

    @field_validator("database_url")
    @classmethod
    def _driver_installed(cls, v: str) -> str:
        """PostgreSQL's driver is an extra: without it, say what to install rather than fail on first use."""
        if v.startswith("postgresql"):
            try:
                import asyncpg  # type: ignore[import-untyped]  # noqa: F401
            except ImportError:
                raise ValueError("DATABASE_URL asks for PostgreSQL, but its driver is not installed: "
                                 "pip install 'oneteam[postgres]'") from None
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_slash(cls, v: str) -> str:
        return v if v.endswith("/") else v + "/"

    @field_validator("jira_url", "jira_user", "slack_bot_token", "slack_app_token", "slack_signing_secret",
                     "jira_token", "jira_webhook_token", "secret", "org_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def jira_enabled(self) -> bool:
        return bool(self.jira_url and self.jira_token)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error list into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            lines.append(f"  {name}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from None


def secret_value(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
