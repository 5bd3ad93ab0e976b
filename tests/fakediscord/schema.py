"""Check request bodies against Discord's OpenAPI spec, plus the limits the spec does not encode."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

_URI = "urn:discord:openapi"
_ROOT = Path(__file__).resolve().parents[2]
EMBED_TOTAL_MAX = 6000  # Discord counts title, description, field names/values, footer and author together


def spec_path() -> Path:
    """Where the spec is: $DISCORD_OPENAPI_SPEC, else ../shared/discord/openapi.json beside the project."""
    return Path(os.environ.get("DISCORD_OPENAPI_SPEC") or _ROOT.parent / "shared" / "discord" / "openapi.json")


def find_spec() -> Path | None:
    """Locate Discord's openapi.json, if it is there (a plain clone of the project does not have it)."""
    path = spec_path()
    return path if path.is_file() else None


@cache
def load_spec() -> OpenApiSpec | None:
    """Return the spec, loaded once per test session, or None when it is absent."""
    path = find_spec()
    return OpenApiSpec.load(path) if path is not None else None


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass
class OpenApiSpec:
    """Request-body validators for the operations of Discord's REST API, compiled lazily."""

    document: dict[str, Any]
    path: Path | None = None
    _validators: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _routes: list[tuple[re.Pattern[str], str]] = field(default_factory=list, repr=False)

    @classmethod
    def load(cls, path: Path) -> OpenApiSpec:
        """Read the spec from a file."""
        return cls(json.loads(path.read_text(encoding="utf-8")), path)

    def template_for(self, method: str, path: str) -> str | None:
        """Return the spec's path template for a concrete path such as /interactions/1/tok/callback."""
        path = path.split("?", 1)[0]
        if not self._routes:
            routes = [
                (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$"), t) for t in self.document.get("paths", {})
            ]
            # Literal segments beat placeholders: "/users/@me" before "/users/{user_id}".
            self._routes = sorted(routes, key=lambda route: route[1].count("{"))
        return next((t for rx, t in self._routes if rx.match(path) and self.has_operation(method, t)), None)

    def check(self, method: str, path: str, body: Any) -> list[str]:
        """Validate a request to a concrete path: known operation, schema, and the limits the spec omits."""
        template = self.template_for(method, path)
        if template is None:
            return [f"{method} {path} is not an operation in Discord's API"]
        found = [f"{method} {template}: {error}" for error in self.errors(method, template, body)]
        if isinstance(body, dict):
            found += message_limit_errors(body.get("data", body) if isinstance(body.get("data"), dict) else body)
        return found

    def has_operation(self, method: str, template: str) -> bool:
        """Return whether the spec knows this method on this path template."""
        return method.lower() in self.document.get("paths", {}).get(template, {})

    def errors(self, method: str, template: str, body: Any) -> list[str]:
        """Return the ways a JSON request body breaks the operation's schema (empty when valid)."""
        validator = self._validator(method.lower(), template)
        if validator is None:
            return []
        found = []
        for error in validator.iter_errors(body):
            for leaf in _leaves(error):
                where = "/".join(str(p) for p in leaf.absolute_path) or "(body)"
                found.append(f"{where}: {_shorten(leaf.message)}")
        return sorted(set(found))[:20]

    def _validator(self, method: str, template: str) -> Any:
        key = (method, template)
        if key not in self._validators:
            self._validators[key] = self._compile(method, template)
        return self._validators[key]

    def _compile(self, method: str, template: str) -> Any:
        from jsonschema import Draft202012Validator
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012

        operation = self.document.get("paths", {}).get(template, {}).get(method)
        content = (operation or {}).get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        registry = Registry().with_resource(_URI, DRAFT202012.create_resource(self.document))
        ref = f"{_URI}#/" + _pointer("paths", template, method, "requestBody", "content", "application/json", "schema")
        return Draft202012Validator({"$ref": ref}, registry=registry)


def _leaves(error: Any) -> list[Any]:
    """Explain a oneOf/anyOf failure by the branch the body meant, not by every branch it is not."""
    if not error.context:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(error.absolute_path)

    def ruled_out(errors: list[Any]) -> bool:
        for sub in errors:
            at_depth = len(sub.absolute_path) == depth
            # {"type": "null"} alternatives and branches whose `type` discriminator differs.
            if at_depth and sub.validator == "type" and sub.validator_value == "null":
                return True
            path = list(sub.absolute_path)
            if sub.validator in ("enum", "const") and len(path) == depth + 1 and path[-1] == "type":
                return True
        return False

    meant = [errors for errors in branches.values() if not ruled_out(errors)] or list(branches.values())
    explained = [[leaf for sub in errors for leaf in _leaves(sub)] for errors in meant]
    # A branch that fails on value types is probably not the one meant (integer vs string choices).
    return min(explained, key=lambda leaves: (sum(leaf.validator == "type" for leaf in leaves), len(leaves)))


def _shorten(message: str) -> str:
    return message if len(message) <= 200 else message[:100] + " … " + message[-80:]


def message_limit_errors(data: dict[str, Any]) -> list[str]:
    """Return Discord limits a message body breaks that the spec leaves out."""
    found = []
    total = 0
    for index, embed in enumerate(data.get("embeds") or []):
        total += embed_length(embed)
        if total > EMBED_TOTAL_MAX:
            found.append(f"embeds/{index}: embeds total {total} characters; Discord allows {EMBED_TOTAL_MAX}")
            break
    seen: set[str] = set()
    for component in walk_components(data.get("components") or []):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            found.append(f"components: custom_id {custom_id!r} is used twice in one message")
        seen.add(custom_id)
    return found


def embed_length(embed: dict[str, Any]) -> int:
    """Count an embed's characters the way Discord does for the 6000 limit."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or []:
        size += len(item.get("name") or "") + len(item.get("value") or "")
    return size


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten action rows (and other containers) into their leaf components."""
    out: list[dict[str, Any]] = []
    for component in components:
        children = component.get("components")
        if isinstance(children, list):
            out.extend(walk_components(children))
        else:
            out.append(component)
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            out.append(accessory)
    return out
