"""Copy a whole project store to another (GeoPackage <-> PostGIS), proving it lossless.

:func:`copy_store` writes, into an empty destination store, every district boundary, every layer
with every kept version in order (or only the current versions) and every indicator value. Each
version written must reproduce the source version's feature count and SHA-256 checksum (both
backends hash the same stored rows identically), so a finished copy with ``ok`` is lossless.

What a copy does not keep: the time stamps (each copied version is stamped with the time of the
copy, its history entry keeps the source's author and source text), versions the source no longer
keeps (written before the store kept history; the copied versions are then numbered 1, 2, ...
without the gaps) and the indicators' entry times. Raster layers (files beside a GeoPackage) are
not copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tanmap.geo.errors import StoreError
from tanmap.layers.kinds import LayerKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from tanmap.layers.store.base import Store

__all__ = ["CopiedLayer", "CopyReport", "copy_store"]


@dataclass(frozen=True)
class CopiedLayer:
    """One layer (kind, district) copied: its versions and the checksums of its current one.

    中文：已复制图层（版本数、源与目标校验和）。

    Parameters
    ----------
    kind, district
        The layer.
    versions
        Versions written to the destination (kept versions of the source, oldest first).
    skipped
        Source versions that are not kept (their features are gone) and so not copied.
    n_features
        Features of the current version.
    source_checksum, copy_checksum
        SHA-256 of the current version in the source and in the destination.
    mismatched
        Source versions whose copy gave another checksum or feature count (empty when lossless).
    """

    kind: LayerKind
    district: str
    versions: int
    skipped: tuple[int, ...]
    n_features: int
    source_checksum: str
    copy_checksum: str
    mismatched: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Return whether every copied version reproduced its checksum."""
        return not self.mismatched and self.source_checksum == self.copy_checksum


@dataclass(frozen=True)
class CopyReport:
    """What :func:`copy_store` copied; ``ok`` when every layer and indicator came out equal.

    中文：项目库复制结果。
    """

    layers: tuple[CopiedLayer, ...]
    indicators: int
    indicators_equal: bool

    @property
    def ok(self) -> bool:
        """Return whether the copy is lossless (checksums and indicators equal)."""
        return self.indicators_equal and all(layer.ok for layer in self.layers)


def copy_store(
    source: Store,
    target: Store,
    *,
    history: bool = True,
    progress: Callable[[CopiedLayer], None] | None = None,
) -> CopyReport:
    """Copy every district, layer (with its kept versions) and indicator of ``source``.

    中文：复制整个项目库（区县、各图层及其历史版本、指标），逐层核对校验和。

    Parameters
    ----------
    source
        The store to read (any backend).
    target
        An empty store (created, holding no layer yet), any backend.
    history
        Copy every kept version in order (default); False copies only the current versions.
    progress
        Called with each layer once it is copied.

    Returns
    -------
    CopyReport
        Per layer: versions copied, current checksums in source and copy; ``ok`` when lossless.

    Raises
    ------
    StoreError
        If ``target`` already holds layers (copy into a new store), or a write fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tanmap.layers.store import open_store
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> copy_store(open_store(tmp / "a.gpkg", create=True), open_store(tmp / "b.gpkg",
    ...            create=True)).ok
    True
    """
    if target.layers():
        raise StoreError(
            f"the destination store {target!r} already holds layers; copy into a new, empty "
            "store (a new .gpkg file, or an empty PostgreSQL database)"
        )
    current = source.layers()
    # Boundaries first: every other layer needs its district in the store.
    current.sort(key=lambda v: (v.kind is not LayerKind.DISTRICT, v.district))
    copied: list[CopiedLayer] = []
    for layer in current:
        entries = source.history(layer.kind, layer.district)
        wanted = [e for e in entries if e.restorable and (history or e.current)]
        skipped = tuple(e.version for e in entries
                        if not e.restorable and history and not e.current)
        mismatched: list[int] = []
        last_checksum = ""
        for entry in wanted:
            frame = source.read_version(layer.kind, layer.district, entry.version)
            if entry.n_features == 0 and layer.kind is not LayerKind.DISTRICT:
                written = target.write_empty(layer.kind, district=layer.district,
                                             source=entry.source)
            else:
                written = target.write(layer.kind, frame, district=layer.district,
                                       source=entry.source, author=entry.author)
            last_checksum = written.checksum
            if (written.checksum, written.n_features) != (entry.checksum, entry.n_features):
                mismatched.append(entry.version)
        done = CopiedLayer(
            kind=layer.kind, district=layer.district, versions=len(wanted), skipped=skipped,
            n_features=layer.n_features, source_checksum=layer.checksum,
            copy_checksum=last_checksum, mismatched=tuple(mismatched),
        )
        copied.append(done)
        if progress is not None:
            progress(done)
    n_indicators, equal = 0, True
    columns = ["key", "year", "value", "unit", "source"]
    for adcode in source.districts()["adcode"]:
        table = source.indicators(adcode)
        for row in table.itertuples(index=False):
            target.put_indicator(adcode, row.key, int(row.year), float(row.value), row.unit,
                                 row.source)
        n_indicators += len(table)
        back = target.indicators(adcode)
        equal &= back[columns].values.tolist() == table[columns].values.tolist()
    return CopyReport(layers=tuple(copied), indicators=n_indicators, indicators_equal=equal)
