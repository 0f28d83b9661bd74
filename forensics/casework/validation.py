"""Checks shared by the case, person and exhibit services."""

from __future__ import annotations

from sqlalchemy import inspect

from forensics.database.base import Base
from forensics.errors import UserInputError


def check_lengths(row: Base, options: dict[str, str] | None = None) -> None:
    """Refuse text longer than its column allows, naming the option to shorten.

    PostgreSQL enforces ``VARCHAR(n)`` and SQLite does not; checking here gives
    the same behaviour, and the same clear message, on both.

    Raises:
        UserInputError: a value is too long.
    """
    options = options or {}
    for column in inspect(type(row)).columns:
        length = getattr(column.type, "length", None)
        value = getattr(row, column.key, None)
        if length and isinstance(value, str) and len(value) > length:
            option = options.get(column.key, "--" + column.key.replace("_", "-"))
            raise UserInputError(
                f"{option} is {len(value)} characters long; at most {length} are allowed"
            )
