"""The reading checks of test_rendered_book.py (page_checks.py) on small hand-made pages, each
with a defect or with its look-alike that is no defect, opened as data: URLs in the session's
chromium (no build, no server, no network needed). The absolute-path rule is also tested as a
plain regular expression.
"""

from __future__ import annotations

import re

import pytest

import page_checks as pc

GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# What the theme puts around an article, with an image, a path and a wide block outside it.
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
  body {{ margin: 0; font: 16px/1.5 sans-serif; }}
  article {{ width: 600px; padding: 0 20px; }}
  pre {{ overflow: auto; font: 14px monospace; }}
</style></head><body>
<header><img alt="logo" src="{gif}"><pre>/tmp/outside-the-article {wide}</pre></header>
<article class="bd-article">{body}</article>
</body></html>"""


def read(driver, body: str) -> dict:
    driver.get(pc.data_url(_PAGE.format(gif=GIF, wide="x" * 200, body=body)))
    result = pc.reading(driver)
    assert result["article"] == "article.bd-article"
    return result


def cell(source: str, output: str) -> str:
    """A code cell as myst-nb renders it."""
    return (f'<div class="cell docutils container"><div class="cell_input docutils container">'
            f'<div class="highlight"><pre>{source}</pre></div></div>'
            f'<div class="cell_output docutils container">{output}</div></div>')


def figure(caption: str) -> str:
    return (f'<figure class="align-default" id="fig-x"><img alt="a plot" src="{GIF}"><figcaption>'
            f'<p><span class="caption-number">Fig. 1 </span><span class="caption-text">{caption}'
            f'</span><a class="headerlink" href="#fig-x">#</a></p></figcaption></figure>')


TITLE = '<section id="the-title"><h1>1. The title<a class="headerlink" href="#the-title">#</a></h1>'


# 1. Markdown tables shown as text.

@pytest.mark.parametrize("body", [
    "<p>| model | accuracy |\n| --- | --- |\n| 1D-CNN | 0.72 |</p>",
    "<p><strong>Leak-free.</strong> Data ok.\n| model | F1 |\n|:---|---:|\n| 2D-CNN | 0.7 |</p>",
    "<div>| a | b |\n| c | d |</div>",  # rows without a separator
    cell("display(Markdown(table))", "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>"),
])
def test_markdown_table_found(driver, body):
    found = read(driver, TITLE + body + "</section>")["markdown_tables"]
    assert len(found) == 1, found
    assert found[0]["element"].startswith(("<p>", "<div>"))
    assert "#the-title" in found[0]["element"]


@pytest.mark.parametrize("body", [
    "<pre>| a | b |\n|---|---|\n| 1 | 2 |</pre>",  # printed into an output block
    "<p>A separator row is <code>| --- | --- |</code> in Markdown.</p>",
    "<p>|x| + |y| is at least |x + y|.</p>",  # one line, no separator
    "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
    "<p>before | after --- and | more</p>",
])
def test_markdown_table_look_alikes(driver, body):
    assert read(driver, TITLE + body + "</section>")["markdown_tables"] == []


# 2. Blocks wider than their box or the column (article: 600 px).

def test_overflow_found(driver):
    body = TITLE + "".join([
        cell("x = 1", "<pre>" + "y" * 120 + "</pre>"),  # the output is too wide
        cell("z = " + "1 + " * 60 + "1", "<pre>ok</pre>"),  # the source is too wide
        '<table style="width: 800px"><tr><td>wide table</td></tr></table>',
        '<details class="admonition hide"><summary>Show</summary>' + cell("s = " + "2" * 150, "") + "</details>",
        cell("img()", '<img style="width: 700px; height: 10px" src="' + GIF + '">'),
    ]) + "</section>"
    found = read(driver, body)["overflow"]
    by_text = {f["text"][:5]: f for f in found}
    assert len(found) == 5, found
    assert "output of code cell 1 of 4" in by_text["yyyyy"]["element"]
    assert "source of code cell 2 of 4" in by_text["z = 1"]["element"]
    assert "article's column 600 px" in by_text["wide "]["reason"]
    assert "source of code cell 3 of 4" in by_text["s = 2"]["element"]  # opened to measure
    assert "700 px wide" in by_text[""]["reason"]
    # Only the innermost offender: the <pre>, not the output's or the highlight's <div>.
    assert all(f["element"].startswith(("<pre>", "<table>", "<img>")) for f in found), found


def test_overflow_look_alikes(driver):
    body = TITLE + "".join([
        cell("x = 1", "<pre>short</pre>"),
        '<div class="pst-scrollable-table-container"><table><tr><td>narrow</td></tr></table></div>',
        '<pre style="white-space: pre-wrap">' + "wrapped " * 100 + "</pre>",
        '<pre style="display: none">' + "hidden for good " * 30 + "</pre>",
    ]) + "</section>"
    result = read(driver, body)
    assert result["overflow"] == []
    assert result["column"] == 600


# 3. Captions.

def test_uncaptioned_images_found(driver):
    body = TITLE + "".join([
        cell("plot()", f'<img alt="x" src="{GIF}">'),
        f'<figure><img alt="y" src="{GIF}"></figure>',
        figure(""),  # the number alone
    ]) + "</section>"
    found = read(driver, body)["uncaptioned"]
    assert [f["problem"] for f in found] == [
        "not in a <figure>", "its <figure> has no <figcaption>", "its <figcaption> is empty"]
    assert "output of code cell 1 of 1" in found[0]["element"]


def test_captioned_images_and_theme_images(driver):
    # The header's logo is outside the article; a captioned figure is what myst-nb writes.
    assert read(driver, TITLE + cell("plot()", figure("Training curves.")) + "</section>")["uncaptioned"] == []


# 4. Absolute paths.

@pytest.mark.parametrize(("html", "path"), [
    ("<p>Data mendeley:/work/shared/data/mendeley-distinct, protocol leak-free</p>",
     "/work/shared/data/mendeley-distinct"),
    ("<pre>6 image files under /tmp/tmpxjhgekes: 5 distinct</pre>", "/tmp/tmpxjhgekes"),
    ('<pre><span class="s2">"/home/ana/ecg"</span></pre>', "/home/ana/ecg"),
    (f'<img alt="/Users/ana/fig.png" src="{GIF}">', "/Users/ana/fig.png"),
    ("<p>saved to /var/folders/xy/T/run</p>", "/var/folders/xy/T/run"),
    ("<p>open file:///root/book/index.html</p>", "file:///root/book/index.html"),
    (r"<p>C:\Users\ana\ecg</p>", r"C:\Users\ana\ecg"),
    (f"<p>{pc.REPO}/notebooks</p>", f"{pc.REPO}/notebooks"),
])
def test_absolute_path_found(driver, html, path):
    found = read(driver, TITLE + html + "</section>")["paths"]
    assert [f["path"] for f in found] == [path], found


def test_allowed_paths(driver):
    body = TITLE + "".join([
        "<p>Install chromium: it lands in /usr/bin/chromium, its policies in /etc/chromium.</p>",
        '<p>See <a href="https://example.org/home/x">https://example.org/home/x</a>.</p>',
        "<pre>cache: ~/.cache/ecgkeras, data: ./tmp/x and data/work/y</pre>",
        "<p>The /workspace and /tmpfs folders.</p>",
        '<p>Math: <span class="math">$f:\\mathbb{R}\\to\\mathbb{R}$</span></p>',
    ]) + "</section>"
    assert read(driver, body)["paths"] == []


@pytest.mark.parametrize(("text", "expected"), [
    ("mendeley:/work/shared/data", ["/work/shared/data"]),
    ("(/tmp/abc)", ["/tmp/abc"]),
    ("/root.", ["/root"]),
    ("https://x.org/home/a http://127.0.0.1:8000/work/b", []),
    ("/usr/bin/chromium /etc/apt/sources.list ~/work ./tmp data/home", []),
    ("/tmpfs /workspace /homework", []),
    (r'"D:\data.csv", C:\\Users\\me', [r"D:\data.csv", r"C:\\Users\\me"]),
    (r"$A:\mathbb{R}$ and f:\alpha", []),
])
def test_absolute_path_rule(text, expected):
    assert [m.group(0) for m in re.finditer(pc.ABSOLUTE_PATH, text)] == expected


def test_local_paths():
    paths = pc.local_paths()
    assert pc.REPO.as_posix() in paths
    assert all(len(p.split("/")) >= 3 for p in paths)  # never "/" or "/usr"


# 5. The title first.

@pytest.mark.parametrize(("body", "problem"), [
    (cell("import os", "<pre>Python 3.11</pre>") + TITLE + "<p>Text.</p></section>",
     "starts with <div.cell> in the code cell 1 of 1"),
    ('<details class="admonition hide"><summary>Show code</summary>' + cell("x", "") + "</details>"
     + TITLE + "</section>", "starts with <details.admonition.hide>"),
    ("<section id='s'><p>Intro.</p><h1>Late title</h1></section>", "starts with <p> under #s"),
    ("<section id='s'><h2>No h1</h2></section>", "has no h1 title"),
])
def test_title_not_first(driver, body, problem):
    assert problem in (pc.first_element_problem(read(driver, body)) or "")


def test_title_first(driver):
    body = ('<span id="target"></span><script>var x = 1;</script>' + TITLE
            + cell("import os", "<pre>ok</pre>") + "</section>")
    assert pc.first_element_problem(read(driver, body)) is None
