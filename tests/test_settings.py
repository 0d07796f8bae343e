"""Settings from config/paperbot.toml and the environment."""

from pathlib import Path

import pytest

from bot.settings import DEFAULT_CONFIG, ConfigError, Settings, config_path, get_settings


def test_slack_api_url_from_the_flat_environment_name(monkeypatch):
    monkeypatch.setenv("PAPERBOT_SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert Settings().slack.api_url == "http://127.0.0.1:9/api/"
    monkeypatch.setenv("PAPERBOT_SLACK__API_URL", "http://127.0.0.1:8/api/")
    assert Settings().slack.api_url == "http://127.0.0.1:8/api/"


def test_environment_overrides_the_toml_file(monkeypatch, tmp_path):
    config = tmp_path / "paperbot.toml"
    config.write_text('data_dir = "from-toml"\n[digest]\ntime = "07:00"\n')
    monkeypatch.setenv("PAPERBOT_CONFIG", str(config))
    assert Settings().digest.time == "07:00"
    monkeypatch.setenv("PAPERBOT_DIGEST__TIME", "06:30")
    monkeypatch.setenv("PAPERBOT_DATABASE_URL", "postgresql+psycopg://db/paperbot")
    settings = Settings()
    assert settings.digest.time == "06:30"
    assert settings.resolved_database_url() == "postgresql+psycopg://db/paperbot"


def load(monkeypatch, tmp_path, text: str) -> Settings:
    """The settings of a config file holding ``text``, loaded as the CLI loads them."""
    config = tmp_path / "paperbot.toml"
    config.write_text(text)
    monkeypatch.setenv("PAPERBOT_CONFIG", str(config))
    get_settings.cache_clear()
    try:
        return get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("text, key", [
    ('[digest]\ntmie = "09:00"\n', "digest.tmie: unknown key"),
    ("[recomender]\npicks = 3\n", "recomender: unknown key"),
    ('databse_url = "sqlite://"\n', "databse_url: unknown key"),
    ('[[sources]]\nkind = "inbox"\npath = "in"\nevery_minute = 5\n', "sources[0].every_minute: unknown key"),
])
def test_a_typo_in_the_config_is_an_error_naming_the_key(monkeypatch, tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, text)
    assert str(info.value) == f"{tmp_path / 'paperbot.toml'}: {key}"


def test_a_typo_in_an_environment_override_is_an_error_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERBOT_DIGEST__TMIE", "07:00")
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, "")
    assert str(info.value) == "PAPERBOT_DIGEST__TMIE (environment): unknown key"


def test_a_bad_value_from_the_environment_is_not_blamed_on_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERBOT_DIGEST__TIMEZONE", "Mars/Base")
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, '[digest]\ntime = "07:00"\n')
    assert str(info.value).startswith("PAPERBOT_DIGEST__TIMEZONE (environment): `Mars/Base` is not a timezone")


@pytest.mark.parametrize("name, value, blamed", [
    ("paperbot_digest__timezone", "Mars/Base", "paperbot_digest__timezone (environment): "),
    ("PAPERBOT_DIGEST", '{"timezone": "Mars/Base"}', "PAPERBOT_DIGEST (environment): timezone: "),
    ("Paperbot_Digest", '{"size": 3, "timezone": "Mars/Base"}', "Paperbot_Digest (environment): timezone: "),
])
def test_a_bad_value_from_a_variable_in_any_case_or_a_parent_s_json_is_blamed_on_it(monkeypatch, tmp_path, name, value,
                                                                                    blamed):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, '[digest]\ntime = "07:00"\n')
    assert str(info.value).startswith(blamed + "`Mars/Base` is not a timezone"), str(info.value)


def test_a_parent_s_json_is_blamed_only_for_the_keys_it_holds(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERBOT_DIGEST", '{"size": 3}')
    monkeypatch.setenv("PAPERBOT_SOURCES", '[{"kind": "inbox", "path": "in", "every_minute": 5}]')
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, '[digest]\ntimezone = "Mars/Base"\n')
    assert str(info.value).splitlines() == [
        f"{tmp_path / 'paperbot.toml'}: digest.timezone: `Mars/Base` is not a timezone; use an IANA name such as "
        "Europe/Berlin", "PAPERBOT_SOURCES (environment): [0].every_minute: unknown key"]


def test_an_empty_paperbot_config_is_unset(monkeypatch):
    monkeypatch.setenv("PAPERBOT_CONFIG", "")
    get_settings.cache_clear()
    try:
        assert config_path() == DEFAULT_CONFIG  # not ".", which is no config file
        assert get_settings().digest.size >= 1  # the default file's settings, no error
    finally:
        get_settings.cache_clear()


def test_digest_time_and_timezone_are_checked_at_load(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match=r"digest.time: `25:99` is not a time: hours go from 00 to 23"):
        load(monkeypatch, tmp_path, '[digest]\ntime = "25:99"\n')
    with pytest.raises(ConfigError, match=r"digest.timezone: `Mars/Base` is not a timezone"):
        load(monkeypatch, tmp_path, '[digest]\ntimezone = "Mars/Base"\n')
    settings = load(monkeypatch, tmp_path, '[digest]\ntime = "7:05"\ntimezone = "Europe/Berlin"\n')
    assert (settings.digest.time, settings.digest.timezone) == ("07:05", "Europe/Berlin")


def test_a_source_of_unknown_kind_is_an_error_naming_it(monkeypatch, tmp_path):
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, '[[sources]]\nkind = "hf_api"\n\n[[sources]]\nkind = "rss_feed"\n')
    assert "sources[1]" in str(info.value) and "'rss_feed'" in str(info.value)
    assert "hf_api, arxiv_rss, inbox" in str(info.value)
    with pytest.raises(ConfigError, match=r"sources\[0\]: kind is missing"):
        load(monkeypatch, tmp_path, '[[sources]]\npath = "in"\n')


def test_every_problem_is_reported_at_once(monkeypatch, tmp_path):
    with pytest.raises(ConfigError) as info:
        load(monkeypatch, tmp_path, 'log_level = "LOUD"\n[digest]\nsize = 0\n[slack]\nmode = "rtm"\n')
    lines = str(info.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["log_level", "digest.size", "slack.mode"]


def test_the_default_database_is_one_per_user_not_per_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("PAPERBOT_DATA_DIR", raising=False)
    monkeypatch.delenv("PAPERBOT_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    urls = set()
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        urls.add(load(monkeypatch, tmp_path, "").resolved_database_url())
    assert urls == {f"sqlite:///{tmp_path / 'xdg' / 'paperbot' / 'paperbot.db'}"}


def test_relative_paths_in_the_config_file_are_read_from_its_folder_wherever_paperbot_runs(monkeypatch, tmp_path):
    """A cron job or systemd unit runs paperbot from another folder: the file's paths still mean what the file says."""
    for name in ("PAPERBOT_DATA_DIR", "PAPERBOT_DATABASE_URL", "PAPERBOT_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "team"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    text = ('data_dir = "data"\n[[sources]]\nkind = "inbox"\npath = "drop/inbox"\n'
            '[[sources]]\nkind = "inbox"\nname = "home"\npath = "~/inbox"\n'
            f'[[sources]]\nkind = "inbox"\nname = "abs"\npath = "{tmp_path / "abs"}"\n')
    settings = load(monkeypatch, folder, text)
    assert [s.path for s in settings.sources] == [folder / "drop" / "inbox", Path.home() / "inbox", tmp_path / "abs"]
    assert settings.resolved_database_url() == f"sqlite:///{folder / 'data' / 'paperbot.db'}"
    assert load(monkeypatch, folder, 'data_dir = "data"\n').ingest_sources()[0].path == folder / "data" / "inbox"
    relative_url = load(monkeypatch, folder, 'database_url = "sqlite:///db/paperbot.db?timeout=5"\n')
    assert relative_url.resolved_database_url() == f"sqlite:///{folder / 'db' / 'paperbot.db'}?timeout=5"
    for url in ("sqlite://", "sqlite:///:memory:", f"sqlite:///{tmp_path / 'x.db'}", "postgresql+psycopg://db/paperbot"):
        assert load(monkeypatch, folder, f'database_url = "{url}"\n').resolved_database_url() == url
    # the environment's values are not the file's: they stay relative to the working directory
    monkeypatch.setenv("PAPERBOT_DATA_DIR", "env-data")
    monkeypatch.setenv("PAPERBOT_SOURCES", '[{"kind": "inbox", "path": "env-inbox"}]')
    from_env = load(monkeypatch, folder, text)
    assert from_env.resolved_database_url() == f"sqlite:///{elsewhere / 'env-data' / 'paperbot.db'}"
    assert [s.path for s in from_env.sources] == [Path("env-inbox")]
