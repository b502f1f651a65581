"""My submission for the ECG assignment (start here: copy this file, then fill in the two methods).

Score it:  ecgkeras score my_submission.py
Rules and grading: assignments/README.md. The contract: ecgkeras/assignment.py.
"""

import numpy as np  # noqa: F401  (you will need it)


class MyModel:
    """A classifier of 12-lead ECGs into the four classes 0..3 (Normal, Abnormal heartbeat,
    Myocardial infarction, History of MI).

    ``inputs`` is a dict of views, all float32, n ECGs:
        "time"       (n, samples, leads)       the normalised signal
        "scalogram"  (n, scales, width, leads) the CWT image of each lead
        "spectrum"   (n, bins, leads)          the FFT magnitude of each lead
    """

    #: The views you read; drop the others and the scorer skips computing them.
    views = ("time", "scalogram", "spectrum")

    def fit(self, train, validation):
        """Learn from ``train = (inputs, labels)``; ``labels`` is int (n,) in 0..3.

        ``validation = (inputs, labels)`` is for choosing settings (epochs, regularisation...).
        The test ECGs are never given to you: the scorer keeps them for the score.
        """
        raise NotImplementedError("write fit(): e.g. flatten inputs['spectrum'] to (n, bins * leads) "
                                  "and fit a scikit-learn classifier; assignments/baseline.py does this")

    def predict_proba(self, inputs):
        """Return float (n, 4): class probabilities per ECG, each row >= 0 and summing to 1."""
        raise NotImplementedError("write predict_proba(): return your model's probabilities, shape (n, 4)")
