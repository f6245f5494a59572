"""Autoencoder networks built from a :class:`~skae._spec.NetworkSpec`.

The network is a ``tf.Module`` holding plain ``tf.Variable`` objects, so a
tied decoder really uses the encoder's kernel variable (transposed), there is
no layer object that has to be serialised, and the weights round-trip as a
list of numpy arrays.  Initial weights come from a numpy generator seeded by
the caller: no TensorFlow global seed is touched.
"""

import numpy as np

from . import import_tensorflow

tf = import_tensorflow()

ACTIVATIONS = {
    "identity": tf.identity,
    "logistic": tf.sigmoid,
    "tanh": tf.tanh,
    "relu": tf.nn.relu,
    "elu": tf.nn.elu,
}
# The same functions under Keras' names, for the exported Keras models.
KERAS_ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
}


def initial_kernel(rng, fan_in, fan_out, activation):
    """He-normal for ReLU/ELU layers, Glorot-uniform for the others."""
    if activation in ("relu", "elu"):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    if activation == "logistic":  # as scikit-learn's MLP does for sigmoid units
        limit *= np.sqrt(2.0)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


class Autoencoder(tf.Module):
    """Encoder and decoder stacks with their loss terms.

    Parameters
    ----------
    spec : NetworkSpec
    seed : int
        Seeds the numpy generator that draws the initial weights.
    weights : list of ndarray, optional
        Weights as returned by :meth:`get_weights`; overrides ``seed``.
    """

    def __init__(self, spec, seed=0, weights=None):
        super().__init__(name="autoencoder")
        self.spec = spec
        sizes = spec.layer_sizes
        n_layers = len(sizes) - 1
        self.encoder_activations = [spec.activation] * (n_layers - 1) + [
            spec.code_activation
        ]
        # The decoder mirrors the encoder; its last layer gives the output.
        self.decoder_activations = [spec.activation] * (n_layers - 1) + ["identity"]

        rng = np.random.default_rng(seed)
        init = []
        for i in range(n_layers):
            act = self.encoder_activations[i]
            init.append(initial_kernel(rng, sizes[i], sizes[i + 1], act))
            init.append(np.zeros(sizes[i + 1]))
        for i in reversed(range(n_layers)):
            if not spec.tied_weights:
                act = self.decoder_activations[n_layers - 1 - i]
                init.append(initial_kernel(rng, sizes[i + 1], sizes[i], act))
            init.append(np.zeros(sizes[i]))
        if weights is not None:
            if [np.shape(w) for w in weights] != [w.shape for w in init]:
                raise ValueError("The weights do not fit this network's shapes.")
            init = weights

        self.trainable = [
            tf.Variable(np.asarray(w, dtype=np.float32), name=f"w{i}")
            for i, w in enumerate(init)
        ]
        self.encoder_kernels = self.trainable[0 : 2 * n_layers : 2]
        self.encoder_biases = self.trainable[1 : 2 * n_layers : 2]
        decoder = self.trainable[2 * n_layers :]
        if spec.tied_weights:
            self.decoder_kernels = None
            self.decoder_biases = decoder
        else:
            self.decoder_kernels = decoder[0::2]
            self.decoder_biases = decoder[1::2]

        # Inference runs in the input's precision: float32 input in float32,
        # float64 input in float64 (then a row's result does not depend on
        # which other rows share its batch, to float64 precision).
        self._compiled = {}

    def compiled(self, name, dtype):
        """A compiled inference function ('encode', 'decode', 'sample_errors')."""
        key = (name, np.dtype(dtype).name)
        if key not in self._compiled:
            spec = [tf.TensorSpec([None, None], tf.as_dtype(np.dtype(dtype)))]
            self._compiled[key] = tf.function(
                getattr(self, "_" + name), input_signature=spec
            )
        return self._compiled[key]

    # -- forward pass ---------------------------------------------------------
    def _encode(self, x):
        for W, b, act in zip(
            self.encoder_kernels, self.encoder_biases, self.encoder_activations
        ):
            x = ACTIVATIONS[act](tf.matmul(x, tf.cast(W, x.dtype)) + tf.cast(b, x.dtype))
        return x

    def _decode_logits(self, z):
        n_layers = len(self.encoder_kernels)
        for j in range(n_layers):
            if self.decoder_kernels is None:
                # Tied: the encoder's kernel variable itself, transposed.
                W = self.encoder_kernels[n_layers - 1 - j]
                z = tf.matmul(z, tf.cast(W, z.dtype), transpose_b=True)
            else:
                z = tf.matmul(z, tf.cast(self.decoder_kernels[j], z.dtype))
            z = z + tf.cast(self.decoder_biases[j], z.dtype)
            if j < n_layers - 1:
                z = ACTIVATIONS[self.decoder_activations[j]](z)
        return z

    def _decode(self, z):
        out = self._decode_logits(z)
        if self.spec.loss == "binary_crossentropy":
            out = tf.sigmoid(out)
        return out

    # -- losses ---------------------------------------------------------------
    def _reconstruction_errors(self, x, logits):
        """Per-sample reconstruction error, averaged over the features."""
        if self.spec.loss == "binary_crossentropy":
            err = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
        else:
            err = tf.math.squared_difference(logits, x)
        return tf.reduce_mean(err, axis=1)

    def _sample_errors(self, x):
        return self._reconstruction_errors(x, self._decode_logits(self._encode(x)))

    def objective(self, x, seed):
        """The training loss on one batch: reconstruction plus penalties.

        ``seed`` (shape [2], int64) is for stochastic terms such as input
        corruption; the plain autoencoder does not use it.
        """
        logits = self._decode_logits(self._encode(x))
        loss = tf.reduce_mean(self._reconstruction_errors(x, logits))
        if self.spec.alpha:
            kernels = list(self.encoder_kernels) + list(self.decoder_kernels or [])
            l2 = tf.add_n([tf.reduce_sum(tf.square(W)) for W in kernels])
            loss = loss + 0.5 * self.spec.alpha * l2
        return loss

    # -- weights --------------------------------------------------------------
    def get_weights(self):
        return [v.numpy() for v in self.trainable]

    def set_weights(self, weights):
        for v, w in zip(self.trainable, weights):
            v.assign(w)

    # -- Keras export ---------------------------------------------------------
    def _keras_stack(self, name, in_dim, kernels, biases, activations):
        keras = tf.keras
        layers = [keras.Input(shape=(in_dim,))]
        for i, (W, act) in enumerate(zip(kernels, activations)):
            layers.append(
                keras.layers.Dense(
                    W.shape[1], activation=KERAS_ACTIVATIONS[act], name=f"{name}_{i}"
                )
            )
        model = keras.Sequential(layers, name=name)
        model.set_weights([a for W, b in zip(kernels, biases) for a in (W, b)])
        return model

    def keras_encoder(self):
        return self._keras_stack(
            "encoder",
            self.spec.n_features,
            [W.numpy() for W in self.encoder_kernels],
            [b.numpy() for b in self.encoder_biases],
            self.encoder_activations,
        )

    def keras_decoder(self):
        if self.decoder_kernels is None:
            kernels = [W.numpy().T for W in reversed(self.encoder_kernels)]
        else:
            kernels = [W.numpy() for W in self.decoder_kernels]
        activations = list(self.decoder_activations)
        if self.spec.loss == "binary_crossentropy":
            activations[-1] = "logistic"
        return self._keras_stack(
            "decoder",
            self.spec.n_components,
            kernels,
            [b.numpy() for b in self.decoder_biases],
            activations,
        )
