"""Prompt templates: YAML files of Jinja2 templates, rendered with StrictUndefined.

A template file ``prompts/<name>.yaml`` maps keys to template text. ``render("agent", "choose_tool", ...)``
renders one key; a missing variable is an error, never an empty string (StrictUndefined).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

_ENV = Environment(
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False
)


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed YAML file ``prompts/<name>.yaml`` (``name`` may contain a folder: ``examples/x``)."""
    path = resources.files("prompts").joinpath(f"{name}.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"Prompt file {name}.yaml must hold a mapping.")
    return data


@cache
def template(name: str, key: str) -> Template:
    """The compiled Jinja2 template ``key`` of ``prompts/<name>.yaml``."""
    try:
        text = load(name)[key]
    except KeyError:
        raise KeyError(f"Prompt {name}.yaml has no template {key!r}.") from None
    return _ENV.from_string(text)


def render(name: str, key: str, **variables: Any) -> str:
    """Render template ``key`` of ``prompts/<name>.yaml``; every variable it uses must be given."""
    return template(name, key).render(**variables).strip()
