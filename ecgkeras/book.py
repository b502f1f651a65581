"""Numbers from a chapter's outputs into its text, in the rendered book and nowhere else.

Every chapter. A chapter's summary quotes numbers that its cells computed (an accuracy, a count):
``glue("name", value)`` hands the value to the book's builder (myst-nb), and the Markdown
``{glue:text}`name:.3f``` shows it, so the text cannot drift from the outputs. Outside the book
build (Colab, Jupyter without myst-nb) ``glue`` does nothing and the Markdown shows the role as
written: the number is in the cell's output just above.
"""

from __future__ import annotations


def glue(name: str, value, display: bool = False) -> None:
    """Make ``value`` available to the book's text as ``{glue:text}`name``` (myst-nb).

    Args:
        name: the key used in the Markdown, unique within the chapter.
        value: a number, string, DataFrame or figure.
        display: also show the value in the cell's output (myst-nb's default is to show it;
            the book shows the numbers in its own prints, so the default here is False).
    """
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # a numpy scalar
        value = value.item()  # so that {glue:text}`name:.3f` can format it
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, or Jupyter without the book's extras
        return
    myst_glue(name, value, display=display)
