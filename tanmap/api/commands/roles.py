"""``tanmap roles``: hash a token for the roles file, check a roles file (部门权限)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, format_table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``roles`` command group.

    中文：注册 ``roles``（令牌摘要、检查权限文件）命令。
    """
    grp = subparsers.add_parser(
        "roles", help="department tokens and roles (部门权限)",
        description="The API's tokens and roles live in a TOML file named by TANMAP_ROLES_FILE "
                    "(see docs/architecture.md, 'Roles').",
    )
    sub = grp.add_subparsers(dest="roles_command", metavar="ACTION")
    sub.required = True
    hsh = sub.add_parser("hash-token", help="print the sha256 of a token for the roles file",
                         description="Print sha256 = \"...\" for a token: read from the "
                                     "argument, or typed without echo when omitted.")
    hsh.add_argument("token", nargs="?", help="the token (omit to type it without echo)")
    hsh.set_defaults(func=run_hash_token)
    chk = sub.add_parser("check", help="check a roles file and list its tokens (no secrets)")
    chk.add_argument("file", type=Path, metavar="FILE", help="the roles TOML file")
    chk.set_defaults(func=run_check)


def run_hash_token(args: argparse.Namespace) -> int:
    """Print the ``sha256 = "..."`` line of a token."""
    from tanmap.api.roles import hash_token

    token = args.token if args.token is not None else getpass.getpass("token: ")
    sys.stdout.write(f'sha256 = "{hash_token(token)}"\n')
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    """Load the roles file (exit 1 naming the line and key when wrong) and list its tokens."""
    from tanmap.api.roles import load_roles

    book = load_roles(args.file)
    rows = [(p.name, p.role, p.rights()) for _, p in book.entries]
    echo(args, format_table(("name", "role", "rights"), rows))
    return EXIT_OK
