"""The settings: one list of every key, read from the environment by type, documented in the
README exactly as ``scripts/settings_table.py`` prints it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.config import (
    DEFAULTS,
    INSTANCE_DIR,
    SETTING_NAMES,
    SETTINGS,
    defaults,
    load_config,
    settings_table,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from settings_table import readme_table  # noqa: E402


def test_the_readme_table_is_the_one_the_settings_print():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table(readme) == settings_table(), (
        "README.md's configuration table is out of date: run "
        "`python scripts/settings_table.py --write`")


def test_every_environment_setting_has_a_row_with_its_default_and_every_row_is_a_setting():
    table = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    rows = {}
    for line in table.splitlines()[2:]:
        names, shown, meaning = (cell.strip() for cell in line.strip("|").split(" | "))
        for name in names.split(", "):
            rows[name.strip("`")] = (shown, meaning)
    environment = {s.variable: s for s in SETTINGS if s.variable}
    assert set(rows) == set(environment)
    for variable, setting in environment.items():
        assert rows[variable] == (setting.shown, setting.meaning), variable


def test_the_script_prints_the_table():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "settings_table.py")],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == settings_table()


def test_without_the_environment_every_setting_has_its_default():
    config = load_config({})
    assert set(config) == {s.name for s in SETTINGS if s.variable}
    assert all(config[name] == DEFAULTS[name] for name in config)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{INSTANCE_DIR / 'kith.sqlite3'}"


@pytest.mark.parametrize(("variable", "text", "key", "value"), [
    ("DATABASE_URL", "postgres://kith@db/kith", "SQLALCHEMY_DATABASE_URI",
     "postgresql+psycopg://kith@db/kith"),
    ("DATABASE_URL", "postgresql://kith@db/kith", "SQLALCHEMY_DATABASE_URI",
     "postgresql+psycopg://kith@db/kith"),
    ("DATABASE_URL", "", "SQLALCHEMY_DATABASE_URI", DEFAULTS["SQLALCHEMY_DATABASE_URI"]),
    ("FLASK_DEBUG", "1", "DEBUG", True),
    ("REDIS_URL", "redis://cache:6379/1", "RATELIMIT_STORAGE_URI", "redis://cache:6379/1"),
    ("REDIS_URL", "", "RATELIMIT_STORAGE_URI", "memory://"),
    ("RATELIMIT_ENABLED", "off", "RATELIMIT_ENABLED", False),
    ("RATELIMIT_ENABLED", "Yes", "RATELIMIT_ENABLED", True),
    ("SESSION_COOKIE_SECURE", "false", "SESSION_COOKIE_SECURE", False),
    ("SESSION_COOKIE_SECURE", " ", "SESSION_COOKIE_SECURE", None),
    ("HSTS_MAX_AGE", "0", "HSTS_MAX_AGE", 0),
    ("RANKING_CHECK_SECONDS", "0.25", "RANKING_CHECK_SECONDS", 0.25),
    ("RANKING_INDEX_DIR", "", "RANKING_INDEX_DIR", ""),  # empty: never saved
])
def test_the_environment_is_read_by_type(variable, text, key, value):
    assert load_config({variable: text})[key] == value


def test_each_app_gets_its_own_copy_of_the_mutable_defaults():
    first, second = defaults(), defaults()
    first["RANKING_WEIGHTS"]["distance"] = 1.0
    first["API_SPEC_OPTIONS"]["info"]["description"] = "changed"
    assert second["RANKING_WEIGHTS"] == DEFAULTS["RANKING_WEIGHTS"]
    assert second["API_SPEC_OPTIONS"]["info"]["description"] != "changed"
    assert DEFAULTS["RANKING_WEIGHTS"]["distance"] != 1.0


# Keys of Flask or an extension that Kith reads but leaves at the library's default
# (MAIL_FILE_PATH is Flask-Mailman's name for the outbox directory, set from MAIL_OUTBOX_DIR).
LIBRARY_KEYS: frozenset[str] = frozenset({"MAIL_FILE_PATH"})


def test_every_key_the_code_reads_is_a_setting():
    """No ``config.get("X", default)`` with a default of its own: every key is listed."""
    read = set()
    pattern = re.compile(
        r"""config(?:\.get\(|\.setdefault\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in (ROOT / "matcher").rglob("*.py"):
        read |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert read, "the pattern finds nothing: has the code changed how it reads settings?"
    assert read - SETTING_NAMES - LIBRARY_KEYS == set()


def test_gunicorn_reads_dotenv_like_the_cli_and_the_environment_wins(tmp_path, monkeypatch):
    """wsgi:app (what gunicorn serves) builds its app from the same settings as `flask`:
    a DATABASE_URL in .env is the database served, not only the one migrated."""
    from matcher import config as settings
    from matcher import create_app

    env_file = tmp_path / ".env"
    served = tmp_path / "served.sqlite3"
    env_file.write_text(f"DATABASE_URL=sqlite:///{served}\nSECRET_KEY=from-dotenv\n"
                        "RANKING_CHECK_SECONDS=7\n", encoding="utf-8")
    monkeypatch.setattr(settings, "ENV_FILE", env_file)
    for variable in ("DATABASE_URL", "SECRET_KEY", "RANKING_CHECK_SECONDS"):
        monkeypatch.delenv(variable, raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{served}"
    assert app.config["SECRET_KEY"] == "from-dotenv"
    monkeypatch.setenv("RANKING_CHECK_SECONDS", "2")
    assert create_app().config["RANKING_CHECK_SECONDS"] == 2


def test_without_secret_key_every_command_uses_the_key_make_run_keeps(tmp_path, monkeypatch):
    from matcher import config as settings
    from matcher import create_app

    monkeypatch.setattr(settings, "ENV_FILE", tmp_path / "no.env")
    monkeypatch.setattr(settings, "SECRET_KEY_FILE", tmp_path / "secret_key")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'k.sqlite3'}")
    with pytest.raises(settings.ConfigError, match="SECRET_KEY is not set"):
        create_app()
    (tmp_path / "secret_key").write_text("kept-by-make-run\n", encoding="utf-8")
    assert create_app().config["SECRET_KEY"] == "kept-by-make-run"
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
