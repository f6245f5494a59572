"""The Rayleigh–Ritz finish of the linear tied autoencoder (numpy only).

:func:`rayleigh_ritz` turns a learned subspace into ordered orthonormal
components from one pass over the data; :func:`projected_scatter` and
:func:`ritz` are its two halves, which ``partial_fit`` uses to carry the
scatter of earlier chunks from one call to the next.
"""

import numpy as np
import scipy.sparse as sp

from ._base import _chunk_rows


def orthonormal_basis(W):
    """Q with orthonormal columns spanning W's columns (at most d of them)."""
    d, k = W.shape
    return np.linalg.qr(W)[0][:, : min(d, k)]


def projected_scatter(Q, X, mean, sample_weight=None, chunk_size=None):
    """M = Qᵀ Xcᵀ diag(w) Xc Q and each feature's Σ w (x_j - mean_j)², in one pass.

    Xc = X - mean is centred chunk by chunk in X's precision, never formed
    whole (sparse chunks are densified one at a time); the sums are
    accumulated in float64 (a float32 sum over 6e6 entries loses 1e-5).
    Chunks are of ``chunk_size`` rows, by default at most 8192 and about 4M
    entries (a wide sparse matrix's dense chunk stays bounded).
    """
    chunk_size = chunk_size or _chunk_rows(X.shape[1], most=8192)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    Q_x, mean_x = Q.astype(dtype), mean.astype(dtype)
    M = np.zeros((Q.shape[1], Q.shape[1]))
    feature_ss = np.zeros(Q.shape[0])
    for start in range(0, X.shape[0], chunk_size):
        chunk = X[start : start + chunk_size]
        chunk = chunk.toarray() if sp.issparse(chunk) else chunk
        chunk = np.subtract(chunk, mean_x, dtype=dtype)
        P = (chunk @ Q_x).astype(np.float64)
        sq = np.square(chunk)
        if sample_weight is not None:
            w = sample_weight[start : start + chunk_size].astype(np.float64)
            M += (P * w[:, None]).T @ P
            feature_ss += w @ sq.astype(np.float64)
        else:
            M += P.T @ P
            feature_ss += sq.sum(axis=0, dtype=np.float64)
    return M, feature_ss


def ritz(Q, M, k):
    """Ritz vectors and values of the scatter M (in the basis Q), top first.

    Returns U (d, k): Q V with V the eigenvectors of M by decreasing
    eigenvalue, signs as PCA's ``svd_flip`` (the largest entry of each
    column positive), and the eigenvalues; where k exceeds Q's columns the
    extra columns (and values) are zero.
    """
    ritz_values, V = np.linalg.eigh(M)
    order = np.argsort(ritz_values)[::-1]
    ritz_values, U = np.clip(ritz_values[order], 0, None), Q @ V[:, order]
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    U *= np.where(signs == 0, 1.0, signs)
    if k > U.shape[1]:
        U = np.hstack([U, np.zeros((Q.shape[0], k - U.shape[1]))])
        ritz_values = np.concatenate([ritz_values, np.zeros(k - len(ritz_values))])
    return U[:, :k], ritz_values[:k]


def rayleigh_ritz(W, X, mean, sample_weight=None):
    """Ordered orthonormal components spanning the columns of W.

    Q = orth(W); M = Qᵀ Xcᵀ diag(w) Xc Q from one pass over the data; M = V Λ
    Vᵀ; return Q V (columns by decreasing Λ), Λ (the weighted sums of
    squares along each column, the best that any basis of span(W) can
    explain) and each feature's weighted sum of squares, from the same pass
    (their sum is the total).  Costs O(n d k + d k²).
    """
    Q = orthonormal_basis(W)
    M, feature_ss = projected_scatter(Q, X, mean, sample_weight)
    U, values = ritz(Q, M, W.shape[1])
    return U, values, feature_ss
