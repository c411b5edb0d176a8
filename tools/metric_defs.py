"""Metric definitions of the semantic layer: loaded from YAML, rendered into SQL through column roles.

The built-in retail metrics live in ``tools/metrics.yaml`` (its header explains the format); a user adds or
redefines metrics in ``<home>/metrics.yaml`` in the same format, and may name a ``default_table`` there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tools.base import RetryableToolError, ToolError
from tools.roles import ROLE_NAMES, Roles
from tools.workspace import quote_ident

FORMATS = ("money", "count", "ratio", "number")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there: ~10x faster
_METRIC_KEYS = {"description", "sql", "format", "aliases", "per", "inner", "where"}


@dataclass(frozen=True)
class MetricDef:
    """One metric: an aggregate over lines, or (with ``per``) an aggregate over per-entity aggregates."""

    name: str
    sql: str
    description: str = ""
    format: str = "number"
    aliases: tuple[str, ...] = ()
    per: str | None = None
    inner: str | None = None
    where: str | None = None
    origin: str = "built-in"

    @property
    def two_level(self) -> bool:
        return self.per is not None

    @property
    def quotient(self) -> bool:
        """A ratio of two aggregates (aov, a rate): it has no share of a total and does not add up."""
        return "/" in self.sql


class MissingRoles(Exception):
    """A template needs roles the table does not have."""

    def __init__(self, roles: list[str]):
        super().__init__(", ".join(roles))
        self.roles = roles


@dataclass
class Catalog:
    """All metrics known in a workspace (built-in plus the user's), and the named row expressions."""

    metrics: dict[str, MetricDef] = field(default_factory=dict)
    expressions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_table: str | None = None

    def names(self) -> list[str]:
        return list(self.metrics)

    def resolve(self, name: str) -> MetricDef:
        """The metric called ``name``, else the one with that alias (case and spacing ignored): a person's
        metric named like a built-in's alias is theirs."""
        key = _key(name)
        for metric in self.metrics.values():
            if key == _key(metric.name):
                return metric
        for metric in self.metrics.values():
            if key in (_key(a) for a in metric.aliases):
                return metric
        from tools.names import closest

        hint = closest(name, self.names())
        guess = f" Did you mean {hint}?" if hint else ""
        raise RetryableToolError(f"Unknown metric {name!r}.{guess} Known metrics: {', '.join(self.names())}.")

    def rate_of(self, name: str) -> str | None:
        """The ratio metric whose numerator is count metric ``name`` ("cancelled_orders" ->
        "cancellation_rate"), read from the definitions: a ratio with the same per-entity level whose
        SQL divides the count's own SQL by something."""
        count = self.metrics.get(name)
        if count is None or count.format != "count":
            return None
        numerator = " ".join(count.sql.split())
        for metric in self.metrics.values():
            same_level = (metric.per, metric.inner, metric.where) == (count.per, count.inner, count.where)
            if (
                metric.format == "ratio"
                and same_level
                and " ".join(metric.sql.split()).startswith(f"{numerator} /")
            ):
                return metric.name
        return None

    def render(self, template: str, roles: Roles) -> str:
        """``template`` with its placeholders replaced by the table's columns, condition and expressions.

        Raises:
            MissingRoles: the table lacks a role the template (or every alternative of an expression) needs.
        """
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "cancelled":
                return roles.cancelled
            if name in self.expressions:
                return self._render_expression(name, roles, missing)
            column = roles[name]
            if column is None:
                missing.append(name)
                return "NULL"
            return quote_ident(column)

        text = _PLACEHOLDER.sub(substitute, template)
        if missing:
            raise MissingRoles(sorted(set(missing)))
        return text

    def _render_expression(self, name: str, roles: Roles, missing: list[str]) -> str:
        needed: list[str] = []
        for alternative in self.expressions[name]:
            try:
                return f"({self.render(alternative, roles)})"
            except MissingRoles as e:
                needed.extend(e.roles)
        missing.extend(needed)
        return "NULL"


def load_catalog(home: Path) -> Catalog:
    """The built-in metrics, then those in ``<home>/metrics.yaml`` (same name: the user's wins)."""
    catalog = Catalog()
    _merge(catalog, builtin_definitions(), origin="built-in")
    path = home / "metrics.yaml"
    if path.exists():
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except yaml.YAMLError as e:
            raise ToolError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
        _merge(catalog, data, origin=str(path))
    _check_placeholders(catalog)
    return catalog


@lru_cache(maxsize=1)
def builtin_definitions() -> dict[str, Any]:
    """The parsed ``tools/metrics.yaml`` (parsed once per process; callers must not modify it)."""
    return yaml.load(
        resources.files("tools").joinpath("metrics.yaml").read_text(encoding="utf-8"), Loader=_LOADER
    )


def _merge(catalog: Catalog, data: Any, origin: str) -> None:
    if not isinstance(data, dict):
        raise ToolError(
            f"{origin}: metrics.yaml must be a mapping with `metrics:` (and optional `expressions:`)."
        )
    unknown = set(data) - {"metrics", "expressions", "default_table"}
    if unknown:
        raise ToolError(f"{origin}: unknown top-level keys {', '.join(sorted(unknown))} in metrics.yaml.")
    for name, alternatives in (data.get("expressions") or {}).items():
        if isinstance(alternatives, str):
            alternatives = [alternatives]
        if (
            not _NAME.match(str(name))
            or not alternatives
            or not all(isinstance(a, str) for a in alternatives)
        ):
            raise ToolError(f"{origin}: expression {name!r} must be a lower-case name with SQL text(s).")
        catalog.expressions[name] = tuple(alternatives)
    for name, spec in (data.get("metrics") or {}).items():
        catalog.metrics[name] = _metric(str(name), spec, origin)
    if data.get("default_table"):
        catalog.default_table = str(data["default_table"])


def _metric(name: str, spec: Any, origin: str) -> MetricDef:
    where = f"{origin}: metric {name!r}"
    if not _NAME.match(name):
        raise ToolError(f"{where}: a metric name is lower-case letters, digits and underscores.")
    if not isinstance(spec, dict) or not isinstance(spec.get("sql"), str):
        raise ToolError(f"{where} needs an `sql:` aggregate expression.")
    unknown = set(spec) - _METRIC_KEYS
    if unknown:
        raise ToolError(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
    fmt = spec.get("format", "number")
    if fmt not in FORMATS:
        raise ToolError(f"{where}: format must be one of {', '.join(FORMATS)}.")
    per, inner = spec.get("per"), spec.get("inner")
    if (per is None) != (inner is None) or (per is not None and per not in ROLE_NAMES):
        raise ToolError(f"{where}: a two-level metric needs both `per` (a role name) and `inner`.")
    aliases = spec.get("aliases") or []
    return MetricDef(
        name=name,
        sql=" ".join(spec["sql"].split()),
        description=str(spec.get("description", "")),
        format=fmt,
        aliases=tuple(str(a) for a in aliases),
        per=per,
        inner=" ".join(inner.split()) if inner else None,
        where=spec.get("where"),
        origin=origin,
    )


def _check_placeholders(catalog: Catalog) -> None:
    """Refuse a placeholder that is neither a role, ``cancelled`` nor an expression, at load time."""
    allowed = set(ROLE_NAMES) | {"cancelled"} | set(catalog.expressions)
    texts = [(f"expression {n!r}", t) for n, alts in catalog.expressions.items() for t in alts]
    texts += [
        (f"metric {m.name!r}", t) for m in catalog.metrics.values() for t in (m.sql, m.inner, m.where) if t
    ]
    for owner, text in texts:
        bad = sorted(set(_PLACEHOLDER.findall(text)) - allowed)
        if bad:
            raise ToolError(
                f"metrics.yaml: {owner} uses {{{bad[0]}}}, which is neither a role "
                f"({', '.join(ROLE_NAMES)}, cancelled) nor an expression."
            )


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())
