"""Validate request bodies the bot sends against Discord's official OpenAPI spec."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[1]
SPEC_URI = "urn:discord-openapi"


def spec_path() -> Path:
    """Where the spec is: $DISCORD_OPENAPI_SPEC, else ../shared/discord/openapi.json beside the project."""
    return Path(os.environ.get("DISCORD_OPENAPI_SPEC") or ROOT.parent / "shared" / "discord" / "openapi.json")


class SpecValidator:
    """Checks (method, concrete path, JSON body) against the operation's request schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for template, operations in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            self._routes.append((pattern, template, operations))
        # Literal segments beat placeholders: "/users/@me" before "/users/{user_id}".
        self._routes.sort(key=lambda r: r[1].count("{"))
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}

    def operation(self, method: str, path: str) -> str | None:
        """Return the spec's path template for a concrete path, if the spec knows it."""
        for pattern, template, operations in self._routes:
            if pattern.match(path) and method.lower() in operations:
                return template
        return None

    def errors(self, method: str, path: str, body: Any) -> list[str]:
        """Return schema violations (empty when valid or when the operation takes no JSON body)."""
        template = self.operation(method, path)
        if template is None:
            return [f"{method} {path} is not an operation in Discord's API"]
        validator = self._validator(method.lower(), template)
        if validator is None or body is None:
            return []
        error = best_match(validator.iter_errors(body))
        if error is None:
            return []
        where = "/".join(map(str, error.absolute_path)) or "<body>"
        return [f"{method} {template}: {where}: {error.message[:300]}"]

    def _validator(self, method: str, template: str) -> Draft202012Validator | None:
        key = (method, template)
        if key not in self._validators:
            escaped = template.replace("~", "~0").replace("/", "~1")
            pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
            contents = self._registry[SPEC_URI].contents
            operation = contents["paths"][template][method]
            has_json = "application/json" in operation.get("requestBody", {}).get("content", {})
            self._validators[key] = (
                Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=self._registry) if has_json else None
            )
        return self._validators[key]


@cache
def load_validator() -> SpecValidator | None:
    """Return a validator, or None when the spec is not beside the project (a plain clone)."""
    path = spec_path()
    if not path.is_file():
        return None
    return SpecValidator(json.loads(path.read_text(encoding="utf-8")))
