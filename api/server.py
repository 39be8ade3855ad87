"""The app uvicorn runs (``visites serve``): settings from the environment, engine owned."""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from config import load_settings
from engine import Engine, NoSnapshot, SnapshotRefused


def app_from_environment() -> Litestar:
    """uvicorn factory: each worker process opens its own engine and closes it at exit."""
    settings = load_settings()
    try:
        engine = Engine.open(settings.data_dir)
    except (NoSnapshot, SnapshotRefused) as error:
        raise SystemExit(f"visites serve: failed: {error}") from None
    app = create_app(settings, engine)
    app.on_shutdown.append(engine.close)
    return app
