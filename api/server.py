"""The app uvicorn runs (``visites serve``): settings from the environment, engine owned."""

from __future__ import annotations

import logging

from litestar import Litestar

from api.app import create_app
from config import load_settings, metrics_dir
from engine import Engine
from engine.serving import Resources


def app_from_environment() -> Litestar:
    """uvicorn factory: each worker process makes its own engine and closes it at exit.
    Nothing is opened here, so the port opens at once; the app attaches the snapshot."""
    logging.captureWarnings(True)  # a library's warning is a JSON log line too (api/logs.py)
    settings = load_settings()
    engine = Engine(settings.data_dir, resources=Resources.of(settings))
    app = create_app(settings, engine, metrics_dir=metrics_dir())
    app.on_shutdown.append(engine.close)
    return app
