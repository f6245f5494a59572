"""ContractiveAutoencoder: codes that change little when the input moves a little."""

from dataclasses import replace
from numbers import Real

from sklearn.utils._param_validation import Interval

from ._base import BaseAutoencoder


class ContractiveAutoencoder(BaseAutoencoder):
    """Autoencoder with a penalty on the encoder's Jacobian (Rifai et al., 2011).

    The loss adds ``contraction * ||J_f(x)||_F^2``, the squared Frobenius
    norm of the encoder's Jacobian at each training sample (a mean over the
    samples, like the reconstruction error): the code is asked to stay put
    when the input moves, except along the directions the reconstruction
    needs, which are those the data vary along.  The code layer has a
    logistic (sigmoid) activation, as in the paper.

    With no hidden layers (the paper's model) the norm has a closed form,
    ``sum_j (h_j (1 - h_j))^2 sum_i W_ij^2`` for code units h_j, computed
    exactly.  Deeper or convolutional encoders use an unbiased estimate:
    ``||J^T v||^2`` for one random v ~ N(0, I) per sample and step (its
    expectation is ``||J||_F^2``), which costs one more backward pass
    through the encoder; the user guide gives the measured cost.

    Parameters
    ----------
    n_components : int, default=2
        Number of code units.
    hidden_layer_sizes : array-like of int, default=()
        Encoder layers before the code layer; the decoder mirrors them.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'elu'}, default='elu'
        Activation of the hidden layers (encoder and decoder). ReLU/ELU layers
        start from He initialisation, the others from Glorot.
    loss : {'mse', 'binary_crossentropy'}, default='mse'
        Reconstruction error. 'binary_crossentropy' is for data in [0, 1]:
        the output goes through a sigmoid.
    contraction : float, default=0.003
        Weight of the Jacobian penalty; 0 switches it off.
    tied_weights : bool, default=True
        Decoder kernels are the encoder's, transposed (as in the paper).
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
    DenoisingAutoencoder : Robustness to input noise by training on corrupted inputs.
    SparseAutoencoder : A penalty on the code's mean activity instead.

    References
    ----------
    S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive
    auto-encoders: explicit invariance during feature extraction", ICML 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ContractiveAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = ContractiveAutoencoder(n_components=16, max_iter=3, random_state=0)
    >>> ae.fit_transform(X).shape
    (1797, 16)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "contraction": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(),
        activation="elu",
        loss="mse",
        contraction=0.003,
        tied_weights=True,
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
        self.contraction = contraction
        self.tied_weights = tied_weights
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

    def _architecture(self):
        return {
            "tied_weights": bool(self.tied_weights),
            "code_activation": "logistic",
            "contraction": float(self.contraction),
        }

    def _loss_terms(self, spec):
        terms = super()._loss_terms(spec)
        if spec.contraction:
            terms["contraction"] = replace(spec, contraction=0.0)
        return terms
