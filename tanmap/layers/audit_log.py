"""The audit log (操作日志): every layer write, revert and indicator entry, with who made it.

Built from what the store already keeps: the history of each layer (:meth:`Store.history`, one
entry per version with its author) and, when the backend has it, the indicator log
(``indicator_log(district)``, an optional method: :class:`~tanmap.layers.store.GeoPackageStore`
has it). Only the :class:`~tanmap.layers.store.Store` protocol is needed otherwise, so the log
works on any backend.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tanmap.layers.store.base import Store

__all__ = ["ACTIONS", "AuditEntry", "AuditPage", "audit_log"]

Action = Literal["write", "revert", "indicator"]
#: What an entry records: a layer version written, a layer reverted, an indicator entered.
ACTIONS: tuple[Action, ...] = ("write", "revert", "indicator")


@dataclass(frozen=True)
class AuditEntry:
    """One change: who, when, what.

    中文：一条操作记录（操作人、时间、区县、类型、版本或指标）。

    Parameters
    ----------
    at
        ISO 8601 UTC time of the change.
    author
        Who made it (a role's name over the API, ``--author`` or the OS user from the CLI; ""
        when it predates the history).
    action
        ``"write"``, ``"revert"`` or ``"indicator"``.
    district
        Adcode.
    kind
        Layer kind, or ``"indicators"``.
    version
        The layer version written (None for an indicator).
    source
        Where the data came from.
    detail
        Further figures: ``n_features``, ``added``/``removed``/``changed``, ``reverted_from``
        for a layer; ``key``, ``year``, ``value``, ``unit`` for an indicator.
    """

    at: str
    author: str
    action: Action
    district: str
    kind: str
    version: int | None
    source: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first.

    中文：操作日志的一页。
    """

    total: int
    offset: int
    limit: int
    entries: list[AuditEntry]


def audit_log(
    store: Store,
    *,
    district: str | None = None,
    kind: str | None = None,
    author: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """Return the changes made to the store (of one district, kind or author), newest first.

    中文：查询操作日志（可按区县、类型、操作人筛选；分页）。

    Parameters
    ----------
    store
        Any store; indicator entries are listed when it has ``indicator_log``.
    district, kind, author
        Keep only these (``kind="indicators"`` keeps indicator entries).
    limit, offset
        The page: at most ``limit`` entries after skipping ``offset``.

    Returns
    -------
    AuditPage
        ``total`` counts every matching entry; ``entries`` is the page.

    Raises
    ------
    UnknownDistrictError
        If ``district`` is given and not in the store.
    ValueError
        For a negative ``offset`` or a ``limit`` below 1.
    """
    if limit < 1 or offset < 0:
        raise ValueError(f"limit must be >= 1 and offset >= 0, got {limit} and {offset}")
    entries: list[AuditEntry] = []
    if kind != "indicators":
        for layer in store.layers(district):
            if kind is not None and layer.kind.value != kind:
                continue
            for e in store.history(layer.kind, layer.district):
                entries.append(AuditEntry(
                    at=e.updated_at, author=e.author,
                    action="revert" if e.reverted_from is not None else "write",
                    district=layer.district, kind=layer.kind.value, version=e.version,
                    source=e.source,
                    detail={"n_features": e.n_features, "added": e.added, "removed": e.removed,
                            "changed": e.changed, "reverted_from": e.reverted_from},
                ))
    log = getattr(store, "indicator_log", None)
    if callable(log) and kind in (None, "indicators"):
        for row in log(district).itertuples(index=False):
            entries.append(AuditEntry(
                at=str(row.entered_at), author=str(row.author), action="indicator",
                district=str(row.district), kind="indicators", version=None,
                source=str(row.source),
                detail={"key": str(row.key), "year": int(row.year), "value": float(row.value),
                        "unit": str(row.unit)},
            ))
    if author is not None:
        entries = [e for e in entries if e.author == author]
    # Newest first; within one second (the stores' time resolution) later entries first.
    order = sorted(range(len(entries)), reverse=True,
                   key=lambda i: (entries[i].at, entries[i].version or 0, i))
    return AuditPage(total=len(entries), offset=offset, limit=limit,
                     entries=[entries[i] for i in order[offset:offset + limit]])
