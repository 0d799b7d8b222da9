"""The data model: layer kinds and schemas, validation, readers and writers, and the project store."""

__all__: list[str] = []
