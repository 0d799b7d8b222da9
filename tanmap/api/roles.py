"""Department roles (部门权限): who may read, and who may write which kinds in which districts.

A roles file (TOML, ``TANMAP_ROLES_FILE``) lists tokens, each with a name (the department,
recorded as the author of every change it makes), a role and, for an editor, what it may write::

    [[tokens]]
    name = "区住建委"
    role = "editor"                        # viewer | editor | admin
    sha256 = "9f86d081884c7d65..."         # sha256 hex of the token (`tanmap roles hash-token`)
    kinds = ["building", "heating_pipe"]   # layer kinds, raster kinds, or "indicators"
    districts = ["120101"]                 # omit: every district

A ``viewer`` may read the audit log but write nothing; an ``editor`` may write the listed kinds in
the listed districts (``"indicators"`` allows indicator entries 指标填报); an ``admin`` may write
everything. ``token = "..."`` (plain text) is accepted beside ``sha256`` but a hash is better: the
file then holds nothing that opens the API. The single ``TANMAP_API_TOKEN`` keeps working as an
admin token named ``api`` (the author the API recorded before roles existed).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tanmap.geo.errors import TanmapError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.raster.rasters import RasterKind

__all__ = [
    "INDICATORS",
    "LEGACY_TOKEN_NAME",
    "ROLES",
    "Principal",
    "Role",
    "RoleBook",
    "RolesFileError",
    "hash_token",
    "load_roles",
]

Role = Literal["viewer", "editor", "admin"]
#: The roles, from least to most rights.
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
#: What an editor lists in ``kinds`` to be allowed to enter indicator values (指标填报).
INDICATORS = "indicators"
#: Name (author) of the single ``TANMAP_API_TOKEN``, an admin.
LEGACY_TOKEN_NAME = "api"

_KEYS = {"name", "role", "sha256", "token", "kinds", "districts"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ADCODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
_WRITABLE = frozenset({*(k.value for k in LayerKind), *(k.value for k in RasterKind), INDICATORS})


class RolesFileError(TanmapError):
    """The roles file cannot be used: unreadable, not TOML, or a bad entry (file, line, key).

    中文：权限配置文件有误。
    """


def hash_token(token: str) -> str:
    """Return the sha256 hex digest of ``token``, as the roles file stores it.

    中文：计算令牌的 sha256 摘要。

    Examples
    --------
    >>> hash_token("test")
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a named token with a role.

    中文：请求者（名称、角色、可写图层类型与区县）。

    Parameters
    ----------
    name
        The department or person; recorded as the author of its writes.
    role
        ``"viewer"``, ``"editor"`` or ``"admin"``.
    kinds
        What an editor may write (layer kinds, raster kinds, ``"indicators"``); None: all.
    districts
        Where an editor may write (adcodes); None: every district.

    Examples
    --------
    >>> p = Principal("区住建委", "editor", frozenset({"building"}), frozenset({"120101"}))
    >>> p.may_write("building", "120101"), p.may_write("park", "120101")
    (True, False)
    """

    name: str
    role: Role
    kinds: frozenset[str] | None = None
    districts: frozenset[str] | None = None

    def may_write(self, what: str, district: str) -> bool:
        """Return whether this principal may write ``what`` (a kind or "indicators") there."""
        if self.role == "admin":
            return True
        if self.role != "editor":
            return False
        return ((self.kinds is None or what in self.kinds)
                and (self.districts is None or district in self.districts))

    def rights(self) -> str:
        """Return what the principal may do, in words (中文 then English).

        Examples
        --------
        >>> Principal("v", "viewer").rights()
        '只读 read only'
        """
        if self.role == "admin":
            return "可写全部 may write everything"
        if self.role == "viewer":
            return "只读 read only"
        kinds = ", ".join(sorted(self.kinds)) if self.kinds is not None else "every kind"
        where = (", ".join(sorted(self.districts)) if self.districts is not None
                 else "every district")
        return f"可写 may write {kinds} in {where}"


@dataclass(frozen=True)
class RoleBook:
    """The tokens of a roles file, looked up by the token a request sends.

    中文：令牌表。
    """

    entries: tuple[tuple[str, Principal], ...]  # (sha256 hex, principal)
    path: Path | None = None

    def lookup(self, token: str) -> Principal | None:
        """Return the principal of ``token``, or None (compared in constant time per entry)."""
        digest = hash_token(token)
        found = None
        for stored, principal in self.entries:
            if secrets.compare_digest(stored, digest):
                found = principal
        return found


def load_roles(path: str | Path) -> RoleBook:
    """Read and check a roles file.

    中文：读取并校验权限配置文件（TOML）。

    Parameters
    ----------
    path
        The TOML file (see the module docstring for its layout).

    Returns
    -------
    RoleBook
        Its tokens.

    Raises
    ------
    RolesFileError
        If the file is missing or unreadable, is not valid TOML (the message gives the line), or
        an entry is wrong: an unknown key, a missing name/role/hash, an unknown role or kind, a
        malformed sha256 or adcode, kinds given to a viewer/admin, or a duplicate name or token.
        The message names the file, the entry's line and the key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM from Windows editors is fine
    except (OSError, UnicodeDecodeError) as err:
        raise RolesFileError(
            f"roles file {path} cannot be read ({err}); fix TANMAP_ROLES_FILE or the file"
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RolesFileError(f"roles file {path} is not valid TOML: {err}") from err
    unknown_top = sorted(set(data) - {"tokens"})
    if unknown_top:
        raise RolesFileError(f"roles file {path}: unknown top-level key {unknown_top[0]!r}; "
                             "the file holds [[tokens]] tables only")
    tables = data.get("tokens", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RolesFileError(f"roles file {path}: 'tokens' must be an array of tables "
                             "written [[tokens]]")
    starts = [i + 1 for i, line in enumerate(text.splitlines())
              if re.match(r"^\s*\[\[\s*tokens\s*\]\]", line)]
    entries: list[tuple[str, Principal]] = []
    names: set[str] = set()
    for i, table in enumerate(tables):
        line = starts[i] if i < len(starts) else None
        where = f"roles file {path}, line {line}, tokens[{i}]" if line else (
            f"roles file {path}, tokens[{i}]")
        digest, principal = _entry(table, where)
        if principal.name in names:
            raise RolesFileError(f"{where}.name: duplicate name {principal.name!r}; every "
                                 "token needs its own name (it is recorded as the author)")
        if any(d == digest for d, _ in entries):
            raise RolesFileError(f"{where}: same token as an earlier entry; give each "
                                 "department its own token")
        names.add(principal.name)
        entries.append((digest, principal))
    return RoleBook(tuple(entries), path)


def _entry(table: dict[str, Any], where: str) -> tuple[str, Principal]:
    """Return (sha256, principal) of one ``[[tokens]]`` table, or raise naming the key."""
    extra = sorted(set(table) - _KEYS)
    if extra:
        raise RolesFileError(f"{where}.{extra[0]}: unknown key; use {', '.join(sorted(_KEYS))}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RolesFileError(f"{where}.name: missing or empty; give the department, e.g. "
                             "name = \"区住建委\"")
    role = table.get("role")
    if role not in ROLES:
        raise RolesFileError(f"{where}.role: {role!r} is not a role; use one of "
                             f"{', '.join(ROLES)}")
    if ("sha256" in table) == ("token" in table):
        raise RolesFileError(f"{where}.sha256: give exactly one of sha256 (better; from "
                             "`tanmap roles hash-token`) or token")
    if "sha256" in table:
        digest = table["sha256"]
        if not isinstance(digest, str) or not _SHA256.match(digest.strip().lower()):
            raise RolesFileError(f"{where}.sha256: expected 64 hex digits (the sha256 of the "
                                 "token; `tanmap roles hash-token TOKEN` prints it)")
        digest = digest.strip().lower()
    else:
        plain = table["token"]
        if not isinstance(plain, str) or len(plain) < 8:
            raise RolesFileError(f"{where}.token: a token must be text of at least 8 characters")
        digest = hash_token(plain)
    kinds = _string_set(table, "kinds", where)
    districts = _string_set(table, "districts", where)
    if role != "editor" and (kinds is not None or districts is not None):
        key = "kinds" if kinds is not None else "districts"
        raise RolesFileError(f"{where}.{key}: only an editor is limited to kinds and "
                             f"districts; remove it for a {role}")
    if role == "editor":
        if not kinds:
            raise RolesFileError(f"{where}.kinds: an editor needs the kinds it may write, e.g. "
                                 "kinds = [\"building\", \"heating_pipe\"] or [\"indicators\"]")
        bad = sorted(kinds - _WRITABLE)
        if bad:
            raise RolesFileError(f"{where}.kinds: unknown kind {bad[0]!r}; use layer kinds, "
                                 f"raster kinds or {INDICATORS!r}: {', '.join(sorted(_WRITABLE))}")
        if districts is not None and not districts:
            raise RolesFileError(f"{where}.districts: empty list; name the districts or omit "
                                 "the key for every district")
        bad = sorted(d for d in districts or () if not _ADCODE.match(d))
        if bad:
            raise RolesFileError(f"{where}.districts: {bad[0]!r} is not a district code "
                                 "(adcode), e.g. \"120101\"")
    return digest, Principal(name.strip(), role, kinds, districts)


def _string_set(table: dict[str, Any], key: str, where: str) -> frozenset[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RolesFileError(f"{where}.{key}: expected a list of strings, e.g. "
                             f"{key} = [\"...\"]")
    return frozenset(v.strip() for v in value)
