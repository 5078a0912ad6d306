"""trip_planning's tools: read-only lookups over the sandbox database, as the agent and the gold
solver call them (through the one tool-call path of `synth`).

Sits under the category (`__init__.py` wires it). Every tool answers from the database only; a name
that is not there is a `not_found` tool error, a bad info keyword `invalid_arguments`. Table names in
SQL text are fixed by the code, never taken from arguments.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from synth import ToolError, tool_from_function
from synth.verifiers.general import rows

from .._base import SUBMIT


def _city(db: sqlite3.Connection, city: str) -> None:
    if db.execute("SELECT 1 FROM cities WHERE name = ?", (city,)).fetchone() is None:
        raise ToolError(f"no city named {city!r}; call get_all_cities for the list", "not_found")


def _in_city(db: sqlite3.Connection, city: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`found`, or a not_found error when it is empty because the city does not exist (checked only
    then: one query per call on the common path)."""
    if not found:
        _city(db, city)
    return found


def get_all_cities(db: sqlite3.Connection) -> list[str]:
    """List the names of every city in the database."""
    return [r["name"] for r in rows(db, "SELECT name FROM cities ORDER BY name")]


def get_all_hotels_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the hotels of a city with their nightly price and rating.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(db, city, rows(db, "SELECT name, price, rating FROM hotels WHERE city = ? ORDER BY name", city))


def get_all_restaurants_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the restaurants of a city with their average price per person, rating and opening hours.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(
        db, city, rows(db, "SELECT name, avg_price, rating, opening_hours FROM restaurants WHERE city = ? ORDER BY name", city)
    )


def get_all_attractions_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the attractions of a city with their ticket price, rating, opening hours and whether they are indoor.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(
        db, city, rows(db, "SELECT name, ticket, rating, opening_hours, indoor FROM attractions WHERE city = ? ORDER BY name", city)
    )


def _city_of(db: sqlite3.Connection, table: str, name: str) -> str:
    row = db.execute(f"SELECT city FROM {table} WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ToolError(f"no {table[:-1]} named {name!r}", "not_found")
    return row[0]


def get_city_by_hotel(db: sqlite3.Connection, name: str) -> str:
    """Tell which city a hotel is in.

    Args:
        name: Hotel name.
    """
    return _city_of(db, "hotels", name)


def get_city_by_restaurant(db: sqlite3.Connection, name: str) -> str:
    """Tell which city a restaurant is in.

    Args:
        name: Restaurant name.
    """
    return _city_of(db, "restaurants", name)


def get_city_by_attraction(db: sqlite3.Connection, name: str) -> str:
    """Tell which city an attraction is in.

    Args:
        name: Attraction name.
    """
    return _city_of(db, "attractions", name)


def get_city_transport(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the ways to get around inside a city and their price per trip.

    Args:
        city: City name.
    """
    _city(db, city)
    return rows(db, "SELECT mode, price FROM city_transport WHERE city = ? ORDER BY mode", city)


def get_inter_city_transport(db: sqlite3.Connection, from_city: str, to_city: str | None = None) -> list[dict[str, Any]]:
    """List the scheduled connections from one city to another (or to every city when to_city is omitted).

    Args:
        from_city: Departure city.
        to_city: Arrival city; omit to list every departure from from_city.
    """
    if to_city is None:
        return _in_city(db, from_city, rows(
            db,
            "SELECT to_city, mode, depart, arrive, price FROM inter_city_transport WHERE from_city = ?"
            " ORDER BY to_city, depart",
            from_city,
        ))
    _city(db, from_city)
    _city(db, to_city)
    return rows(
        db,
        "SELECT mode, depart, arrive, price FROM inter_city_transport WHERE from_city = ? AND to_city = ? ORDER BY depart",
        from_city,
        to_city,
    )


def _infos(db: sqlite3.Connection, table: str, name: str, info_keywords: list[str]) -> dict[str, Any]:
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "name"]
    unknown = [k for k in info_keywords if k not in columns]
    if unknown:
        raise ToolError(f"unknown info keyword {unknown[0]!r}; valid: {', '.join(columns)}", "invalid_arguments")
    wanted = info_keywords or columns
    row = db.execute(f"SELECT {', '.join(wanted)} FROM {table} WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ToolError(f"no {table[:-1]} named {name!r}", "not_found")
    return dict(zip(wanted, row))


def get_infos_by_city(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a city (region, population, description).

    Args:
        name: City name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "cities", name, info_keywords)


def get_infos_by_hotel(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a hotel (city, price, rating, stars, address).

    Args:
        name: Hotel name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "hotels", name, info_keywords)


def get_infos_by_restaurant(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a restaurant (city, avg_price, rating, cuisine, opening_hours).

    Args:
        name: Restaurant name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "restaurants", name, info_keywords)


def get_infos_by_attraction(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about an attraction (city, ticket, rating, kind, opening_hours, indoor).

    Args:
        name: Attraction name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "attractions", name, info_keywords)


def get_weather_by_city_date(db: sqlite3.Connection, city: str, date: str) -> dict[str, Any]:
    """Weather forecast of a city on a date.

    Args:
        city: City name.
        date: Date as YYYY-MM-DD.
    """
    _city(db, city)
    found = rows(db, "SELECT condition, high, low FROM weather WHERE city = ? AND date = ?", city, date)
    if not found:
        raise ToolError(f"no forecast for {city} on {date}", "not_found")
    return found[0]


TOOLS = [
    tool_from_function(fn)
    for fn in (
        get_all_cities,
        get_all_hotels_by_city,
        get_all_restaurants_by_city,
        get_all_attractions_by_city,
        get_city_by_hotel,
        get_city_by_restaurant,
        get_city_by_attraction,
        get_city_transport,
        get_inter_city_transport,
        get_infos_by_city,
        get_infos_by_hotel,
        get_infos_by_restaurant,
        get_infos_by_attraction,
        get_weather_by_city_date,
    )
] + [SUBMIT]
