"""Settings from config/paperbot.toml and the environment."""

from recommender.settings import Settings


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
