"""tanmap api/routers package."""

__all__: list[str] = []
