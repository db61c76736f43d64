"""VGG16's layers as a Sequential spec, for the benchmarks (keras.applications.VGG16 with its
classifier top: 13 Conv2D 3x3 in five blocks, each closed by MaxPooling2D, then Flatten and Dense
4096, 4096, 1000; 138,357,544 parameters at 224x224x3)."""

from __future__ import annotations

from nnstudio.core.spec import ModelSpec

BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convolutions) per block


def vgg16_spec(size: int = 224) -> ModelSpec:
    """The VGG16 Sequential for `size` x `size` RGB images."""
    spec = ModelSpec(name="vgg16")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[size, size, 3]))
    layers: list[tuple[str, dict]] = []
    for filters, count in BLOCKS:
        conv = {"filters": filters, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}
        layers += [("Conv2D", conv)] * count
        layers.append(("MaxPooling2D", {"pool_size": [2, 2]}))
    layers += [("Flatten", {}), ("Dense", {"units": 4096, "activation": "relu"})]
    layers += [("Dense", {"units": 4096, "activation": "relu"}), ("Dense", {"units": 1000, "activation": "softmax"})]
    for class_name, params in layers:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec
