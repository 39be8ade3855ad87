"""The HTTP service (SPEC §5-§10): Litestar over the engine; ``api.app.create_app``.

Nothing is imported here, so that ``visites token`` (which needs ``api.tokens`` only)
does not load Litestar.
"""
