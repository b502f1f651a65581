"""The baseline to beat: logistic regression on each lead's spectrum, flattened.

Score it:  ecgkeras score assignments/baseline.py
It reads one view (the spectrum), chooses its regularisation on the validation split, and
trains in about a second. Deep models of the book (chapters 4-8) should beat it.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def flatten(inputs):
    """(n, bins, leads) spectra -> (n, bins * leads) feature vectors."""
    spectrum = inputs["spectrum"]
    return spectrum.reshape(len(spectrum), -1)


class SpectrumLogisticRegression:
    views = ("spectrum",)

    def fit(self, train, validation):
        (x, y), (x_val, y_val) = train, validation
        best = -1.0
        for c in (0.01, 0.1, 1.0):  # regularisation chosen on the validation split, never the test
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
            model.fit(flatten(x), y)
            accuracy = np.mean(model.predict(flatten(x_val)) == y_val)
            if accuracy > best:
                best, self.model = accuracy, model
        return self

    def predict_proba(self, inputs):
        probabilities = np.zeros((len(inputs["spectrum"]), 4))
        # one column per class seen in training (all four: the training split is balanced)
        probabilities[:, self.model.classes_] = self.model.predict_proba(flatten(inputs))
        return probabilities
