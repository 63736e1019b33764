"""Metrics for imbalanced classes: confusion matrix, precision, recall, F-beta, kappa, ROC-AUC.

Source question: 如何解决正负类不平衡问题 (s002-01).

When 95 % of the samples belong to one class, a classifier that always answers that class scores
95 % accuracy and is useless. This kata builds the metrics that expose it. Labels are 1-D integer
NumPy arrays of the same length ``n >= 1``; class labels are ``0 .. K-1``.

``confusion_matrix(y_true, y_pred, n_classes=None)``
    An integer ``(K, K)`` array ``C`` with ``C[i, j]`` = the number of samples whose *true* class
    is ``i`` and whose *predicted* class is ``j`` (rows: truth, columns: prediction).
    ``K = n_classes`` when given, else ``max(y_true.max(), y_pred.max()) + 1``; classes that
    never occur get rows and columns of zeros.

The next three are *binary*: labels are 0 and 1 and class 1 is the positive class. With
``TP`` (true 1, predicted 1), ``FP`` (true 0, predicted 1) and ``FN`` (true 1, predicted 0):

``precision(y_true, y_pred)``
    ``TP / (TP + FP)``, the fraction of predicted positives that are right; ``0.0`` when nothing
    is predicted positive (``TP + FP == 0``).
``recall(y_true, y_pred)``
    ``TP / (TP + FN)``, the fraction of true positives that are found; ``0.0`` when there are no
    true positives (``TP + FN == 0``).
``f_beta(y_true, y_pred, beta=1.0)``
    ``(1 + beta**2) * P * R / (beta**2 * P + R)`` with ``P``, ``R`` as above: ``beta > 1``
    weighs recall more, ``beta < 1`` precision more, ``beta = 1`` gives F1. ``0.0`` when
    ``P == R == 0``.

``cohen_kappa(y_true, y_pred)`` (any number of classes)
    ``kappa = (p_o - p_e) / (1 - p_e)``: ``p_o`` is the observed agreement (the fraction of samples
    with ``y_true == y_pred``), ``p_e`` the agreement expected by chance from the two marginals,
    ``p_e = sum_k (row_k / n) * (col_k / n)`` with ``row_k`` / ``col_k`` the row / column sums of
    the confusion matrix. When ``p_e == 1`` (both arrays are one and the same single class)
    return ``0.0``.

``roc_auc(y_true, scores)``
    The area under the ROC curve for binary labels and real-valued scores (higher = more likely
    positive), computed from ranks: it is the probability that a random positive scores higher
    than a random negative, where a tie counts one half (the Mann-Whitney U statistic divided by
    ``n_pos * n_neg``). Raise ``ValueError`` when ``y_true`` holds only one class.

``majority_baseline(y_true)``
    The accuracy paradox in numbers: evaluate the constant classifier that always predicts the
    most frequent class of the binary ``y_true`` (a tie goes to class 0). Return a dict with the
    keys ``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"`` and ``"kappa"`` (plain floats,
    class 1 positive, with the conventions above).

Results are plain floats (the confusion matrix an integer array). Use NumPy; no library metric
routines. Do not modify the inputs.

Example::

    >>> y_true = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    >>> y_pred = np.array([1, 1, 0, 1, 0, 0, 0, 0])   # TP 2, FN 1, FP 1, TN 4
    >>> confusion_matrix(y_true, y_pred)
    array([[4, 1],
           [1, 2]])
    >>> precision(y_true, y_pred), recall(y_true, y_pred), f_beta(y_true, y_pred)
    (0.6666666666666666, 0.6666666666666666, 0.6666666666666666)
    >>> cohen_kappa(y_true, y_pred)        # p_o = 6/8, p_e = (5*5 + 3*3)/64, kappa = 7/15
    0.4666666666666667
    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.4, 0.8]))   # 3 wins, 1 tie of 4
    0.875
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None
) -> np.ndarray:
    """Integer (K, K) counts: rows are the true class, columns the predicted class."""
    raise NotImplementedError("confusion_matrix")


def precision(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """TP / (TP + FP) for binary labels (class 1 positive); 0.0 when nothing is predicted 1."""
    raise NotImplementedError("precision")


def recall(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """TP / (TP + FN) for binary labels (class 1 positive); 0.0 when no label is 1."""
    raise NotImplementedError("recall")


def f_beta(y_true: np.ndarray, y_pred: np.ndarray, beta: float = 1.0) -> float:
    """The weighted harmonic mean of precision and recall; 0.0 when both are 0."""
    raise NotImplementedError("f_beta")


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Agreement corrected for chance, (p_o - p_e) / (1 - p_e); 0.0 when p_e == 1."""
    raise NotImplementedError("cohen_kappa")


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counting 1/2; ValueError if one class."""
    raise NotImplementedError("roc_auc")


def majority_baseline(y_true: np.ndarray) -> dict[str, float]:
    """accuracy, precision, recall, f1 and kappa of always predicting the majority class."""
    raise NotImplementedError("majority_baseline")
