"""Times entered by people: always aware, always with a zone kept for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from forensics.errors import UserInputError

# Years outside this range are typing mistakes, not evidence times.
MIN_YEAR, MAX_YEAR = 1900, 2999


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # "localtime" means whatever machine reads the record; "Factory" and the
    # posix/right variants are not places. None of them belongs in evidence.
    return frozenset(
        z
        for z in available_timezones()
        if z not in ("localtime", "Factory", "posixrules")
        and not z.startswith(("posix/", "right/"))
    )


def zone(name: str) -> ZoneInfo | timezone:
    """The zone for an IANA name (``Asia/Kolkata``), ``UTC``, or a fixed ``UTC+05:30``.

    Raises:
        UserInputError: the name is not a known zone.
    """
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    if name.upper().startswith("UTC") and len(name) > 3:
        return timezone(_parse_offset(name[3:]), name.upper())
    try:
        if name not in _zone_names():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserInputError(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Kolkata or "
            "Europe/Paris, or a fixed offset such as UTC+05:30"
        ) from exc


def _parse_offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    hours, _, minutes = body.partition(":")
    if len(body) == 4 and not minutes:
        hours, minutes = body[:2], body[2:]
    try:
        if not (hours.isdigit() and (not minutes or minutes.isdigit())) or int(minutes or 0) >= 60:
            raise ValueError(text)
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    except ValueError as exc:
        raise UserInputError(f"bad UTC offset {text!r}; write it as +05:30 or -0400") from exc
    if delta > timedelta(hours=14):
        raise UserInputError(f"UTC offset {text!r} is out of range (max ±14:00)")
    return sign * delta


def offset_name(dt: datetime) -> str:
    """``UTC+05:30`` style name of an aware datetime's offset."""
    off = dt.utcoffset() or timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return "UTC" if total == 0 else f"UTC{sign}{total // 60:02d}:{total % 60:02d}"


def parse_local_time(text: str, zone_name: str | None) -> tuple[datetime, str]:
    """Parse a time a person typed, returning (aware UTC datetime, zone name kept for display).

    ``2026-11-20T14:30`` is read in ``zone_name``; a time carrying its own offset
    (``2026-11-20T14:30+05:30`` or ``...Z``) keeps it, and the zone recorded is
    ``zone_name`` if it agrees with that offset, else the offset itself.

    Raises:
        UserInputError: the text is not an ISO 8601 time, or no zone is known.
    """
    try:
        dt = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise UserInputError(
            f"cannot read the time {text!r}; use ISO 8601, e.g. 2026-11-20T14:30 or "
            "2026-11-20T14:30+05:30"
        ) from exc
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise UserInputError(f"the year in {text!r} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    if dt.tzinfo is None:
        if not zone_name:
            raise UserInputError(f"the time {text!r} has no zone; give a time zone too")
        tz = zone(zone_name)
        early, late = dt.replace(tzinfo=tz, fold=0), dt.replace(tzinfo=tz, fold=1)
        if early.utcoffset() != late.utcoffset():
            gap = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != dt
            what = "does not exist (clocks jumped forward)" if gap else "happened twice"
            raise UserInputError(
                f"{text} {what} in {zone_name}; write the time with its UTC offset, "
                f"e.g. {dt:%Y-%m-%dT%H:%M}{_fmt(early.utcoffset())} or "
                f"{dt:%Y-%m-%dT%H:%M}{_fmt(late.utcoffset())}"
            )
        return early.astimezone(UTC), zone_name
    if zone_name:
        local = dt.astimezone(zone(zone_name))
        if local.utcoffset() == dt.utcoffset():
            return dt.astimezone(UTC), zone_name
    return dt.astimezone(UTC), offset_name(dt)


def _fmt(offset: timedelta | None) -> str:
    total = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def to_local(dt: datetime, zone_name: str | None) -> datetime:
    """Render a stored UTC time in the zone it was entered in (UTC if unknown)."""
    return dt.astimezone(zone(zone_name) if zone_name else UTC)
