"""ecgkeras: the helper package of the book *Multimodal deep learning for ECG classification with Keras*.

The package mirrors the book's pipeline, module by module (see the book's introduction):

- ``ecgkeras.data``: synthetic ECGs, report images, digitizing, the real Mendeley images, splits
  (chapters 1 and 3)
- ``ecgkeras.views``: the three domains, time, time-frequency and frequency (chapter 2)
- ``ecgkeras.models``, ``ecgkeras.train``, ``ecgkeras.evaluate``, ``ecgkeras.experiment``: the Keras
  models, how they are trained and tested, and ``ecgkeras reproduce`` (part II); ``ecgkeras.results``:
  the folder ``reproduce`` writes and the committed runs the chapters read (chapters 7-12)
- ``ecgkeras.complementarity`` (chapter 9), ``ecgkeras.stats`` (chapter 10), ``ecgkeras.analyze``
  (``ecgkeras analyze``): are the domains complementary, and is a gain real?
- ``ecgkeras.plot``, ``ecgkeras.exercises``: the book's figures and exercise self-checks

For teaching, not for clinical use.
"""

__version__ = "0.1.0"
