"""Does a rendered page read cleanly? The checks behind the reading tests of
test_rendered_book.py, gathered in the browser by one script (READING_JS) per page, and tested on
small hand-made pages by test_page_checks.py.

Everything is looked for in the page's article (`article.bd-article`, the book's content column:
not the theme's header, sidebars, launch buttons or logo). The script returns, for the page:

markdown_tables  text blocks (outside <pre>/<code>) that show a Markdown table as text: a
                 separator row (`| ---`, `|:---`), or two or more lines that start and end with
                 `|` and have at least three `|`.
first            the article's first content element (the first element with text or an image,
                 going into <section>s): a chapter must start with its h1 title.
uncaptioned      every <img> not inside a <figure> with a non-empty <figcaption> (the caption
                 number "Fig. N" and the heading link do not count as a caption).
paths            absolute filesystem paths (ABSOLUTE_PATH below) in the article's text, code and
                 outputs included, and in the alt text of its images.
overflow         visible blocks wider than their box at the test's 1280 px window, measured after
                 every collapsed block was expanded (see READING_JS): `pre`, `table`, every child
                 of a `div.cell_output`, the theme's scrollable table containers and display math
                 whose content is wider than the box (scrollWidth > clientWidth + 1 px), or which
                 are wider than the article's content column (+1 px). Only the innermost of nested
                 offenders is reported (the <pre>, not the output <div> around it).

Each finding names its element: tag, id and classes, which code cell of the page it is in (its
source or output, counting the cells shown on the page) and the id of its section, so that a
failure can be traced to the notebook cell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]

# The absolute-path rule. Flagged: paths under the folders where a build machine, a temporary
# folder or a person's home keeps files (/tmp, /home, /root, /work, /Users, /var/folders,
# /private/var, /private/tmp), file:// URLs, Windows paths (C:\Users\..., D:\data.csv), and the
# literal paths of this checkout, its data folders and the home folder (local_paths()).
# Allowed: system paths that installation instructions name (/usr/bin/chromium, /etc/apt/...),
# relative paths (./data, ~/.cache/ecgkeras, data/work) and the path part of URLs
# (https://host/home/...: a path preceded by a letter, digit, '.', '/', '~', '-' or '\' is not
# one). Code and outputs are checked too: a printed /tmp/tmpab12cd or /home/me/data is the
# author's machine, not the reader's.
_NOT_AFTER = r"(?<![\w./~\\-])"
_ROOTS = ("tmp", "home", "root", "work", "Users", "var/folders", "private/var", "private/tmp")


def local_paths() -> list[str]:
    """The absolute paths of this machine the book must not show, longest first."""
    candidates = [REPO, REPO.parent / "shared", Path.home()]
    for name in ("ECGKERAS_SHARED_DATA", "ECGKERAS_MENDELEY_DIR", "ECGKERAS_CACHE_DIR"):
        if os.environ.get(name):
            candidates.append(Path(os.environ[name]).expanduser())
    paths = set()
    for path in candidates:
        for variant in (path, path.resolve()):
            if variant.is_absolute() and len(variant.parts) >= 3:  # not "/", not "/usr"
                paths.add(variant.as_posix())
    return sorted(paths, key=len, reverse=True)


def absolute_path_pattern(literals: list[str] | None = None) -> str:
    """The rule as a regular expression, in the syntax both Python's re and JavaScript share."""
    literals = local_paths() if literals is None else literals
    alternatives = [re.escape(p) for p in literals]
    alternatives.append("/(?:" + "|".join(re.escape(r) for r in _ROOTS) + ")")
    # The rest of the path, for the message: up to a space, quote, bracket or separator, less
    # a final '.' (the end of a sentence).
    stop = r"\s\"'`<>|,;:()\[\]{}"
    tail = rf"(?:/(?:[^{stop}]*[^{stop}.])?)?"
    return (
        "(?:" + _NOT_AFTER + "(?:" + "|".join(alternatives) + r")(?![\w-])" + tail
        + r"|\bfile://[^\s\"'`<>]*"
        # A drive letter, a backslash, and one more backslash or a file suffix after a name
        # (C:\Users\..., D:\data.csv; not TeX such as $A:\mathbb{R}$).
        + r"|(?<![\w\\$])[A-Z]:\\{1,2}[\w .$-]+(?:\\|\.\w{1,4}\b)[^\s\"'`<>|,;]*)"
    )


ABSOLUTE_PATH = absolute_path_pattern()

# Gathers all findings of one page (see the module's docstring). arguments[0]: ABSOLUTE_PATH's
# source. Expands the page's collapsed blocks (<details>: hidden solution cells, hide-input and
# hide-output cells, dropdowns; sphinx-togglebutton's toggles) before measuring widths, because a
# reader who opens a solution must be able to read it: run it last on a page.
READING_JS = r"""
const pathPattern = new RegExp(arguments[0], "g");
const article = document.querySelector("article.bd-article") || document.querySelector("article");
if (!article) return {article: null};
const cells = [...article.querySelectorAll("div.cell")];
const squash = (s, n = 120) => {
  s = s.replace(/\s+/g, " ").trim();
  return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
};
const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
  + [...el.classList].filter((c) => !["docutils", "container", "notranslate"].includes(c))
    .slice(0, 3).map((c) => "." + c).join("");
const describe = (el) => {
  let text = "<" + name(el) + ">";
  const cell = el.closest("div.cell");
  if (cell && article.contains(cell)) {
    const part = el.closest(".cell_output") ? "output of " : el.closest(".cell_input") ? "source of " : "";
    text += ` in the ${part}code cell ${cells.indexOf(cell) + 1} of ${cells.length}`;
  }
  const section = el.closest("section[id]");
  if (section && article.contains(section)) text += ` under #${section.id}`;
  return text;
};
// Text blocks: the text nodes of the article grouped by their closest block element.
const textBlocks = (skip, blocks) => {
  const found = new Map();
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const block = parent.closest(blocks) || article;
    if (!found.has(block)) found.set(block, []);
    found.get(block).push(node.textContent);
  }
  return [...found].map(([block, parts]) => [block, parts.join("")]);
};
const BLOCKS = "p, li, dd, dt, td, th, h1, h2, h3, h4, h5, h6, caption, figcaption, blockquote, "
  + "summary, details, div, section, article, aside";
const MATH = "mjx-container, mjx-assistive-mml, .MathJax";

// 1. Markdown tables shown as text.
const markdownTables = [];
for (const [block, text] of textBlocks(`pre, code, script, style, textarea, .highlight, ${MATH}`, BLOCKS)) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const separator = lines.find((l) => /\|\s*:?-{3,}/.test(l) || /^:?-{3,}:?\s*\|/.test(l));
  const rows = lines.filter((l) => /^\|.*\|$/.test(l) && l.split("|").length - 1 >= 3);
  if (separator || rows.length >= 2) {
    markdownTables.push({element: describe(block), text: squash(separator || rows[0], 100)});
  }
}

// 5. The first content element.
const CONTENT = "img, svg, canvas, video, iframe, object, embed, table, pre, hr";
const firstContent = (root) => {
  for (const child of root.children) {
    if (/^(SCRIPT|STYLE|LINK|META|TEMPLATE|NOSCRIPT)$/.test(child.tagName)) continue;
    if (!child.textContent.trim() && !child.matches(CONTENT) && !child.querySelector(CONTENT)) continue;
    if (child.tagName === "SECTION") {
      const inner = firstContent(child);
      if (inner) return inner;
      continue;
    }
    return child;
  }
  return null;
};
const first = firstContent(article);
const h1 = article.querySelector("h1");
const headerlinkless = (el) => {
  const clone = el.cloneNode(true);
  clone.querySelectorAll(".headerlink").forEach((e) => e.remove());
  return squash(clone.textContent, 100);
};

// 3. Images without a caption.
const uncaptioned = [];
for (const img of article.querySelectorAll("img")) {
  const figure = img.closest("figure");
  const caption = figure && article.contains(figure) ? figure.querySelector("figcaption") : null;
  let problem = null;
  if (!figure || !article.contains(figure)) problem = "not in a <figure>";
  else if (!caption) problem = "its <figure> has no <figcaption>";
  else {
    const clone = caption.cloneNode(true);
    clone.querySelectorAll(".caption-number, .headerlink").forEach((e) => e.remove());
    if (!clone.textContent.trim()) problem = "its <figcaption> is empty";
  }
  if (problem) {
    const src = (img.getAttribute("src") || "").split("/").pop();
    uncaptioned.push({element: describe(img), src: src, problem: problem});
  }
}

// 4. Absolute paths, in text (code and outputs included) and alt text.
const paths = [];
const findPaths = (text, where) => {
  for (const m of text.matchAll(pathPattern)) {
    const start = Math.max(0, m.index - 40);
    const excerpt = (start ? "\u2026" : "") + text.slice(start, m.index + m[0].length + 60);
    paths.push({element: where, path: m[0], text: squash(excerpt, 140)});
  }
};
for (const [block, text] of textBlocks(`script, style, ${MATH}`, "pre, " + BLOCKS)) {
  findPaths(text, describe(block));
}
for (const img of article.querySelectorAll("img[alt]")) {
  findPaths(img.getAttribute("alt"), describe(img) + " alt text");
}

// 2. Blocks wider than their box, with every collapsed block open.
article.querySelectorAll("details").forEach((d) => { d.open = true; });
article.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
const style = getComputedStyle(article);
const box = article.getBoundingClientRect();
const column = box.width - ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
  .reduce((sum, p) => sum + (parseFloat(style[p]) || 0), 0);
const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
let offenders = [];
const WIDE = "pre, table, div.cell_output > *, .pst-scrollable-table-container, div.math";
for (const el of new Set(article.querySelectorAll(WIDE))) {
  if (!visible(el)) continue;
  const reasons = [];
  if (el.scrollWidth - el.clientWidth > 1) {
    reasons.push(`its content is ${el.scrollWidth} px wide in a ${el.clientWidth} px box`);
  }
  const width = el.getBoundingClientRect().width;
  if (width > column + 1) {
    reasons.push(`it is ${Math.round(width)} px wide, the article's column ${Math.round(column)} px`);
  }
  if (reasons.length) {
    const line = el.tagName === "TABLE" ? (el.querySelector("tr") || el).textContent : el.textContent;
    offenders.push({el: el, element: describe(el), reason: reasons.join("; "), text: squash(line, 80)});
  }
}
offenders = offenders.filter((o) => !offenders.some((p) => p !== o && o.el.contains(p.el)));

return {
  article: name(article),
  column: Math.round(column),
  window: window.innerWidth,
  markdown_tables: markdownTables,
  first: first ? {element: describe(first), tag: first.tagName.toLowerCase(),
                  text: squash(first.textContent, 80)} : null,
  h1: h1 ? headerlinkless(h1) : null,
  uncaptioned: uncaptioned,
  paths: paths,
  overflow: offenders.map(({el, ...rest}) => rest),
};
"""


def reading(driver) -> dict:
    """The findings of the page open in `driver` (see the module's docstring); run it last."""
    return driver.execute_script(READING_JS, ABSOLUTE_PATH)


def data_url(html: str) -> str:
    """A page as a data: URL (no server, no network)."""
    return "data:text/html;charset=utf-8," + quote(html)


# The messages of the reading tests: one line per finding, naming the element.
def markdown_table_lines(found: list[dict]) -> list[str]:
    return [f"{f['element']}: {f['text']!r}" for f in found]


def overflow_lines(found: list[dict]) -> list[str]:
    return [f"{f['element']}: {f['reason']} ({f['text']!r})" for f in found]


def uncaptioned_lines(found: list[dict]) -> list[str]:
    return [f"{f['element']}: img {f['src']} {f['problem']}" for f in found]


def path_lines(found: list[dict]) -> list[str]:
    return [f"{f['element']}: {f['path']!r} in {f['text']!r}" for f in found]


def first_element_problem(result: dict) -> str | None:
    """Why the article does not start with its h1 title, or None where it does."""
    first, h1 = result["first"], result["h1"]
    if h1 is None:
        return "the article has no h1 title"
    if first is None:
        return f"the article has no content before or after its h1 {h1!r}"
    if first["tag"] != "h1":
        return f"the article starts with {first['element']} ({first['text']!r}), not with its h1 {h1!r}"
    return None
