"""ecgkeras: the helper package of the book *Multimodal deep learning for ECG classification with Keras*.

The package mirrors the book's pipeline, module by module (see the book's introduction):

- ``ecgkeras.data``: synthetic ECGs, report images, digitizing, the real Mendeley images, splits
- ``ecgkeras.views``: the three domains (time, time-frequency, frequency)

For teaching, not for clinical use.
"""

__version__ = "0.1.0"
