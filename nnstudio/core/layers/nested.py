"""A layer inside a layer: the `layer` and `backward_layer` a Bidirectional wraps, the `layer` a
TimeDistributed applies to every time step.

A spec holds the wrapped layer as a layer entry of a project file, `{"class_name": "LSTM",
"name": "lstm", "units": 64, ...}`, with every parameter of its type. Read from a `.keras` config,
the nested Keras entry is checked as strictly as a model's own layers are (its module, class,
keys and values through the registry); nothing in it is deserialised or run. Problems inside it
belong to dotted fields (`layer.units`), so the property editor marks the wrapped layer's field.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from nnstudio.core.file_values import value_problem
from nnstudio.core.layers.config_values import is_plain
from nnstudio.core.layers.params import ParamKind, short

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
_ENTRY_KEYS = {"module", "class_name", "config", "registered_name", "build_config"}
# Keys a wrapper sets on the layers it holds, whatever the file says (Bidirectional sets
# zero_output_for_mask to return_sequences).
_SET_BY_WRAPPER = {"zero_output_for_mask"}


@dataclass(frozen=True)
class NestedLayer(ParamKind):
    """A layer of one of `classes`, held as its project-file entry; None too when `optional`.

    `strip_prefix`: what Keras puts before the name of the layer it keeps (Bidirectional names its
    forward copy `forward_<name>`); reading a `.keras` file takes it off again. `any_one_input`:
    instead of `classes`, every registered layer of `keras.layers` that can be called on one
    tensor (TimeDistributed's), found when asked, since the registry is still being filled when
    a type module makes its parameters."""

    classes: tuple[str, ...] = ()
    optional: bool = False
    strip_prefix: str = ""
    any_one_input: bool = False
    editor: ClassVar[str] = "nested_layer"
    nested: ClassVar[bool] = True

    def choices(self) -> tuple[str, ...]:
        """The class names a wrapped layer may have."""
        if not self.any_one_input:
            return self.classes
        from nnstudio.core.layers.registry import all_types

        return tuple(
            t.class_name
            for t in all_types()
            if t.takes_one_input and not t.is_input and t.keras_module == "keras.layers"
        )

    # -- checking -----------------------------------------------------------------------------

    def check(self, name: str, value: Any) -> str | None:
        found = self.problems(name, value)
        return found[0][1] if found else None

    def problems(self, name: str, value: Any) -> list[tuple[str, str]]:
        from nnstudio.core.layers.registry import layer_type

        if value is None and self.optional:
            return []
        if not isinstance(value, dict) or value.get("class_name") not in self.choices():
            return [(name, f"{name} must be a {self._listed()} layer. Received: {name}={short(value)}")]
        kind = layer_type(value["class_name"])
        label = f"{name} {kind.class_name}"
        found: list[tuple[str, str]] = []
        inner_name = value.get("name")
        if not isinstance(inner_name, str) or not NAME_PATTERN.match(inner_name):
            found.append(
                (
                    f"{name}.name",
                    f"{label}: a layer name must start with a letter or _ and hold only letters, digits, _ . -. "
                    f"Received: name={short(inner_name)}",
                )
            )
        known = {p.name for p in kind.params}
        for key in value:
            if key not in known and key not in ("class_name", "name"):
                found.append((name, f"{label}: {kind.class_name} has no setting {key!r}"))
        for param in kind.params:
            for at, problem in param.problems(value.get(param.name, param.default)):
                found.append((f"{name}.{at}", f"{label}: {problem}"))
        if not found:
            settings = kind.values({k: v for k, v in value.items() if k in known})
            for field, problem in kind.validate(settings):
                found.append((f"{name}.{field}" if field else name, f"{label}: {problem}"))
        return found

    def _listed(self) -> str:
        if self.any_one_input:
            return "one-input"
        classes = self.classes
        return ", ".join(classes[:-1]) + (" or " if len(classes) > 1 else "") + classes[-1]

    def describe(self) -> str:
        return f"a {self._listed()} layer" + (", or None" if self.optional else "")

    # -- reading --------------------------------------------------------------------------------

    def from_config(self, name: str, value: Any) -> Any:
        """The nested Keras entry `{"module", "class_name", "config", ...}` as a layer entry."""
        from nnstudio.core.layers.registry import by_config_class

        if value is None and self.optional:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a layer. Received: {name}={short(value)}")
        for key in value:
            if key not in _ENTRY_KEYS:
                raise ValueError(f"{name} has an unexpected key {short(key)}")
        keras_class = value.get("class_name")
        try:
            kind = by_config_class(keras_class)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            kind = None
        if kind is None or kind.class_name not in self.choices():
            raise ValueError(f"{name} must be a {self._listed()} layer. Received: class_name={short(keras_class)}")
        if value.get("module") != kind.keras_module:
            raise ValueError(f"{name}: layer from an unexpected module {short(value.get('module'))}")
        if value.get("registered_name") not in (None, keras_class):
            raise ValueError(f"{name}: {short(value.get('registered_name'))} is not Keras's own layer")
        build = value.get("build_config")
        if build is not None and not (
            isinstance(build, dict)
            and set(build) <= {"input_shape"}
            and (build.get("input_shape") is None or isinstance(build["input_shape"], list))
            and is_plain(build.get("input_shape"))
        ):
            raise ValueError(f"{name}: build_config must hold only an input_shape. Received: {short(build)}")
        config = value.get("config")
        if not isinstance(config, dict):
            raise ValueError(f"{name}: config must be an object. Received: {short(config)}")
        inner_name = config.get("name")
        if not isinstance(inner_name, str) or not inner_name or len(inner_name) > 128 or not inner_name.isprintable():
            raise ValueError(f"{name}: a name must be a printable text of 1 to 128 characters")
        by_key = {p.key: p for p in kind.params}
        checks = kind.config_checks()
        settings = kind.defaults()
        for key, item in config.items():
            if key == "name":
                continue
            if key in by_key:
                settings[by_key[key].name] = by_key[key].kind.from_config(key, item)
            elif key in _SET_BY_WRAPPER:
                if not isinstance(item, bool):
                    raise ValueError(f"{name}: {key} must be true or false. Received: {key}={short(item)}")
            elif key in checks:
                if not checks[key](item):
                    raise ValueError(f"{name}: {key} is not supported. Received: {key}={short(item)}")
            else:
                raise ValueError(f"{name}: {kind.config_class} has no setting {short(key)} that nnstudio supports")
        if self.strip_prefix and inner_name.startswith(self.strip_prefix) and len(inner_name) > len(self.strip_prefix):
            inner_name = inner_name[len(self.strip_prefix) :]
        return {"class_name": kind.class_name, "name": inner_name, **kind.stored(settings)}

    def from_project(self, name: str, value: Any) -> Any:
        """A layer entry of a project file (`{"class_name": "LSTM", "name": "lstm", ...}`)."""
        from nnstudio.core.layers.registry import layer_types

        if value is None and self.optional:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"expected a layer entry (an object), found {type(value).__name__}")
        class_name = value.get("class_name")
        if class_name not in self.choices():
            raise ValueError(f"{name} must be a {self._listed()} layer. Received: class_name={short(class_name)}")
        inner_name = value.get("name")
        if not isinstance(inner_name, str):
            raise ValueError(f"{name}: the layer's name must be a string. Received: {short(inner_name)}")
        kind = layer_types()[class_name]
        known = {p.name for p in kind.params}
        settings = kind.defaults()
        for key, item in value.items():
            if key in ("class_name", "name"):
                continue
            if key not in known:
                raise ValueError(f"{name}: {class_name} has no setting {key!r}")
            inner = kind.param(key).kind
            if inner.nested or inner.object_values:  # an initializer with its settings: read by its kind
                settings[key] = inner.from_project(f"{name}.{key}", item)
                continue
            problem = value_problem(item)  # what a project file's settings may be
            if problem:
                raise ValueError(f"{name}.{key} must be a plain value ({problem}). Received: {short(item)}")
            settings[key] = item
        return {"class_name": class_name, "name": inner_name, **kind.stored(settings)}

    # -- writing --------------------------------------------------------------------------------

    def to_keras(self, value: Any) -> Any:
        """The wrapped layer as a LayerSpec: Keras code (keras_io.build) makes it a Keras layer."""
        from nnstudio.core.spec import LayerSpec

        if value is None:
            return None
        params = {k: v for k, v in value.items() if k not in ("class_name", "name")}
        return LayerSpec(value["class_name"], value["name"], params)

    def to_source(self, value: Any) -> str:
        from nnstudio.core.codegen import layer_call

        spec = self.to_keras(value)
        return "None" if spec is None else layer_call(spec)

    def fresh(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def as_config(self, value: Any) -> Any:
        """The wrapped layer's settings in Keras's standard form (its kinds' `as_config`)."""
        from nnstudio.core.layers.registry import layer_types

        kind = layer_types().get(str(value.get("class_name"))) if isinstance(value, dict) else None
        if kind is None:
            return value
        return {"class_name": value["class_name"], "name": value.get("name"), **kind.as_config(inner_settings(value))}

    def format_text(self, value: Any) -> str:
        return "None" if value is None else f"{value.get('class_name')}({value.get('name')})"


def inner_settings(value: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a nested layer entry (without its class and name)."""
    return {k: v for k, v in value.items() if k not in ("class_name", "name")}


@dataclass(frozen=True)
class NestedLayers(ParamKind):
    """The layers of a model inside a model (a Sequential in ConvNeXt's stem): its Input entry
    first, then its layers in order, each a layer entry as `NestedLayer` holds one and checked as
    strictly (problems belong to `layers.<i>.<field>`)."""

    editor: ClassVar[str] = "nested_layers"
    nested: ClassVar[bool] = True

    @staticmethod
    def _one(index: int, entry: Any) -> NestedLayer:
        from nnstudio.core.layers.registry import all_types

        if index == 0:
            return NestedLayer(tuple(t.class_name for t in all_types() if t.is_input))
        return NestedLayer(tuple(t.class_name for t in all_types() if t.takes_one_input and not t.is_input))

    def check(self, name: str, value: Any) -> str | None:
        found = self.problems(name, value)
        return found[0][1] if found else None

    def problems(self, name: str, value: Any) -> list[tuple[str, str]]:
        if not isinstance(value, (list, tuple)) or len(value) < 2:
            return [(name, f"{name} must be an Input and at least one layer. Received: {name}={short(value)}")]
        if len(value) > MAX_NESTED_LAYERS:
            return [(name, f"{name} may hold at most {MAX_NESTED_LAYERS} layers. Received: {len(value)} layers")]
        found: list[tuple[str, str]] = []
        for i, entry in enumerate(value):
            found += self._one(i, entry).problems(f"{name}.{i}", entry)
        names = [entry.get("name") for entry in value if isinstance(entry, dict)]
        if len(set(names)) != len(names):
            found.append((name, f"{name}: the layers' names must be unique. Received: {short(names)}"))
        return found

    def from_config(self, name: str, value: Any) -> Any:
        """A Keras Sequential config's `layers` list (its InputLayer first) as layer entries."""
        if not isinstance(value, list) or not 2 <= len(value) <= MAX_NESTED_LAYERS:
            raise ValueError(f"{name} must be a list of an InputLayer and 1 to {MAX_NESTED_LAYERS - 1} layers")
        return [self._one(i, entry).from_config(f"{name}[{i}]", entry) for i, entry in enumerate(value)]

    def from_project(self, name: str, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError(f"{name} must be a list of layer entries. Received: {short(value)}")
        return [self._one(i, entry).from_project(f"{name}.{i}", entry) for i, entry in enumerate(value)]

    def to_keras(self, value: Any) -> Any:
        """The layers as LayerSpecs (Keras code makes each a Keras layer, the Input a `keras.Input`)."""
        return [NestedLayer().to_keras(entry) for entry in value]

    def to_source(self, value: Any) -> str:
        return "[" + ", ".join(NestedLayer().to_source(entry) for entry in value) + "]"

    def fresh(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def as_config(self, value: Any) -> Any:
        """Each layer in Keras's standard form, as a project file keeps it (an Input's float32 dtype implicit)."""
        from nnstudio.core.layers.registry import layer_types

        if not isinstance(value, (list, tuple)):
            return value
        standard = []
        for entry in value:
            kind = layer_types().get(str(entry.get("class_name"))) if isinstance(entry, dict) else None
            if kind is None:
                standard.append(entry)
                continue
            settings = kind.stored(kind.as_config(inner_settings(entry)))
            standard.append({"class_name": entry["class_name"], "name": entry.get("name"), **settings})
        return standard

    def parse_text(self, text: str) -> Any:
        raise ValueError("the layers inside are shown here; edit them in Keras code or a project file")

    def format_text(self, value: Any) -> str:
        if not isinstance(value, (list, tuple)):
            return ""
        return ", ".join(f"{e.get('class_name')}({e.get('name')})" for e in value if isinstance(e, dict))

    def describe(self) -> str:
        return "the Input and the layers of the model inside, in order"


MAX_NESTED_LAYERS = 1_000
