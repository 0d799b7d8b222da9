"""Adapters: the FastAPI app and the ``tanmap`` CLI. Thin: they call layers/ and geo/."""

__all__: list[str] = []
