"""Keras models of a fitted network, built from its layer descriptions.

Plain Keras layers (``Dense``, ``Conv2D``, ``Conv2DTranspose``,
``Reshape``, ``BatchNormalization`` and ``Activation``) holding a copy of the weights: the models save and load with
Keras' own format and no custom objects.  Noise layers are left out (they
are the identity at inference).
"""

from .._spec import ACTIVATIONS, BatchNorm, Conv2D, Conv2DTranspose, Dense, Noise, Reshape
from . import import_tensorflow

tf = import_tensorflow()


def _output_padding(layer):
    """Keras' ``output_padding`` that makes its transposed convolution give
    ``layer.output_shape`` (Keras infers ``input * stride`` without one)."""
    pads = []
    for axis in range(2):
        n_in, n_out = layer.input_shape[axis], layer.output_shape[axis]
        k, s = layer.kernel_size[axis], layer.strides[axis]
        pads.append(n_out - ((n_in - 1) * s + k - 2 * (k // 2)))
    if all(n_out == n_in * s for n_in, n_out, s in zip(layer.input_shape, layer.output_shape, layer.strides)):
        return None
    return tuple(pads)


def keras_layer(layer, name, activation=None):
    layers = tf.keras.layers
    act = ACTIVATIONS[activation or layer.activation][0]
    if isinstance(layer, Dense):
        return layers.Dense(layer.units, activation=act, name=name)
    if isinstance(layer, Conv2D):
        return layers.Conv2D(
            layer.filters, layer.kernel_size, strides=layer.strides, padding="same", activation=act, name=name
        )
    if isinstance(layer, Conv2DTranspose):
        return layers.Conv2DTranspose(
            layer.filters, layer.kernel_size, strides=layer.strides, padding="same",
            output_padding=_output_padding(layer), activation=act, name=name,
        )
    raise TypeError(f"not a weight layer: {layer!r}")


def keras_model(name, n_inputs, layers, weights, norms=(), output_activation=None):
    """A ``keras.Sequential`` of ``layers`` (descriptions) on flat rows of
    ``n_inputs``, with ``weights`` ((kernel, bias) per weight layer, tied
    kernels already resolved) and ``norms`` (the batch normalisations'
    entries, in order); ``output_activation`` overrides the last weight
    layer's activation (a sigmoid for binary cross-entropy's logits)."""
    keras = tf.keras
    stack = [keras.Input(shape=(n_inputs,))]
    arrays = []
    weights, norms = iter(weights), iter(norms)
    n_weighted = sum(layer.weighted for layer in layers)
    i = 0
    for layer in layers:
        if isinstance(layer, Noise):
            continue
        if isinstance(layer, Reshape):
            stack.append(keras.layers.Reshape(layer.shape))
        elif isinstance(layer, BatchNorm):
            entry = next(norms)
            stack.append(keras.layers.BatchNormalization(epsilon=layer.epsilon, momentum=layer.momentum))
            stack.append(keras.layers.Activation(ACTIVATIONS[layer.activation][0]))
            arrays += [entry[key] for key in ("gamma", "beta", "moving_mean", "moving_variance")]
        else:
            last = i == n_weighted - 1
            stack.append(keras_layer(layer, f"{name}_{i}", output_activation if last else None))
            arrays += list(next(weights))
            i += 1
    model = keras.Sequential(stack, name=name)
    model.set_weights(arrays)
    return model
