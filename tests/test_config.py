"""Settings from the environment, and back."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings


def test_defaults_when_nothing_is_set():
    assert load_settings({}) == Settings()


def test_settings_survive_the_trip_to_a_child_process_environment():
    settings = Settings(
        mysql_url="mysql+pymysql://reader:secret@crm:3306/crm",
        data_dir=Path("/srv/visites/data"),
        tokens_file=Path("/etc/visites/tokens.json"),
        refresh_interval=900.0,
        keep_snapshots=3,
        batch_rows=10_000,
        cache_size=0,
        cache_bytes=1_000_000,
        mysql_timeout=2.5,
        poll_interval=0.5,
        memory_limit="1.5GiB",
        threads=4,
        cors_origins=("https://crm.example.com", "http://localhost:5173"),
        redis_url="redis://:secret@cache:6379/2",
        redis_prefix="team-a:",
        redis_ttl=600,
        redis_lock_timeout=2.5,
        redis_timeout=0.2,
    )
    assert load_settings(settings.environ()) == settings


def test_cors_origins_are_a_comma_separated_list():
    raw = " https://crm.example.com , http://localhost:5173,,"
    assert load_settings({"VISITES_CORS_ORIGINS": raw}).cors_origins == (
        "https://crm.example.com",
        "http://localhost:5173",
    )
    assert load_settings({"VISITES_CORS_ORIGINS": "*"}).cors_origins == ("*",)


@pytest.mark.parametrize("origin", ["https://crm.example.com/", "crm.example.com", "https://a b"])
def test_a_cors_origin_is_a_scheme_and_a_host(origin):
    raw = f"http://localhost:5173,{origin}"
    with pytest.raises(ConfigError) as refused:
        load_settings({"VISITES_CORS_ORIGINS": raw})
    assert str(refused.value) == (
        f"VISITES_CORS_ORIGINS={raw!r}: {origin!r} is not an origin such as "
        "https://crm.example.com (a scheme and a host, no path)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VISITES_BATCH_ROWS", "many", "is not a whole number"),
        ("VISITES_KEEP_SNAPSHOTS", "0", "must be at least 1"),
        ("VISITES_KEEP_SNAPSHOTS", "-2", "must be at least 1"),
        ("VISITES_BATCH_ROWS", "0", "must be at least 1"),
        ("VISITES_POLL_INTERVAL", "0.01", "must be at least 0.1"),
        # Non-finite numbers parse as floats, and would silently stop the poll loop.
        ("VISITES_POLL_INTERVAL", "nan", "is not a finite number"),
        ("VISITES_POLL_INTERVAL", "inf", "is not a finite number"),
        ("VISITES_REFRESH_INTERVAL", "NaN", "is not a finite number"),
        ("VISITES_REFRESH_INTERVAL", "-inf", "is not a finite number"),
        ("VISITES_MYSQL_TIMEOUT", "0", "must be at least 1"),
        # PyMySQL's own limit, which it would raise from deep in a connection attempt.
        ("VISITES_MYSQL_TIMEOUT", "1e9", "must be at most 31536000"),
        ("VISITES_CACHE_BYTES", "-1", "must be at least 0"),
        ("VISITES_MEMORY_LIMIT", "lots", "is not a size such as 512MB or 2GiB"),
        ("VISITES_MEMORY_LIMIT", "512", "is not a size such as 512MB or 2GiB"),
        ("VISITES_THREADS", "0", "must be at least 1"),
        ("VISITES_REDIS_TTL", "0", "must be at least 1"),
        ("VISITES_REDIS_LOCK_TIMEOUT", "nan", "is not a finite number"),
    ],
)
def test_unusable_values_name_the_variable(variable, value, message):
    with pytest.raises(ConfigError, match=f"{variable}='{value}' {message}"):
        load_settings({variable: value})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://:secret@cache:6379", "Redis URL must specify one of the following schemes"),
        ("redis://:secret@cache:port/0", "Port could not be cast to integer value as 'port'"),
    ],
)
def test_a_url_that_is_not_redis_is_refused_without_repeating_its_password(url, reason):
    with pytest.raises(ConfigError) as refused:
        load_settings({"VISITES_REDIS_URL": url})
    assert str(refused.value).startswith(f"VISITES_REDIS_URL is not a Redis URL: {reason}")
    assert "secret" not in str(refused.value)
