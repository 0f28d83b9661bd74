"""Declarative base, naming convention and shared column types."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time stored as UTC.

    Aware datetimes are converted to UTC on the way in; naive ones are refused,
    because a time without a zone cannot be placed on the timeline. Values come
    back as aware UTC datetimes on every backend (SQLite keeps no zone).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("refusing a naive datetime: attach a time zone before storing it")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLite only aliases ROWID for a column declared exactly INTEGER PRIMARY KEY,
# so big tables use BIGINT on PostgreSQL and INTEGER on SQLite.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(primary_key=True)]
bigpk = Annotated[int, mapped_column(BigIntId, primary_key=True)]
utc_time = Annotated[datetime, mapped_column(UTCDateTime())]
zone_name = Annotated[str, mapped_column(String(64))]
sha256_hex = Annotated[str, mapped_column(String(64))]
md5_hex = Annotated[str, mapped_column(String(32))]
short_text = Annotated[str, mapped_column(String(255))]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base class of every Sealbag table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        # Enums persist their .value as a plain string, so adding a member needs no
        # ALTER TYPE on PostgreSQL.
        enum.Enum: SAEnum(
            enum.Enum,
            native_enum=False,
            length=40,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        ),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        list[str]: JSON(),
        datetime: UTCDateTime(),
    }
