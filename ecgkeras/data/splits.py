"""Leak-free splits and class balance (chapter 3).

A random split of files puts copies of one ECG on both sides when the data set holds
duplicates, and the test score then measures memory, not diagnosis. The splits here keep every
group (all copies of one ECG, ``ECGDataset.groups``) on one side while keeping each class's share
close to the whole. ``naive_split`` is the common protocol, kept to show the difference, and
``oversample`` balances the classes of a training split only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.model_selection import train_test_split

from ecgkeras.data.dataset import ECGDataset


def _check_lengths(labels, groups) -> tuple[np.ndarray, np.ndarray]:
    labels, groups = np.asarray(labels), np.asarray(groups)
    if labels.ndim != 1 or groups.ndim != 1 or len(labels) != len(groups):
        raise ValueError(
            "labels and groups must be 1-D and of equal length, "
            f"got shapes {labels.shape} and {groups.shape}"
        )
    if len(labels) == 0:
        raise ValueError("labels is empty; there is nothing to split")
    return labels, groups


def _check_fractions(val: float, test: float) -> None:
    for name, value in (("val", val), ("test", test)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")
    if val + test >= 1:
        raise ValueError(f"val + test must be below 1 to leave a training split, got {val} + {test}")


def split_train_val_test(
    labels, groups, *, val: float = 0.15, test: float = 0.15, seed: int = 0
) -> dict[str, np.ndarray]:
    """Split into train/val/test so that no group is on two sides, stratified by class.

    For each class, its groups (ECGs) are shuffled and dealt out: to test until it holds about
    ``test`` of the class's samples, then to val, the rest to training. Each split gets at least
    one group of every class. A group that spans classes goes with its most common class.

    Args:
        labels: int (n,) class of each sample.
        groups: int (n,) group of each sample (copies of one ECG share one).
        val, test: fractions of the samples, each in (0, 1), summing below 1.
        seed: the shuffling seed.

    Returns:
        ``{"train", "val", "test"}``: sorted int64 index arrays.

    Raises:
        ValueError: lengths differ, bad fractions, or a class has fewer than 3 groups.
    """
    labels, groups = _check_lengths(labels, groups)
    _check_fractions(val, test)
    rng = np.random.default_rng(seed)
    _, group_of_sample = np.unique(groups, return_inverse=True)
    group_of_sample = group_of_sample.ravel()
    sizes = np.bincount(group_of_sample)
    group_label = np.array(
        [np.bincount(labels[group_of_sample == g]).argmax() for g in range(len(sizes))]
    )
    side = np.full(len(sizes), "train")
    for label in np.unique(labels):
        shuffled = rng.permutation(np.flatnonzero(group_label == label))
        if len(shuffled) < 3:
            raise ValueError(
                f"class {label} has {len(shuffled)} group(s) in groups; each of train, val and test "
                "needs one, so a class needs at least 3 distinct ECGs"
            )
        n_class = sizes[shuffled].sum()
        side[shuffled] = _deal(sizes[shuffled], {"test": test * n_class, "val": val * n_class})
        if not (side[shuffled] == "train").any():
            raise ValueError(
                f"class {label} has too few groups ({len(shuffled)}) to leave any for training; "
                "use smaller val and test fractions"
            )
    return {name: np.flatnonzero(side[group_of_sample] == name) for name in ("train", "val", "test")}


def _deal(sizes: np.ndarray, wanted: dict[str, float]) -> list[str]:
    """Deal groups of these sizes, in order, to the splits in ``wanted`` (then "train").

    A group joins a split while that split is empty or while half the group still fits in the
    samples the split wants.
    """
    held = dict.fromkeys(wanted, 0)
    sides = []
    for size in sizes:
        fits = [name for name in wanted if held[name] == 0 or held[name] + size / 2 <= wanted[name]]
        side = fits[0] if fits else "train"
        if side != "train":
            held[side] += size
        sides.append(side)
    return sides


def naive_split(labels, *, val: float = 0.15, test: float = 0.15, seed: int = 0) -> dict[str, np.ndarray]:
    """The common protocol: files at random, stratified by class, ignoring duplicates (chapter 3).

    Returns:
        ``{"train", "val", "test"}``: sorted int64 index arrays.
    """
    labels = np.asarray(labels)
    _check_lengths(labels, labels)
    _check_fractions(val, test)
    index = np.arange(len(labels))
    rest, test_index = train_test_split(index, test_size=test, stratify=labels, random_state=seed)
    train_index, val_index = train_test_split(
        rest, test_size=val / (1 - test), stratify=labels[rest], random_state=seed
    )
    parts = {"train": train_index, "val": val_index, "test": test_index}
    return {name: np.sort(part).astype(np.int64) for name, part in parts.items()}


def group_kfold(labels, groups, *, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """k folds, stratified by class, with every group inside one fold (:func:`stratified_group_folds`).

    The folds of ``cv_folds`` and so of ``ecgkeras reproduce``.

    Returns:
        k pairs ``(train_index, test_index)`` of sorted int64 arrays; every sample is tested once.

    Raises:
        ValueError: lengths differ, k < 2, or k exceeds the number of groups of some class.
    """
    labels, groups = _check_lengths(labels, groups)
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    for label in np.unique(labels):
        n_groups = len(np.unique(groups[labels == label]))
        if n_groups < k:
            raise ValueError(
                f"k={k} folds, but class {label} has only {n_groups} group(s): every fold needs one "
                f"of each class; use k <= {n_groups}"
            )
    fold_of_sample = stratified_group_folds(labels, groups, k=k, seed=seed)
    index = np.arange(len(labels), dtype=np.int64)
    return [(index[fold_of_sample != fold], index[fold_of_sample == fold]) for fold in range(k)]


def stratified_group_folds(labels, groups, *, k: int, seed: int) -> np.ndarray:
    """The fold (0..k-1) of every sample: scikit-learn's ``StratifiedGroupKFold(shuffle=True)``,
    written out so that every scikit-learn version gives the book's folds.

    scikit-learn changed how ``shuffle=True`` orders the groups in 1.8 (before, the
    shuffled class counts lost track of their groups), so Colab's 1.6 gave other folds than the
    committed runs, which used 1.8. This is the 1.8 algorithm (BSD-3 licence, after the Kaggle
    kernel it cites): shuffle the groups with ``RandomState(seed)``, take them in order of
    decreasing spread of their class counts (a stable sort), and put each in the fold where the
    spread of every class's share over the folds stays smallest (ties: the fold with fewer
    samples). ``tests/test_splits.py`` pins the folds of a fixed data set (golden folds).

    Args:
        labels: int (n,) classes.
        groups: (n,) group (ECG) of each sample.
        k: number of folds.
        seed: shuffles the groups.

    Returns:
        int64 (n,): the test fold of each sample; every group lies in one fold.
    """
    _, label_index, class_sizes = np.unique(labels, return_inverse=True, return_counts=True)
    _, group_index, group_sizes = np.unique(groups, return_inverse=True, return_counts=True)
    label_index, group_index = label_index.ravel(), group_index.ravel()
    counts_per_group = np.zeros((len(group_sizes), len(class_sizes)))
    np.add.at(counts_per_group, (group_index, label_index), 1)
    order = np.arange(len(group_sizes))
    np.random.RandomState(seed).shuffle(order)
    counts_per_group = counts_per_group[order]
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    group_index = position[group_index]  # groups renumbered in shuffled order
    counts_per_fold = np.zeros((k, len(class_sizes)))
    fold_of_group = np.empty(len(group_sizes), dtype=np.int64)
    for group in np.argsort(-np.std(counts_per_group, axis=1), kind="stable"):
        best_fold, best_spread, best_size = None, np.inf, np.inf
        for fold in range(k):
            counts_per_fold[fold] += counts_per_group[group]
            spread = np.mean(np.std(counts_per_fold / class_sizes.reshape(1, -1), axis=0))
            counts_per_fold[fold] -= counts_per_group[group]
            size = np.sum(counts_per_fold[fold])
            if spread < best_spread or (np.isclose(spread, best_spread) and size < best_size):
                best_fold, best_spread, best_size = fold, spread, size
        counts_per_fold[best_fold] += counts_per_group[group]
        fold_of_group[group] = best_fold
    return fold_of_group[group_index]


def leaked_fraction(groups, train_idx, test_idx) -> float:
    """Share of test samples whose group (ECG) also appears in training: 0 for a leak-free split.

    Chapter 3. The book's one measure of leakage (:func:`leaked_share` applies it to two
    datasets). Samples with a negative group were made by :func:`oversample` and are no ECG of
    the data set: they are left out of the count.

    Args:
        groups: int (n,) group (ECG) of every sample.
        train_idx, test_idx: int indices into ``groups``.
    """
    groups = np.asarray(groups)
    test_idx = np.asarray(test_idx)
    if len(test_idx) == 0:
        raise ValueError("test_idx is empty; there is no test sample to check")
    test_groups = groups[test_idx]
    real = test_groups[test_groups >= 0]
    if len(real) == 0:
        raise ValueError("every test sample has a negative group (made by oversampling); there is no real "
                         "test ECG to check")
    return float(np.isin(real, groups[np.asarray(train_idx)]).mean())


def oversample(dataset: ECGDataset, *, method: str = "adasyn", seed: int = 0) -> tuple[ECGDataset, dict]:
    """Balance the classes of a TRAINING split with synthetic signals (chapter 3).

    ADASYN (or SMOTE) from imbalanced-learn interpolates between neighbouring samples of one
    class, on each sample's leads and rhythm strip flattened into one vector, so a synthetic
    sample's leads and rhythm come from the same pair of ECGs. Only ``dataset`` is used: call it
    on the training split alone, never before splitting, or test ECGs leak into training. The
    other views (scalogram, spectrum) are computed afterwards from these signals.

    ADASYN refuses a class whose neighbours are all of that class (e.g. many copies of one ECG);
    then SMOTE is used and the report says so.

    Args:
        dataset: the training split.
        method: "adasyn" or "smote".
        seed: random seed of the interpolation.

    Returns:
        ``(balanced, report)``: ``balanced`` holds the original samples first, in order, then the
        synthetic ones; each synthetic sample gets its own negative group id (-1, -2, ...), which
        no real ECG in any split has, and ``info["n_original"]`` says where they start.
        ``report`` is ``{"method_used", "before", "after", "message"}``, counts by class name.

    Raises:
        ValueError: unknown method, or a class with fewer than 2 samples in ``dataset``.
    """
    from imblearn.over_sampling import ADASYN, SMOTE

    if method not in ("adasyn", "smote"):
        raise ValueError(f"method must be 'adasyn' or 'smote', got {method!r}")
    counts = np.bincount(dataset.labels, minlength=len(dataset.class_names))
    present = counts[counts > 0]
    if len(present) < 2:
        raise ValueError("dataset holds a single class; there is nothing to balance")
    if present.min() < 2:
        rare = [dataset.class_names[i] for i in np.flatnonzero(counts == 1)]
        raise ValueError(f"dataset has a single sample of {rare}; oversampling needs 2 per class")
    n, samples, leads = dataset.signals.shape
    flat = dataset.signals.reshape(n, -1)
    if dataset.rhythm is not None:
        flat = np.concatenate([flat, dataset.rhythm], axis=1)
    neighbours = int(min(5, present.min() - 1))
    samplers = {
        "adasyn": ADASYN(n_neighbors=neighbours, random_state=seed),
        "smote": SMOTE(k_neighbors=neighbours, random_state=seed),
    }
    method_used, message = method, f"{method.upper()} balanced the classes"
    try:
        resampled, labels = samplers[method].fit_resample(flat, dataset.labels)
    except (RuntimeError, ValueError) as err:
        if method != "adasyn":
            raise
        method_used, message = "smote", f"ADASYN refused ({err}); used SMOTE instead"
        resampled, labels = samplers["smote"].fit_resample(flat, dataset.labels)
    synthetic = resampled[n:].astype(np.float32)
    n_new = len(synthetic)
    new_signals = synthetic[:, : samples * leads].reshape(n_new, samples, leads)
    new_rhythm = synthetic[:, samples * leads :]
    new_files = tuple(f"<synthetic {i}>" for i in range(n_new))
    balanced = replace(
        dataset,
        signals=np.concatenate([dataset.signals, new_signals]),
        labels=labels.astype(np.int64),
        groups=np.concatenate([dataset.groups, -1 - np.arange(n_new)]),
        rhythm=None if dataset.rhythm is None else np.concatenate([dataset.rhythm, new_rhythm]),
        files=None if dataset.files is None else dataset.files + new_files,
        info={**dataset.info, "n_original": n, "oversampled_with": method_used},
    )
    report = {
        "method_used": method_used,
        "before": dataset.class_counts(),
        "after": balanced.class_counts(),
        "message": message,
    }
    return balanced, report


def one_file_per_ecg(dataset: ECGDataset) -> ECGDataset:
    """The first file of every group (distinct ECG), in the data set's order.

    Copies add weight, not information: the leak-free protocol splits the distinct ECGs.
    """
    _, first = np.unique(dataset.groups, return_index=True)
    return dataset.subset(np.sort(first))


def leaked_share(train: ECGDataset, test: ECGDataset) -> float:
    """Share of the real test samples (group >= 0, not oversampled) whose ECG is also in ``train``.

    0 for a leak-free split; synthetic samples (negative groups) are left out of the count.
    :func:`leaked_fraction` of the two sets' groups.
    """
    groups = np.concatenate([train.groups, test.groups])
    return leaked_fraction(groups, np.arange(len(train)), np.arange(len(train), len(groups)))


#: The book's two evaluation protocols (chapter 3).
PROTOCOLS = ("leak-free", "naive")


def protocol_splits(
    dataset: ECGDataset,
    *,
    protocol: str = "leak-free",
    val: float = 0.15,
    test: float = 0.15,
    balance: str | None = "adasyn",
    seed: int = 0,
) -> tuple[dict[str, ECGDataset], dict]:
    """Training, validation and test sets under one of the book's two protocols (chapter 3).

    - ``"leak-free"`` (the book's): keep one file per group (the distinct ECGs), split them
      stratified by class; then balance the training split alone.
    - ``"naive"`` (the common one): balance the whole data set first, then split the samples at
      random, so copies of one ECG, and synthetic samples made from test ECGs, reach training.

    Args:
        dataset: all samples, with their groups.
        protocol: one of ``PROTOCOLS``.
        val, test: fractions of the files ("naive") or of the distinct ECGs ("leak-free").
        balance: "adasyn", "smote" or None (no oversampling).
        seed: one seed for the split and the oversampling.

    Returns:
        ``(splits, report)``: ``{"train", "val", "test"}`` datasets, and ``{"protocol",
        "balance" (the ``oversample`` report or None), "leaked" (share of real test samples whose
        ECG is also in training), "sizes"}``.
    """
    dataset, balance_report = protocol_samples(dataset, protocol=protocol, balance=balance, seed=seed)
    if protocol == "naive":
        index = naive_split(dataset.labels, val=val, test=test, seed=seed)
    else:
        index = split_train_val_test(dataset.labels, dataset.groups, val=val, test=test, seed=seed)
    splits = {name: dataset.subset(idx) for name, idx in index.items()}
    splits, balance_report = balance_training_split(splits, protocol=protocol, balance=balance, seed=seed,
                                                    report=balance_report)
    report = {
        "protocol": protocol,
        "balance": balance_report,
        "leaked": leaked_share(splits["train"], splits["test"]),
        "sizes": {name: len(part) for name, part in splits.items()},
    }
    return splits, report


def protocol_samples(dataset: ECGDataset, *, protocol: str, balance: str | None, seed: int
                     ) -> tuple[ECGDataset, dict | None]:
    """What a protocol splits, before the split (the protocols: :func:`protocol_splits`).

    The one place where the two protocols differ before splitting, for :func:`protocol_splits`
    (one split) and ``ecgkeras.experiment.cv_folds`` (k folds): ``"naive"`` balances the whole
    data set first (copies, and synthetic samples made from future test ECGs, reach every
    split); ``"leak-free"`` keeps one file per ECG and balances nothing yet
    (:func:`balance_training_split` does, after the split).

    Returns:
        ``(samples, balance report)``: the report of :func:`oversample` for "naive" with a
        ``balance`` method, else None.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if protocol == "naive":
        if balance is None:
            return dataset, None
        return oversample(dataset, method=balance, seed=seed)
    return one_file_per_ecg(dataset), None


def balance_training_split(splits: dict[str, ECGDataset], *, protocol: str, balance: str | None, seed: int,
                           report: dict | None = None) -> tuple[dict[str, ECGDataset], dict | None]:
    """The leak-free protocol's balancing, after the split: :func:`oversample` on "train" alone.

    For "naive" (balanced before the split by :func:`protocol_samples`) or ``balance=None`` the
    splits and ``report`` are returned unchanged.
    """
    if protocol != "leak-free" or balance is None:
        return splits, report
    train, report = oversample(splits["train"], method=balance, seed=seed)
    return {**splits, "train": train}, report
