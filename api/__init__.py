"""The HTTP service (SPEC §5-§10): Litestar over the engine; ``api.app.create_app``.

Nothing is imported here, so that importing one module does not load Litestar.
"""
