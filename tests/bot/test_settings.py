import pytest

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings


def test_defaults_use_embedded_sqlite_and_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SLACK_API_URL", "SLACK_BOT_TOKEN", "JIRA_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert not settings.jira_enabled and not settings.socket_mode


def test_reads_the_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    env = tmp_path / ".env"
    env.write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_API_URL=http://127.0.0.1:9/api\n")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-env")
    settings = Settings(_env_file=env)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.socket_mode


def test_wrong_token_kind_is_named_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-oops")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert "SLACK_BOT_TOKEN" in str(err.value) and "xoxb-" in str(err.value)
    assert "xapp-oops" not in str(err.value)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("ONETEAM_SECRET", "pepper")
    text = repr(Settings(_env_file=None))
    assert "very-secret" not in text and "pepper" not in text
