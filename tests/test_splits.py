"""ecgkeras.data.splits: group-aware stratified splits, leakage, oversampling of a training split."""

import warnings

import numpy as np
import pytest

from ecgkeras.data.dataset import ECGDataset
from ecgkeras.data.splits import (
    group_kfold,
    leaked_fraction,
    leaked_share,
    naive_split,
    one_file_per_ecg,
    oversample,
    protocol_splits,
    split_train_val_test,
)


def grouped_labels(groups_per_class=(40, 30, 20, 12), copies=(1, 4), seed=0):
    """labels and groups where each group (ECG) has 1..4 copies, all of one class."""
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    group = 0
    for label, n_groups in enumerate(groups_per_class):
        for _ in range(n_groups):
            n = rng.integers(copies[0], copies[1] + 1)
            labels += [label] * n
            groups += [group] * n
            group += 1
    return np.array(labels), np.array(groups)


def ecg_dataset(counts=(30, 12, 6), copies=1, seed=0, with_rhythm=True, separation=2.0):
    """Smooth random ECGs (``copies`` near-identical copies each, one group), classes offset by
    ``separation`` mV (ADASYN refuses classes that do not overlap);
    rhythm[:, :250] repeats lead II exactly."""
    rng = np.random.default_rng(seed)
    signals, labels = [], []
    for label, count in enumerate(counts):
        for _ in range(count):
            ecg = np.cumsum(rng.normal(0, 0.05, (250, 12)), axis=0) + separation * label
            for _ in range(copies):
                signals.append(ecg + rng.normal(0, 0.001, ecg.shape))
                labels.append(label)
    signals = np.array(signals, dtype=np.float32)
    groups = np.repeat(np.arange(len(signals) // copies), copies)
    rhythm = np.concatenate([signals[:, :, 1], np.zeros((len(signals), 750), np.float32)], axis=1)
    return ECGDataset(
        signals=signals,
        labels=np.array(labels),
        groups=groups,
        rhythm=rhythm if with_rhythm else None,
        files=tuple(f"f{i}.jpg" for i in range(len(signals))),
    )


def shares(labels, index, n_classes=4):
    return np.bincount(labels[index], minlength=n_classes) / len(index)


# --- split_train_val_test ------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_is_group_disjoint_stratified_and_complete(seed):
    labels, groups = grouped_labels(seed=seed)
    split = split_train_val_test(labels, groups, val=0.15, test=0.2, seed=seed)
    parts = [split["train"], split["val"], split["test"]]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(labels)))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(groups[parts[a]]) & set(groups[parts[b]])
    assert leaked_fraction(groups, split["train"], split["test"]) == 0.0
    whole = shares(labels, np.arange(len(labels)))
    for name, fraction in (("val", 0.15), ("test", 0.2)):
        assert abs(len(split[name]) / len(labels) - fraction) < 0.05
        assert np.abs(shares(labels, split[name]) - whole).max() < 0.06
        assert set(labels[split[name]]) == {0, 1, 2, 3}


def test_split_is_deterministic_by_seed():
    labels, groups = grouped_labels()
    first = split_train_val_test(labels, groups, seed=3)
    again = split_train_val_test(labels, groups, seed=3)
    other = split_train_val_test(labels, groups, seed=4)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["test"], other["test"])


def test_split_bad_input():
    labels, groups = grouped_labels()
    with pytest.raises(ValueError, match="equal length"):
        split_train_val_test(labels, groups[:-1])
    for val, test, name in ((0.0, 0.2, "val"), (0.2, 1.0, "test"), (-0.1, 0.2, "val")):
        with pytest.raises(ValueError, match=f"{name} must lie strictly between 0 and 1"):
            split_train_val_test(labels, groups, val=val, test=test)
    with pytest.raises(ValueError, match=r"val \+ test must be below 1"):
        split_train_val_test(labels, groups, val=0.5, test=0.5)
    few = grouped_labels(groups_per_class=(10, 2))
    with pytest.raises(ValueError, match="class 1 has 2 group"):
        split_train_val_test(*few)


# --- naive_split, group_kfold, leaked_fraction ---------------------------------------------


def test_naive_split_is_stratified_but_leaks_copies():
    labels, groups = grouped_labels(groups_per_class=(30, 20, 15, 10), copies=(8, 8))
    split = naive_split(labels, val=0.15, test=0.15, seed=0)
    assert np.array_equal(np.sort(np.concatenate(list(split.values()))), np.arange(len(labels)))
    assert abs(len(split["test"]) / len(labels) - 0.15) < 0.01
    assert np.abs(shares(labels, split["test"]) - shares(labels, np.arange(len(labels)))).max() < 0.02
    assert leaked_fraction(groups, split["train"], split["test"]) > 0.9
    again = naive_split(labels, seed=0)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    assert not np.array_equal(split["test"], naive_split(labels, seed=1)["test"])
    with pytest.raises(ValueError, match="test must lie strictly"):
        naive_split(labels, test=1.5)


@pytest.mark.parametrize("k", [3, 5])
def test_group_kfold_tests_every_sample_once_without_leaks(k):
    labels, groups = grouped_labels()
    folds = group_kfold(labels, groups, k=k, seed=0)
    assert len(folds) == k
    tested = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tested), np.arange(len(labels)))
    whole = shares(labels, np.arange(len(labels)))
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == len(labels)
        assert np.abs(shares(labels, test) - whole).max() < 0.08
    again = group_kfold(labels, groups, k=k, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    other = group_kfold(labels, groups, k=k, seed=1)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other))


def test_group_kfold_bad_input():
    labels, groups = grouped_labels(groups_per_class=(10, 3))
    with pytest.raises(ValueError, match="k=5 folds, but class 1 has only 3 group"):
        group_kfold(labels, groups, k=5)
    with pytest.raises(ValueError, match="k must be at least 2"):
        group_kfold(labels, groups, k=1)
    with pytest.raises(ValueError, match="equal length"):
        group_kfold(labels[:-2], groups, k=2)


def test_leaked_fraction_known_answers():
    groups = np.array([0, 0, 1, 1, 2])
    assert leaked_fraction(groups, [0, 2], [1, 3, 4]) == pytest.approx(2 / 3)
    assert leaked_fraction(groups, [0, 1], [2, 3, 4]) == 0.0
    with pytest.raises(ValueError, match="test_idx is empty"):
        leaked_fraction(groups, [0], [])


def test_rebuilt_release_naive_split_leaks_and_grouped_split_does_not(mendeley_distinct_dir, tmp_path):
    from ecgkeras.data.mendeley import index_folder, rebuild_release

    index = index_folder(rebuild_release(mendeley_distinct_dir, tmp_path, link="symlink"))
    labels, groups = index.labels, index.groups
    naive = naive_split(labels, seed=0)
    grouped = split_train_val_test(labels, groups, seed=0)
    mi_test = naive["test"][labels[naive["test"]] == 2]
    assert leaked_fraction(groups, naive["train"], mi_test) > 0.5
    assert leaked_fraction(groups, naive["train"], naive["test"]) > 0.5
    for name in ("val", "test"):
        assert leaked_fraction(groups, grouped["train"], grouped[name]) == 0.0


# --- oversample ----------------------------------------------------------------------------


def test_oversample_balances_and_keeps_originals_first():
    data = ecg_dataset(separation=0.3)
    balanced, report = oversample(data, seed=0)
    n = len(data)
    assert report["method_used"] == "adasyn" and report["before"]["Normal"] == 30
    assert report["after"] == balanced.class_counts()
    after = np.array(list(report["after"].values())[:3])
    assert after.min() >= 0.8 * after.max()
    np.testing.assert_array_equal(balanced.signals[:n], data.signals)
    np.testing.assert_array_equal(balanced.labels[:n], data.labels)
    assert balanced.info["n_original"] == n
    assert (balanced.groups[n:] < 0).all() and len(set(balanced.groups[n:])) == len(balanced) - n
    assert balanced.files[n].startswith("<synthetic")
    # leads and rhythm were interpolated together: the rhythm still repeats lead II exactly
    np.testing.assert_allclose(balanced.rhythm[n:, :250], balanced.signals[n:, :, 1], atol=1e-5)
    # each synthetic sample lies nearest to an original of its own class
    flat, original = balanced.signals.reshape(len(balanced), -1), data.signals.reshape(n, -1)
    nearest = ((flat[n:, None, :] - original[None]) ** 2).sum(-1).argmin(axis=1)
    np.testing.assert_array_equal(data.labels[nearest], balanced.labels[n:])


def test_oversample_is_deterministic_and_seed_dependent():
    data = ecg_dataset(separation=0.3)
    first, _ = oversample(data, seed=1)
    again, _ = oversample(data, seed=1)
    other, _ = oversample(data, seed=2)
    np.testing.assert_array_equal(first.signals, again.signals)
    assert not np.array_equal(first.signals[len(data):], other.signals[len(data):])


def test_oversample_training_split_never_sees_the_test_split():
    data = ecg_dataset(counts=(40, 16, 12), copies=3)
    split = split_train_val_test(data.labels, data.groups, seed=0)
    train, test = data.subset(split["train"]), data.subset(split["test"])
    test_signals, test_rhythm = test.signals.copy(), test.rhythm.copy()
    balanced, _ = oversample(train, seed=0)
    np.testing.assert_array_equal(test.signals, test_signals)
    np.testing.assert_array_equal(test.rhythm, test_rhythm)
    flat = balanced.signals.reshape(len(balanced), -1)
    flat_test = test.signals.reshape(len(test), -1)
    distance = np.sqrt(((flat_test[:, None, :] - flat[None]) ** 2).sum(-1)).min(axis=1)
    copy_distance = np.sqrt(((data.signals[0] - data.signals[1]) ** 2).sum())  # two copies of one ECG
    assert distance.min() > 20 * copy_distance
    assert not set(balanced.groups) & set(test.groups)


def test_oversample_falls_back_to_smote_when_adasyn_refuses():
    # the minority class is 2 ECGs x 8 copies far from the others: every neighbour is a copy
    data = ecg_dataset(counts=(40, 2), copies=1)
    copies = data.subset(np.r_[np.arange(40), np.repeat([40, 41], 8)])
    balanced, report = oversample(copies, seed=0)
    assert report["method_used"] == "smote"
    assert "ADASYN refused" in report["message"] and "SMOTE" in report["message"]
    assert report["after"]["Abnormal heartbeat"] == report["after"]["Normal"] == 40


def test_oversample_without_rhythm_and_with_smote():
    data = ecg_dataset(with_rhythm=False)
    balanced, report = oversample(data, method="smote", seed=0)
    assert balanced.rhythm is None and report["method_used"] == "smote"
    assert list(report["after"].values())[:3] == [30, 30, 30]


def test_oversample_bad_input():
    data = ecg_dataset()
    with pytest.raises(ValueError, match="method must be"):
        oversample(data, method="random")
    with pytest.raises(ValueError, match=r"dataset has a single sample of \['Myocardial infarction'\]"):
        oversample(data.subset(np.r_[np.arange(42), [42]]))
    with pytest.raises(ValueError, match="single class"):
        oversample(data.subset(np.arange(30)))


def _duplicated_dataset(seed=0):
    """40 distinct ECGs in 4 unequal classes, ECG i copied 1 + i % 4 times (like the release)."""
    rng = np.random.default_rng(seed)
    distinct = ECGDataset(
        signals=rng.normal(size=(40, 25, 12)),
        labels=np.repeat([0, 1, 2, 3], [16, 12, 6, 6]),
        groups=np.arange(40),
        rhythm=rng.normal(size=(40, 100)),
    )
    return distinct.repeat(1 + np.arange(40) % 4)


def test_repeat_keeps_copies_in_one_group():
    data = _duplicated_dataset()
    assert len(data) == sum(1 + i % 4 for i in range(40))
    for group in np.unique(data.groups):
        members = data.signals[data.groups == group]
        assert (members == members[0]).all()
    with pytest.raises(ValueError, match="copies must hold one count"):
        data.repeat([1, 2])


def test_leak_free_protocol_leaks_nothing_and_balances_training_only():
    data = _duplicated_dataset()
    splits, report = protocol_splits(data, protocol="leak-free", seed=1)
    assert report["leaked"] == 0.0
    assert report["balance"]["method_used"] == "adasyn"  # on distinct ECGs ADASYN has neighbours
    assert sum(report["sizes"].values()) - (splits["train"].groups < 0).sum() == 40  # one file per ECG
    # oversampling touched the training split only: val and test hold real ECGs, unchanged
    for name in ("val", "test"):
        assert (splits[name].groups >= 0).all()
        for signal, group in zip(splits[name].signals, splits[name].groups):
            assert (data.signals[data.groups == group][0] == signal).all()
    assert (splits["train"].groups < 0).any()
    counts = np.bincount(splits["train"].labels)
    assert counts.max() - counts.min() <= 0.2 * counts.max()
    synthetic = splits["train"].signals[splits["train"].groups < 0]
    test_signals = splits["test"].signals
    # no synthetic sample equals a test ECG
    assert not any(np.allclose(s, t) for s in synthetic for t in test_signals)


def test_naive_protocol_leaks_copies():
    splits, report = protocol_splits(_duplicated_dataset(), protocol="naive", seed=1)
    assert report["leaked"] > 0.3
    assert report["balance"]["method_used"] in ("adasyn", "smote")


def test_protocol_splits_rejects_unknown_protocol():
    with pytest.raises(ValueError, match="protocol must be one of"):
        protocol_splits(_duplicated_dataset(), protocol="random")


def test_one_file_per_ecg_and_leaked_share_known_answers():
    dataset = ECGDataset(signals=np.zeros((5, 250, 12)), labels=[0, 0, 1, 1, 1], groups=[7, 7, 3, 9, 3])
    distinct = one_file_per_ecg(dataset)
    assert distinct.groups.tolist() == [7, 3, 9]  # first file of each ECG, in the data set's order
    train = dataset.subset([0, 2])  # ECGs 7 and 3
    test = ECGDataset(signals=np.zeros((4, 250, 12)), labels=[0, 1, 1, 1], groups=[7, 9, -1, -2])
    assert leaked_share(train, test) == 0.5  # of the real test ECGs 7 and 9, one is in training


# Golden folds: the fold of every sample of a fixed data set, pinned, so that any change in the
# fold assignment (ours, or a library's) is caught. The committed runs of `ecgkeras reproduce`
# used these folds (scikit-learn 1.8's StratifiedGroupKFold, which stratified_group_folds writes
# out so that Colab's older scikit-learn gives the same folds).
GOLDEN_GROUPS = np.random.default_rng(2026).integers(0, 40, 120)
GOLDEN_LABELS = (GOLDEN_GROUPS * 7 + 3) % 4
GOLDEN_FOLDS = {
    0: "440230332342020442311142123313242103111243312241010314303121100412330300240142124442321012330024141303033443400420042102",  # noqa: E501
    1: "140420224211121414233312340112414302331412234413030234202343330131203200120342304440241134220044313200022412100410041301",  # noqa: E501
}


@pytest.mark.parametrize("seed", sorted(GOLDEN_FOLDS))
def test_stratified_group_folds_are_the_golden_folds(seed):
    from ecgkeras.data.splits import stratified_group_folds

    folds = stratified_group_folds(GOLDEN_LABELS, GOLDEN_GROUPS, k=5, seed=seed)
    assert "".join(map(str, folds)) == GOLDEN_FOLDS[seed]
    train, test = group_kfold(GOLDEN_LABELS, GOLDEN_GROUPS, k=5, seed=seed)[2]
    np.testing.assert_array_equal(test, np.flatnonzero(folds == 2))


def test_stratified_group_folds_equal_scikit_learn_from_1_8():
    """The same algorithm as StratifiedGroupKFold(shuffle=True) in scikit-learn >= 1.8."""
    import sklearn
    from sklearn.model_selection import StratifiedGroupKFold

    from ecgkeras.data.splits import stratified_group_folds

    if tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < (1, 8):
        pytest.skip(f"scikit-learn {sklearn.__version__} shuffles groups differently (fixed in 1.8); "
                    "the golden folds test covers this version")
    rng = np.random.default_rng(7)
    for _ in range(30):
        n, k, seed = int(rng.integers(40, 200)), int(rng.integers(2, 6)), int(rng.integers(0, 1000))
        groups = rng.integers(0, n // 3, n)
        labels = (groups * 5 + int(rng.integers(0, 4))) % 4
        expected = np.empty(n, dtype=np.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a class with fewer groups than folds
            for fold, (_, test) in enumerate(StratifiedGroupKFold(k, shuffle=True, random_state=seed)
                                             .split(np.zeros(n), labels, groups)):
                expected[test] = fold
        np.testing.assert_array_equal(stratified_group_folds(labels, groups, k=k, seed=seed), expected)


# The whole of cv_folds (training, validation and test sets of every fold, after oversampling)
# on a fixed data set, as one digest per protocol and balance: the same on scikit-learn 1.2
# (make floors-check), Colab's 1.6.1 (make colab-check) and 1.9, imbalanced-learn 0.11 to 0.14.
GOLDEN_CV_DIGESTS = {
    ("leak-free", None): "2429d6c78401a54d",
    ("leak-free", "adasyn"): "714d0ef97a11c2cd",
    ("naive", None): "419a95399b7a3338",
    ("naive", "adasyn"): "e62f6a25fcfbe786",
}


@pytest.mark.parametrize("protocol, balance", sorted(GOLDEN_CV_DIGESTS, key=str))
def test_cv_folds_are_the_golden_folds(protocol, balance):
    import hashlib

    from ecgkeras.experiment import cv_folds

    signals = np.random.default_rng(5).normal(size=(120, 16, 2)).astype("float32")
    dataset = ECGDataset(signals=signals, labels=GOLDEN_LABELS, groups=GOLDEN_GROUPS,
                         lead_names=("I", "II"))
    digest = hashlib.sha256()
    for splits, _ in cv_folds(dataset, protocol=protocol, balance=balance, seed=0):
        for name in ("train", "val", "test"):
            part = splits[name]
            digest.update(part.labels.tobytes())
            digest.update(part.groups.tobytes())
            digest.update(np.round(part.signals, 4).tobytes())
    assert digest.hexdigest()[:16] == GOLDEN_CV_DIGESTS[(protocol, balance)]
