"""The registry of layer types: every `LAYER` found in the family packages, the one source of truth.

A family package (`nnstudio/core/layers/<family>/__init__.py`) defines `FAMILY = Family(...)`;
every module in it defines `LAYER = LayerType(...)`, except helper modules, whose names start
with `_`. Nothing else registers a type: a new module is found by walking the packages.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import replace
from functools import cache
from types import MappingProxyType, ModuleType

from nnstudio.core.layers.base import Family, LayerType

PACKAGE = "nnstudio.core.layers"


class RegistryError(RuntimeError):
    """A family package or type module that breaks the rules above."""


Registry = tuple[tuple[Family, tuple[LayerType, ...]], ...]


@cache
def _registry() -> Registry:
    return discover(PACKAGE)


def discover(package_name: str) -> Registry:
    """Every family package under `package_name` with its types, in palette order."""
    root = importlib.import_module(package_name)
    families: list[tuple[Family, list[LayerType]]] = []
    seen: dict[str, str] = {}
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"{package_name}.{info.name}")
        family = getattr(package, "FAMILY", None)
        if not isinstance(family, Family) or family.name != info.name:
            raise RegistryError(f"{package.__name__} must define FAMILY = Family({info.name!r}, ...)")
        types = []
        for module in _modules(package):
            layer_type = _type_of(module, family)
            config_key = f"config class {layer_type.keras_module}.{layer_type.config_class}"
            for key in (layer_type.class_name, config_key):
                if key in seen:
                    raise RegistryError(f"{key} is declared by both {seen[key]} and {module.__name__}")
                seen[key] = module.__name__
            types.append(layer_type)
        families.append((family, sorted(types, key=lambda t: (t.order, t.class_name))))
    families.sort(key=lambda entry: (entry[0].order, entry[0].name))
    return tuple((family, tuple(types)) for family, types in families)


def _modules(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def _type_of(module: ModuleType, family: Family) -> LayerType:
    layer_type = getattr(module, "LAYER", None)
    if not isinstance(layer_type, LayerType):
        raise RegistryError(f"{module.__name__} must define LAYER = LayerType(...) (helpers: name the module _...)")
    if layer_type.family not in ("", family.name):
        raise RegistryError(f"{module.__name__} says family {layer_type.family!r} but lives in {family.name!r}")
    return replace(layer_type, family=family.name)


def all_types() -> tuple[LayerType, ...]:
    """Every layer type, by family and then by place within the family."""
    return tuple(t for _family, types in _registry() for t in types)


def types_by_family() -> dict[Family, tuple[LayerType, ...]]:
    """The families in palette order, each with its types (families without types included)."""
    return {family: types for family, types in _registry()}


@cache
def _by_class() -> MappingProxyType[str, LayerType]:
    return MappingProxyType({t.class_name: t for t in all_types()})


@cache
def _by_config() -> MappingProxyType[tuple[str, str], LayerType]:
    return MappingProxyType({(t.keras_module, t.config_class): t for t in all_types()})


@cache
def _by_config_class() -> MappingProxyType[str, LayerType]:
    """Each config class name once: Keras's layers first, where an operation has the same name
    (`keras.layers.Add` and the `keras.src.ops.numpy.Add` of `x + y`)."""
    found: dict[str, LayerType] = {}
    for t in sorted(all_types(), key=lambda t: t.keras_module != "keras.layers"):
        found.setdefault(t.config_class, t)
    return MappingProxyType(found)


def layer_types() -> MappingProxyType[str, LayerType]:
    """Class name -> layer type, in palette order (read-only)."""
    return _by_class()


def layer_type(class_name: str) -> LayerType:
    """The type called `class_name`; KeyError if nnstudio has none."""
    return _by_class()[class_name]


def is_input(class_name: str) -> bool:
    """Whether `class_name` is the type a model starts with (the Input)."""
    kind = _by_class().get(class_name)
    return kind is not None and kind.is_input


def by_config_class(config_class: str, module: str | None = None) -> LayerType:
    """The type a `.keras` config names (`InputLayer` -> Input): with `module`, the entry's
    `module` too (`keras.src.ops.numpy` + `Add` -> ops.Add); without, the class as Keras's layers
    name it. KeyError if nnstudio has none."""
    if module is None:
        return _by_config_class()[config_class]
    return _by_config()[(module, config_class)]


def config_classes() -> tuple[str, ...]:
    """The class names a `.keras` config may hold, in palette order (each once)."""
    return tuple(dict.fromkeys(t.config_class for t in all_types()))


def family(name: str) -> Family:
    """The family called `name`; KeyError if there is none."""
    for fam, _types in _registry():
        if fam.name == name:
            return fam
    raise KeyError(name)


def known_classes_hint(class_name: object, config: bool = False) -> str:
    """What to say after "unknown layer class X": the known names closest to it, else how many
    types nnstudio knows (a list of every type would make a message of several hundred characters).
    `config`: the names a `.keras` config uses (InputLayer for the Input)."""
    names = list(config_classes() if config else layer_types())
    close = difflib.get_close_matches(str(class_name)[:64], names, n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return f"nnstudio knows {len(names)} layer types, from {names[0]} to {names[-1]} (its Layers palette lists them)"
