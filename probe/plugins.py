"""Strategies and properties from outside the package, loaded only from `--plugin module:attr`.

A scenario file never names code: it can only refer to a strategy or a property by a name that
is already registered, so loading a scenario can never import or run anything. An object with
`monitor` and `kind` is a property (probe.properties.base.Property), anything else a strategy.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from probe.errors import UsageError
from probe.model.heartbeat import RecoveryRequest
from probe.properties.base import KINDS, Kind, Monitor, Param, Property
from probe.strategies import REGISTRY, DedupStrategy

_SPEC = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def _import(module: str, spec: str) -> object:
    # Like `python -m`, look in the current folder first: a plugin usually sits beside the
    # scenarios. Only for this import, so nothing else probe imports can be shadowed by it.
    sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            raise UsageError(f"--plugin {spec}: no module named {exc.name!r}") from None
        raise UsageError(f"--plugin {spec}: importing {module!r} failed: {exc}") from None
    except Exception as exc:
        raise UsageError(
            f"--plugin {spec}: importing {module!r} raised {type(exc).__name__}: {exc}"
        ) from None
    finally:
        sys.path.remove(str(Path.cwd()))


def _object(spec: str) -> object:
    """Import `module:attr` (a class is instantiated)."""
    match = _SPEC.match(spec)
    if not match:
        raise UsageError(f"--plugin {spec}: expected module:attribute, e.g. mystrategies:ByRef")
    module_name, attr_path = match.groups()
    obj = _import(module_name, spec)
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(
                f"--plugin {spec}: {module_name!r} has no attribute {attr_path!r}"
            ) from None
    if inspect.isclass(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise UsageError(
                f"--plugin {spec}: {attr_path}() raised {type(exc).__name__}: {exc}"
            ) from None
    return obj


def is_property(obj: object) -> bool:
    return callable(getattr(obj, "monitor", None)) and hasattr(obj, "kind")


def load_plugin(spec: str) -> DedupStrategy:
    """Import `module:attr` and check the object is a strategy (a class is instantiated)."""
    return _checked(_object(spec), spec)


_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def load_property(spec: str) -> Property:
    """Import `module:attr` and check the object is a property, as the catalogue's are."""
    obj = _object(spec)
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not _PROPERTY_NAME.match(name) or len(name) > 40:
        raise UsageError(
            f"--plugin {spec}: a property needs a kebab-case `name` (lower-case words joined "
            "by '-'), at most 40 characters"
        )
    kind = getattr(obj, "kind", None)
    if kind not in KINDS:
        raise UsageError(f"--plugin {spec}: property {name!r}: `kind` must be one of {KINDS}")
    for attr, want in (("meaning", str), ("params", tuple), ("issues", tuple)):
        if not isinstance(getattr(obj, attr, None), want):
            raise UsageError(
                f"--plugin {spec}: property {name!r} needs `{attr}` ({want.__name__})"
            )
    return PluginProperty(spec, obj)


class PluginProperty:
    """A plugin's property: its monitor's failures read as the plugin's, not as probe's."""

    def __init__(self, spec: str, obj: Any) -> None:
        self.spec = spec
        self._obj = obj
        self.name: str = obj.name
        self.kind: Kind = obj.kind
        self.params: tuple[Param, ...] = obj.params
        self.meaning: str = obj.meaning
        self.issues: tuple[str, ...] = obj.issues

    def monitor(self, params: Mapping[str, int]) -> Monitor:
        try:
            return cast(Monitor, self._obj.monitor(params))
        except Exception as exc:
            raise UsageError(
                f"--plugin {self.spec}: {self.name}.monitor() raised {type(exc).__name__}: {exc}"
            ) from None


def catalogue_with(
    specs: Iterable[str], base: Mapping[str, Property] | None = None
) -> dict[str, Property]:
    """The built-in catalogue plus the plugins' properties, for this invocation only."""
    from probe.properties.catalogue import CATALOGUE

    catalogue = dict(CATALOGUE if base is None else base)
    for spec in specs:
        if not is_property(_object(spec)):
            continue
        prop = load_property(spec)
        if prop.name in catalogue:
            raise UsageError(f"--plugin {spec}: a property named {prop.name!r} is already known")
        catalogue[prop.name] = prop
    return catalogue


def _checked(obj: object, spec: str) -> DedupStrategy:
    name = getattr(obj, "name", None)
    summary = getattr(obj, "summary", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageError(
            f"--plugin {spec}: a strategy needs a `name`: lower-case letters, digits, '-' "
            "and '_', at most 32 characters"
        )
    if not isinstance(summary, str):
        raise UsageError(f"--plugin {spec}: strategy {name!r} needs a `summary` string")
    key = getattr(obj, "key", None)
    if not callable(key):
        raise UsageError(f"--plugin {spec}: strategy {name!r} needs a method key(request) -> str")
    return PluginStrategy(spec, name, summary, key)


class PluginStrategy:
    """A plugin's strategy, so that its failure reads as the plugin's, not as a bug in probe."""

    def __init__(
        self, spec: str, name: str, summary: str, key: Callable[[RecoveryRequest], object]
    ) -> None:
        self.spec = spec
        self.name = name
        self.summary = summary
        self._key = key

    def key(self, request: RecoveryRequest) -> str:
        try:
            key = self._key(request)
        except Exception as exc:
            raise UsageError(
                f"--plugin {self.spec}: {self.name}.key() raised {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(key, str):
            raise UsageError(
                f"--plugin {self.spec}: {self.name}.key() returned {type(key).__name__}, not str"
            )
        return key


def registry_with(
    specs: Iterable[str], base: Mapping[str, DedupStrategy] = REGISTRY
) -> dict[str, DedupStrategy]:
    """The built-in registry plus the plugins, for this invocation only (`base` is not changed)."""
    registry = dict(base)
    for spec in specs:
        if is_property(_object(spec)):
            continue  # catalogue_with registers it
        strategy = load_plugin(spec)
        if strategy.name in registry:
            raise UsageError(
                f"--plugin {spec}: a strategy named {strategy.name!r} is already registered"
            )
        registry[strategy.name] = strategy
    return registry
