"""The data model: layer kinds, schemas, validation, readers/writers and the project store."""

__all__: list[str] = []
