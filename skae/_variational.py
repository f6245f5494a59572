"""VariationalAutoencoder: a generative estimator that transforms, scores and samples."""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder, _stacklevel, _tf_side


class PosteriorCollapseWarning(UserWarning):
    """Most of a VAE's latents carry (almost) no information about the data."""


# A latent whose mean KL to the prior is below this (nats) is collapsed.
COLLAPSED_KL = 0.01


class VariationalAutoencoder(BaseAutoencoder):
    """Variational autoencoder (Kingma & Welling, 2014).

    The encoder maps x to a Gaussian posterior q(z | x) over
    ``n_components`` latent dimensions, through a mean head and a
    log-variance head (log-variance, so the standard deviation
    ``exp(logvar / 2)`` is positive without constraints; the head's output
    is bounded smoothly to (-20, 20) by ``20 * tanh(raw / 20)``, nearly the
    identity in the usual range, so that ``exp`` cannot overflow).  Training
    minimises the negative evidence lower bound (ELBO) per sample,
    ``-E_q[log p(x | z)] + beta * KL(q(z | x) || N(0, I))``, with one
    reparameterised draw ``z = mean + std * eps`` per sample and epoch; the
    KL term is exact.  ``beta > 1`` gives a β-VAE.

    - ``transform(X)``: the posterior mean (deterministic).
    - ``inverse_transform(Z)``: the decoder's mean for codes Z.
    - ``sample(n)``: draws z from the prior N(0, I) and decodes: new data.
    - ``score_samples(X)``: per-sample ELBO, in nats (see its docstring).

    Parameters
    ----------
    n_components : int, default=2
        Number of latent dimensions.
    hidden_layer_sizes : array-like of int, default=(256,)
        Encoder layers before the code layer; the decoder mirrors them.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'elu'}, default='elu'
        Activation of the hidden layers (encoder and decoder). ReLU/ELU layers
        start from He initialisation, the others from Glorot.
    loss : {'mse', 'binary_crossentropy'}, default='mse'
        Reconstruction error. 'binary_crossentropy' is for data in [0, 1]:
        the output goes through a sigmoid.
        For the VAE this is the decoder's likelihood: 'binary_crossentropy'
        is Bernoulli (for data in [0, 1]), 'mse' a Gaussian whose variance is
        fitted (a calibrated decoder: each training batch uses its optimum,
        the batch's mean squared error; ``noise_variance_`` is the one fitted
        on the training data), so the reconstruction term keeps its weight
        against the KL term whatever the data's scale.
    beta : float, default=1.0
        Weight of the KL term in the loss.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the kernels: ``alpha / 2 * sum(W ** 2)``
        is added to the loss.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' means ``min(200, n_samples)``.
    learning_rate : {'cosine', 'constant', 'adaptive'}, default='cosine'
        Step-size schedule. 'cosine' anneals the step from
        ``learning_rate_init`` towards 0 over ``max_iter`` epochs (``lr_t =
        learning_rate_init * (1 + cos(pi (t + 1/2) / max_iter)) / 2`` in
        epoch t = 0, 1, ..., the middle of each epoch's span on the cosine;
        Loshchilov & Hutter, 2017): ``max_iter`` is then a budget that
        training spends in full, ending with steps so small that the weights
        have settled, so it never warns of non-convergence; ``tol`` stops it
        early only with ``early_stopping``.  Each ``partial_fit`` call is one
        epoch of the schedule, which starts again after ``max_iter`` calls
        (a warm restart).  'constant' (the default of
        :class:`~sklearn.neural_network.MLPRegressor`) keeps the step and
        stops when the loss stalls (see ``tol``), with a
        ``ConvergenceWarning`` if it is still falling at ``max_iter``.
        'adaptive' (as in MLPRegressor) divides the step by 5 each time the
        loss (or validation score) stalls for more than ``n_iter_no_change``
        epochs, and stops once the step is at most 1e-6.
    learning_rate_init : float, default=3e-3
        Adam's initial step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate='adaptive'``, the step is
        divided by 5) when the loss (or the validation score, with
        ``early_stopping``) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.  With
        ``learning_rate='cosine'`` only the validation score can stop training.
    n_iter_no_change : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop on its
        reconstruction score, and restore the best epoch's weights.
    validation_fraction : float, default=0.1
        Fraction of the training data held out when ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, shuffling, noise and the validation split.
        An int gives the same model on every fit. No global seed is changed.
    verbose : bool or int, default=False
        1: print a line per epoch (loss, validation score, time, samples/s,
        time left at most); 2: also a live line within epochs longer than a
        second.
    warm_start : bool, default=False
        ``fit`` continues from the fitted weights and optimiser state (for up
        to ``max_iter`` more epochs) instead of starting again, as in
        :class:`~sklearn.neural_network.MLPRegressor`.  ``partial_fit``
        always continues.
    pretraining : {'none', 'greedy'}, default='none'
        'greedy': before training the whole network, ``fit`` trains one
        shallow autoencoder per encoder layer, each on the codes of the one
        before (the input, for the first), and stacks them (Hinton &
        Salakhutdinov, 2006).  Each keeps this estimator's weight tying and
        input noise; the first keeps ``loss``, the others reconstruct with
        squared error; the last (the code layer) keeps the code's activation,
        penalties and posterior.  The epochs come out of ``max_iter``: each
        of the L layers gets ``max_iter // (2 L)``, on its own cosine
        schedule from ``learning_rate_init``, and the stack is then
        fine-tuned for the rest, so ``n_iter_`` (which counts both) never
        exceeds ``max_iter``.  With ``max_iter < 2 L`` there are too few
        epochs to share, and a network of one layer has nothing to stack:
        'greedy' is then 'none' (``pretraining_loss_curves_`` is None).
        ``partial_fit`` and ``fit`` with ``warm_start`` go on from the
        current weights without it.
    layer_loss_weight : float, default=0.0
        Weight of an extra loss term ``sum_i ||e_i - d_i||^2`` (a mean over
        the samples), between each hidden encoder layer's output e_i and the
        output of its mirror decoder layer d_i, of the same size: it asks the
        decoder to retrace the encoder's steps.  No effect without hidden
        layers.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)``: read each row of
        X as an image of this shape (X stays 2-D, one flat row per image, in
        row-major order with channels last, as ``load_digits().data`` and
        ``images.reshape(len(images), -1)`` give).  Its product must equal the
        number of features; one entry may be -1, inferred from it as numpy's
        ``reshape`` does (``(-1, 1)`` reads rows as 1-D signals of any length,
        for ``kernel_size=(k, 1)``).  Needed by ``conv_filters``.
    conv_filters : array-like of int, default=()
        Channel counts of strided convolutional layers ('same' padding)
        placed in front of the dense ``hidden_layer_sizes``, one layer per
        entry; the decoder mirrors them with transposed convolutions (with
        tied weights, the adjoints of the encoder's). Empty: a dense network.
        Not with ``pretraining='greedy'``.
    kernel_size : int or tuple of int, default=3
        The convolutions' kernel ``(height, width)`` (an int: square), as
        Keras' ``Conv2D``.
    strides : int or tuple of int, default=2
        The convolutions' strides ``(height, width)`` (an int: both): each
        convolution divides the image's height and width by them, rounding up.

    Attributes
    ----------
    reconstruction_curve_ : list of float
        Mean ``-log p(x | z)`` per sample (nats) in each epoch.
    kl_curve_ : list of float
        Mean KL(q(z | x) || p(z)) per sample (nats) in each epoch, unweighted
        by ``beta``.
    latent_kl_ : ndarray of shape (n_components,)
        Each latent's mean KL(q(z_j | x) || N(0, 1)) on the training data
        (nats).  Latents below 0.01 nats carry nothing about the data; when
        most do, ``fit`` warns with :class:`PosteriorCollapseWarning`.
    noise_variance_ : float or None
        ``loss='mse'``: the Gaussian decoder's variance, the mean squared
        error per feature under the posterior on the training data.  None
        for ``loss='binary_crossentropy'``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Number of epochs run.
    pretraining_loss_curves_ : list of list of float or None
        With ``pretraining='greedy'``: the loss after each epoch of each
        layer's shallow autoencoder, input side first; None without.
    loss_curve_ : list of float
        Training loss (with every penalty term) after each epoch.
    best_loss_ : float or None
        Lowest training loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        With ``early_stopping``: the validation score (negative mean
        reconstruction error) after each epoch; None without.
    best_validation_score_ : float or None
        With ``early_stopping``: the best validation score; None without.
    coefs_ : list of ndarray
        Kernels of the layers, input to output (encoder, then decoder),
        ``coefs_[i]`` of shape (units in, units out), as in
        :class:`~sklearn.neural_network.MLPRegressor`.  For tied networks the
        decoder's kernels are the encoder's, transposed.  A convolution's
        kernel is (kernel height, kernel width, channels in, channels out), a
        transposed convolution's (kernel height, kernel width, channels out,
        channels in), as in Keras (tied: the encoder convolution's kernel).
    intercepts_ : list of ndarray
        Biases of the layers, input to output.
    encoder_ : keras.Model
        A Keras model of the encoder (a copy of the fitted weights).
    decoder_ : keras.Model
        A Keras model of the decoder (a copy of the fitted weights).

    See Also
    --------
    TiedAutoencoder : A deterministic autoencoder.
    sklearn.mixture.GaussianMixture : Another generative model with ``sample`` and ``score_samples``.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR (2014).
    I. Higgins et al., "beta-VAE: learning basic visual concepts with a
    constrained variational framework", ICLR (2017).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoder
    >>> X = load_digits().data / 16
    >>> vae = VariationalAutoencoder(n_components=2, loss="binary_crossentropy", max_iter=3, random_state=0)
    >>> vae.fit_transform(X).shape
    (1797, 2)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256,),
        activation="elu",
        loss="mse",
        beta=1.0,
        alpha=1e-4,
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=False,
        warm_start=False,
        pretraining="none",
        layer_loss_weight=0.0,
        image_shape=None,
        conv_filters=(),
        kernel_size=3,
        strides=2,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.beta = beta
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.pretraining = pretraining
        self.layer_loss_weight = layer_loss_weight
        self.image_shape = image_shape
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.strides = strides

    def sample(self, n_samples=1, *, random_state=None, temperature=1.0):
        """Generate new samples: draw latents from the prior, decode them.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws; an int gives the same samples every time.
        temperature : float, default=1.0
            Scales the prior's standard deviation: latents are drawn from
            N(0, temperature**2 I).  Below 1, samples are more typical and
            less varied.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The decoder's mean at each latent draw, not a draw from the
            decoder: for ``loss='binary_crossentropy'`` the Bernoulli
            probabilities (draw binary data with ``rng.random(X.shape) < X``),
            for ``loss='mse'`` the Gaussian's mean (add
            ``rng.normal(scale=np.sqrt(noise_variance_), size=X.shape)`` for
            draws from the full model).
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires"
                " at least one sample."
            )
        if isinstance(temperature, bool) or not isinstance(temperature, Real) or not temperature >= 0:
            raise ValueError(f"temperature must be a non-negative number, got {temperature!r}.")
        Z = temperature * check_random_state(random_state).standard_normal((n_samples, self._n_features_out))
        return self.inverse_transform(Z)

    def score_samples(self, X):
        """Evidence lower bound (ELBO) of each sample, in nats.

        ``ELBO(x) = E_q(z|x)[log p(x | z)] - KL(q(z | x) || N(0, I))``, a lower
        bound on the log-likelihood log p(x), summed over the features (not
        averaged, unlike the other estimators' reconstruction errors) and
        with ``beta = 1`` whatever the training ``beta``.  For
        ``loss='mse'``, p(x | z) is a Gaussian of variance ``noise_variance_`` including its
        normalising constant; for ``loss='binary_crossentropy'``, a Bernoulli.
        The KL term is exact; the expectation is estimated with 16 fixed
        standard-normal draws (8 antithetic pairs) shared by every sample, so
        the score is deterministic and does not depend on the other samples.
        Higher is better; low values flag anomalies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        elbo : ndarray of shape (n_samples,), float64
        """
        return super().score_samples(X)

    def score(self, X, y=None):
        """Mean ELBO per sample, in nats (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return super().score(X, y)

    def _architecture(self):
        return {
            "tied_weights": False,
            "code_activation": "identity",
            "variational": True,
            "beta": float(self.beta),
        }

    def _loss_terms(self, spec):
        return {**super()._loss_terms(spec), "beta": replace(spec, beta=0.0)}

    def transform(self, X, return_std=False):
        """Encode X: the posterior mean (and, if asked, standard deviation).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the posterior's standard deviation.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The mean of q(z | x).
        X_std : ndarray of shape (n_samples, n_components)
            The standard deviation of q(z | x), if ``return_std``.
        """
        X = self._validate_X(X)  # once, for both
        mean = self._infer("encode", X, X.dtype)
        if not return_std:
            return mean
        return mean, self._infer("posterior_std", X, X.dtype)

    def _inference_network(self, state, X, sample_weight, extras, incremental):
        engine = _tf_side()
        net = state.net
        if engine.calibrated(net.spec):
            # The decoder's variance at its optimum on the data trained on:
            # the mean squared error under the posterior.
            errors = self._run(net, "expected_squared_errors", X, np.float64)
            variance = max(float(np.average(errors, weights=sample_weight)), engine.MIN_NOISE_VAR)
            net.params["noise"]["logvar"].assign([np.log(variance)])
        return net, {}

    def _fitted_attributes(self, X, sample_weight, net, loop, continuing):
        engine = _tf_side()
        old = lambda name: list(getattr(self, name, [])) if continuing else []  # noqa: E731
        kl = np.average(self._run(net, "latent_kl", X, np.float64), axis=0, weights=sample_weight)
        collapsed = int(np.sum(kl < COLLAPSED_KL))
        if collapsed > len(kl) / 2:
            warnings.warn(
                f"{type(self).__name__}: the posterior has collapsed: {collapsed} of {len(kl)}"
                f" latents carry less than {COLLAPSED_KL} nats (latent_kl_), so the codes say"
                " little about the data. Lower beta, train longer, or for data in [0, 1] try"
                " loss='binary_crossentropy'.",
                PosteriorCollapseWarning,
                stacklevel=_stacklevel(),
            )
        noise = None
        if engine.calibrated(net.spec):
            noise = float(np.exp(net.params["noise"]["logvar"].numpy()[0]))
        return {
            "reconstruction_curve_": old("reconstruction_curve_") + loop.part_curves["reconstruction"],
            "kl_curve_": old("kl_curve_") + loop.part_curves["kl"],
            "latent_kl_": kl,
            "noise_variance_": noise,
        }
