"""Rendering of ISO 8601 times in a profile's zone and format (India: DD/MM/YYYY, IST, 24-hour)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reports.profiles import DateTimeStyle

NO_ZONE_MARK = "⟨no time zone⟩"


def parse_time(text: str) -> datetime | None:
    """Parse an ISO 8601 time; ``None`` when it is not one."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def has_zone(text: str) -> bool:
    """True when ``text`` is an ISO 8601 time with an explicit UTC offset."""
    parsed = parse_time(text)
    return parsed is not None and parsed.tzinfo is not None


def render_time(text: str, style: DateTimeStyle) -> str:
    """Time in the profile's zone, e.g. ``23/11/2026 17:26:02 IST``.

    A value without zone is printed as given with a visible ``⟨no time zone⟩`` mark; text that
    is not a time is returned unchanged.
    """
    if not text:
        return ""
    parsed = parse_time(text)
    if parsed is None:
        return text
    if parsed.tzinfo is None:
        return f"{text} {NO_ZONE_MARK}"
    local = parsed.astimezone(ZoneInfo(style.zone))
    return f"{local.strftime(style.date_format)} {local.strftime(style.time_format)} {style.label}"


def render_date(text: str, style: DateTimeStyle) -> str:
    """Date part only, in the profile's date format (times are converted to the zone first)."""
    parsed = parse_time(text) if text else None
    if parsed is None:
        return text
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(ZoneInfo(style.zone))
    return parsed.strftime(style.date_format)


def utc_iso(text: str) -> str:
    """Normalise an aware ISO time to UTC ``YYYY-MM-DDTHH:MM:SSZ``.

    Raises:
        ValueError: the text is not an ISO time with a zone.
    """
    parsed = parse_time(text)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"not an ISO 8601 time with a UTC offset: {text!r}")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
