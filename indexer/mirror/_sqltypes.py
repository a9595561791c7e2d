"""Integers of any size the ledger accepts (uint64 … uint256), in SQL, as Python ints.

``Amount`` is ``NUMERIC`` on PostgreSQL (exact at any size, summed by the server) and decimal
text on SQLite, whose integers stop at 2^63 − 1 and whose NUMERIC rounds larger values to REAL.
Reading gives a Python ``int`` on both. Sums, additions and signs go through ``amount_sum``,
``amount_add`` and ``amount_positive``: plain ``sum``/``+`` on PostgreSQL, exact functions on
SQLite (``tn_sum``, ``tn_add``, registered on every connection by ``register_sqlite``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Numeric, String, cast, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["Amount", "amount_add", "amount_positive", "amount_sum", "register_sqlite"]


class Amount(TypeDecorator[int]):
    """An integer of any size: NUMERIC on PostgreSQL, decimal text on SQLite."""

    impl = Numeric()
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = int(value)
        return str(number) if dialect.name == "sqlite" else Decimal(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)


class amount_sum(FunctionElement[int]):
    """``sum(x)`` of an ``Amount`` column, exact on both backends (NULL over no rows)."""

    type = Amount()
    name = "amount_sum"
    inherit_cache = True


class amount_add(FunctionElement[int]):
    """``a + b`` of two ``Amount`` values, exact on both backends."""

    type = Amount()
    name = "amount_add"
    inherit_cache = True


@compiles(amount_sum)
def _sum(element: amount_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(amount_sum, "sqlite")
def _sum_sqlite(element: amount_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"tn_sum({compiler.process(element.clauses, **kw)})"


@compiles(amount_add)
def _add(element: amount_add, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"({compiler.process(a, **kw)} + {compiler.process(b, **kw)})"


@compiles(amount_add, "sqlite")
def _add_sqlite(element: amount_add, compiler: SQLCompiler, **kw: Any) -> str:
    return f"tn_add({compiler.process(element.clauses, **kw)})"


def amount_positive(column: Any) -> ColumnElement[bool]:
    """``column > 0`` for an ``Amount`` column; the sign of a float is exact at any size. The
    literal keeps the expression identical in SELECT and GROUP BY on PostgreSQL."""
    return cast(column, Float) > literal_column("0")


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


class _Sum:
    """SQLite aggregate: the exact sum of decimal-text integers, as text (NULL over no rows)."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = (self.total or 0) + int(value)

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


def _add_text(a: Any, b: Any) -> str | None:
    if a is None and b is None:
        return None
    return str(_int(a) + _int(b))


def register_sqlite(dbapi_connection: Any) -> None:
    """Registers ``tn_sum`` and ``tn_add`` on a new sqlite3 connection."""
    dbapi_connection.create_aggregate("tn_sum", 1, _Sum)
    dbapi_connection.create_function("tn_add", 2, _add_text, deterministic=True)
