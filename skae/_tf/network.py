"""A network's variables (a ``tf.Module`` of named ``tf.Variable`` objects)
and its compiled inference functions.

The variables mirror the weights' plain structure (see
:mod:`skae._tf.layers`), so a tied decoder really uses the encoder's kernel
variable, there is no layer object that has to be serialised, and the
weights round-trip as a nested dict of numpy arrays.

The forward pass and losses are functions of ``(spec, params, x)``, compiled
once per spec (and dtype) and cached: fitting the same architecture again,
as cross-validation and grid search do hundreds of times, reuses the traced
graph with the new model's variables passed in as arguments.
"""

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from .._spec import Dense, PredictorSpec, batch_norms, weight_layers
from . import export, import_tensorflow
from .distribute import replica_variables
from .layers import decode, encode, frozen_outputs, initial_head, initial_weights, predict
from .losses import expected_squared_errors, latent_kl, posterior_std, sample_errors

tf = import_tensorflow()


def weight_shapes(spec):
    """The shapes of ``spec``'s named weights: two specs whose shapes agree
    can go on training each other's weights."""
    return tf.nest.map_structure(np.shape, initial_weights(spec, 0))


_INFERENCE = {
    "predict": lambda spec, params, x: predict(spec, params, x)[1],
    "frozen_outputs": frozen_outputs,
    "encode": encode,
    "decode": decode,
    "sample_errors": sample_errors,
    "expected_squared_errors": expected_squared_errors,
    "latent_kl": latent_kl,
    "posterior_std": posterior_std,
}


@functools.lru_cache(maxsize=64)
def compiled(name, spec, dtype):
    """``name``'s function for ``spec`` and input ``dtype``, compiled once.

    Called as ``fn(params, x)``; only the batch dimension of ``x`` varies.
    """
    fn = _INFERENCE[name]

    def run(params, x):
        return fn(spec, params, x)

    run.__qualname__ = f"skae.{name}"  # see skae._tf._OwnRetracingFilter
    return tf.function(run, reduce_retracing=True, autograph=False)


def plain(structure):
    """A nested structure with TensorFlow's tracking wrappers (which a
    ``tf.Module`` puts around its dicts and lists) turned into plain dicts
    and lists: what pickles without TensorFlow."""
    if isinstance(structure, Mapping):
        return {key: plain(value) for key, value in structure.items()}
    if isinstance(structure, Sequence) and not isinstance(structure, (str, bytes)):
        return [plain(value) for value in structure]
    return structure


def check_weights(expected, weights, what="The weights"):
    """Weights given to a network (loaded, or computed), or arrays that must
    match them (Adam's moments, named by ``what``), must have its shapes and
    be finite."""
    shapes = tf.nest.map_structure(np.shape, expected)
    try:
        tf.nest.assert_same_structure(expected, weights)
        same = shapes == tf.nest.map_structure(np.shape, weights)
    except (ValueError, TypeError):
        same = False
    if not same:
        raise ValueError(f"{what} do not fit this network's shapes.")
    if not all(np.isfinite(w).all() for w in tf.nest.flatten(weights)):
        raise ValueError(
            f"{what} contain NaN or infinity: a saved model that was corrupted or"
            " not written by skae."
        )


class Autoencoder(tf.Module):
    """The named variables of one network, and its forward pass.

    Parameters
    ----------
    spec : NetworkSpec
    seed : int
        Seeds the numpy generator that draws the initial weights.
    weights : dict, optional
        Named weights as returned by :meth:`get_weights`; overrides ``seed``.
    """

    def __init__(self, spec, seed=0, weights=None):
        super().__init__(name="autoencoder")
        self.spec = spec
        init = initial_weights(spec, seed)
        if weights is not None:
            check_weights(init, weights)
            init = weights
        self.params = tf.nest.map_structure(
            lambda w: tf.Variable(np.asarray(w, dtype=np.float32)), init
        )

    @property
    def train_params(self):
        """What the optimiser steps: every parameter."""
        return self.params

    @property
    def variables_list(self):
        """The variables in a fixed order (the optimiser's)."""
        return tf.nest.flatten(self.params)

    def run(self, name, x):
        """Apply 'encode', 'decode' or 'sample_errors' to x, in x's precision."""
        return compiled(name, self.spec, tf.as_dtype(x.dtype).name)(replica_variables(self.params), x)

    # -- weights --------------------------------------------------------------
    def get_weights(self):
        """The named weights as numpy arrays (copies).  Mirrored variables
        are read through their first replica's copy (all are equal): reading
        them whole is refused inside another strategy's scope, and a fitted
        model must save and go on training under any strategy, or none."""
        return plain(tf.nest.map_structure(lambda v: v.numpy(), replica_variables(self.params)))

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for v, w in zip(self.variables_list, tf.nest.flatten(weights)):
            v.assign(np.asarray(w, dtype=np.float32))

    def layers(self):
        """(kernel, bias) per weight layer as numpy arrays, input to output; a
        tied decoder layer's kernel is the encoder's (transposed, for a dense
        layer; as it is, for a transposed convolution); a missing bias is zeros."""
        encoder = [{k: v.numpy() for k, v in layer.items()} for layer in replica_variables(self.params["encoder"])]
        decoder = [{k: v.numpy() for k, v in layer.items()} for layer in replica_variables(self.params["decoder"])]
        out = []
        descriptions = weight_layers(self.spec.encoder_layers()) + weight_layers(self.spec.decoder_layers())
        for layer, entry in zip(descriptions, encoder + decoder):
            if layer.tied is None:
                kernel = entry["kernel"]
            else:
                kernel = encoder[layer.tied]["kernel"]
                kernel = kernel.T if isinstance(layer, Dense) else kernel
            bias = entry.get("bias", np.zeros(layer.output_shape[-1], np.float32))
            out.append((kernel, bias))
        return out

    # -- Keras export ---------------------------------------------------------
    def _norms(self):
        """The batch normalisations' weights as numpy arrays: (encoder's, decoder's)."""
        norms = self.get_weights().get("batch_norm", [])
        n_encoder = len(batch_norms(self.spec.encoder_layers()))
        return norms[:n_encoder], norms[n_encoder:]

    def keras_encoder(self):
        layers = self.spec.encoder_layers()
        return export.keras_model(
            "encoder", self.spec.n_features, layers, self.layers()[: len(self.params["encoder"])], self._norms()[0]
        )

    def keras_decoder(self):
        return export.keras_model(
            "decoder", self.spec.n_components, self.spec.decoder_layers(),
            self.layers()[len(self.params["encoder"]):], self._norms()[1],
            output_activation="logistic" if self.spec.loss == "binary_crossentropy" else None,
        )


class Predictor(Autoencoder):
    """The named variables of a prediction network on an encoder
    (:class:`~skae._spec.PredictorSpec`): ``{"encoder": [...], "head":
    [...]}``, and ``"decoder"`` when the loss reconstructs.

    ``weights`` are complete (see :meth:`initial`).  ``train_params`` are
    what the optimiser steps: all of them, or with ``spec.cached`` all but
    the frozen encoder layers, whose outputs the trainer feeds instead.
    """

    def __init__(self, spec, weights):
        tf.Module.__init__(self, name="predictor")
        self.spec = spec
        self.params = tf.nest.map_structure(lambda w: tf.Variable(np.asarray(w, dtype=np.float32)), weights)
        check_weights(self.initial(spec, 0, weights["encoder"], weights.get("decoder")), weights)

    @staticmethod
    def initial(spec, seed, encoder, decoder=None):
        """Complete weights: the encoder's (and decoder's) given, a new head drawn from ``seed``."""
        weights = {"encoder": plain(encoder), "head": initial_head(spec, seed)}
        if spec.reconstruction_weight:
            weights["decoder"] = plain(decoder)
        return weights

    def keras_encoder(self):
        """The (fine-tuned) encoder as a Keras model."""
        spec = self.spec.autoencoder
        weights = [(layer["kernel"], layer["bias"]) for layer in self.get_weights()["encoder"]]
        return export.keras_model("encoder", spec.n_features, spec.encoder_layers(), weights)

    @property
    def train_params(self):
        if not self.spec.cached:
            return self.params
        return {"encoder": list(self.params["encoder"])[self.spec.n_frozen :], "head": list(self.params["head"])}


def build(spec, weights):
    """The network of ``spec`` (an autoencoder or a predictor) with ``weights``."""
    if isinstance(spec, PredictorSpec):
        return Predictor(spec, weights)
    return Autoencoder(spec, weights=weights)
