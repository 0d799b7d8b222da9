"""tanmap (碳 map): planning and asset maps for district carbon-peak plans (碳达峰实施方案)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
