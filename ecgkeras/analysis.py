"""The old name of :mod:`ecgkeras.complementarity`, kept so that earlier notebooks still import.

``analysis`` (the complementarity measures) and ``analyze`` (the analysis of a ``reproduce``
folder) were near-homonyms with different jobs; the measures now live in
``ecgkeras.complementarity``. New code imports from there.
"""

from ecgkeras.complementarity import (  # noqa: F401  (the old import path keeps working)
    COLOR_RANGES,
    MEASURES,
    compare_domains,
    correlation_summary,
    cross_correlation,
    gaussian_mutual_information,
    ksg_mutual_information,
    linear_cka,
    mi_estimator_bias,
    mutual_information,
    plot_cross_correlations,
    plot_domain_similarity,
    principal_components,
)
