"""report_page — paper, print CSS and the HTML pieces of report.py.

The page is A4 unless the locale asks for US Letter (LC_ALL, LC_PAPER or
LANG naming a territory that uses it), or --paper says. Chromium (131 and
later) honours @page margin boxes, so the page number is print CSS, not a
header template. The text column is as wide on screen as in print, so the
browser test sees the figures at their printed size.
"""

import base64
import html
import os

from pbdata import DataError

PAPERS = {"a4": ("A4", 210.0, 297.0), "letter": ("Letter", 215.9, 279.4)}
# Territories whose paper is Letter (glibc's LC_PAPER for them says so).
LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "CR", "GT", "PA", "SV",
                      "DO", "PR", "NI"}
MARGIN_MM = 12.0
TOP_MM, BOTTOM_MM = 10.0, 12.0
MM_PER_PX = 25.4 / 96
MIN_TEXT_PT = 8.0  # issue 20: text in a figure at least 8 pt as printed


def paper_from_locale(env=None):
    """'letter' when the locale that decides paper names a Letter territory."""
    env = os.environ if env is None else env
    for key in ("LC_ALL", "LC_PAPER", "LANG"):
        value = env.get(key, "")
        if value:
            territory = value.split(".")[0].split("@")[0].partition("_")[2]
            return "letter" if territory.upper() in LETTER_TERRITORIES else "a4"
    return "a4"


def paper(name=None):
    """(CSS size name, text width and text height in CSS px) of a paper;
    DataError for an unknown one."""
    key = (name or paper_from_locale()).lower()
    if key not in PAPERS:
        raise DataError(f"unknown paper '{name}': a4 or letter")
    css, w, h = PAPERS[key]
    return css, (w - 2 * MARGIN_MM) / MM_PER_PX, (h - TOP_MM - BOTTOM_MM) / MM_PER_PX


# Figures float as in print typesetting: a figure that would not fit in
# what is left of its page waits, and the text after it fills the page; it
# goes in after the block during which the page turns, so at the top of the
# next page. The text that fills the page may be the next sections' (a
# heading, what it teaches, the findings) as in a printed book, two
# headings at most: a figure still waiting at the third heading after its
# own goes in before that heading, a figure never passes another, and one
# that lands in a later section names its own in its label. Kept within its
# own section, a default run's figures left 2.2 pages of empty page ends,
# and within the next one 0.6 (run 20261207T213102Z: 20, then 17 pages;
# issue 20's limit is 16). The pages are simulated from the blocks'
# heights (the text column is as wide on screen as in print), each page
# turning where print turns it: between table rows, between lines. What
# the simulation still misses (orphans, a heading kept with its text) is
# why a figure must fit with SLACK_PX to spare: a figure put off that would
# have fit costs nothing while text fills the page, one that is put in and
# does not fit leaves the page's end empty.
SLACK_PX = 48
FLOAT_SCRIPT = """<script>
document.addEventListener('DOMContentLoaded', function () {
  var H = %(page)d, F = %(page)d - %(slack)d, i;
  var body = document.body, kids = [].slice.call(body.children);
  var tops = kids.map(function (k) { return k.getBoundingClientRect().top; });
  tops.push(body.getBoundingClientRect().bottom);
  var y = 0, waiting = [], moves = [], prev = null, section = '';
  // a figure that lands in a later section names its own: "Figure 4
  // (granularity, section 4)."
  function away(fig, num) {
    var b = fig.querySelector('figcaption b');
    if (b && num) b.textContent = b.textContent.replace(/\\)\\.$/, ', section ' + num + ').');
  }
  // Where print can break inside a block, from its top: between table
  // rows (a row is not split, nor parted from its reason), between lines
  // of a paragraph (two lines at least on each side), never in a heading.
  function breakAt(k, room) {
    var top = k.getBoundingClientRect().top, best = 0, rows = k.querySelectorAll('tr');
    if (k.tagName === 'H1') return 0;
    if (rows.length) {
      rows.forEach(function (r) {
        var next = r.nextElementSibling;
        if (next && next.classList.contains('why')) return; // a row and its reason
        var rt = r.getBoundingClientRect();
        if (rt.bottom - top <= room && rt.bottom - top > best) best = rt.bottom - top;
      });
      return best;
    }
    var lh = parseFloat(getComputedStyle(k).lineHeight) || 15;
    var n = Math.round(k.offsetHeight / lh), fit = Math.floor(room / lh);
    return n >= 4 && fit >= 2 ? Math.min(fit, n - 2) * lh : 0;
  }
  function flush(after, all) {
    while (waiting.length && (all || y + waiting[0][1] <= F)) {
      var w = waiting.shift();
      y = y + w[1] <= H ? y + w[1] : w[1];
      moves.push([w[0], after]); after = w[0];
      if (w[2]) away(w[0], w[3]);
    }
  }
  for (i = 0; i < kids.length; i++) {
    var k = kids[i], h = tops[i + 1] - tops[i];
    if (k.tagName === 'FIGURE') {
      if (!waiting.length && y + h <= F) { y += h; prev = k; }
      else waiting.push([k, h, 0, section]);
      continue;
    }
    // a figure waits past one heading, not two
    if (k.tagName === 'H1') {
      if (waiting.length && waiting[0][2] >= 2 && prev) flush(prev, true);
      waiting.forEach(function (w) { w[2] = (w[2] || 0) + 1; });
      section = k.dataset.number || section;
    }
    var was = y;
    y += h;
    if (getComputedStyle(k).breakAfter === 'page') { y = 0; prev = k; continue; }
    if (y > H) {
      // the page turns inside k: at its last break before the page's end
      var at = breakAt(k, H - was);
      y = h - at;
      if (at === 0 && prev && prev.tagName === 'H1') y += tops[i] - tops[i - 1];
      flush(k, false);
    }
    prev = k;
  }
  if (prev) flush(prev, true);
  moves.forEach(function (m) { m[1].after(m[0]); });
});
</script>
"""


def float_script(page_px):
    return FLOAT_SCRIPT % {"page": page_px, "slack": SLACK_PX}


def style(size, text_px, page_px):
    return float_script(page_px) + f"""<style>
@page {{ size: {size}; margin: {TOP_MM}mm {MARGIN_MM}mm {BOTTOM_MM}mm;
  @bottom-center {{ content: "page " counter(page) " of " counter(pages);
                    font: 8pt 'DejaVu Sans', sans-serif; color: #555; }} }}
body {{ max-width: {text_px:.0f}px; margin: 0 auto; font: 9pt/1.25 'DejaVu Sans', sans-serif;
       color: #111; }}
h1 {{ font-size: 11.5pt; margin: 0.5em 0 0.1em; break-after: avoid; }}
h2 {{ font-size: 10pt; margin: 0.4em 0 0.1em; break-after: avoid; }}
h1.title {{ font-size: 17pt; margin-top: 0; }}
.summary {{ font-style: italic; margin: 0 0 0.3em; }}
p {{ margin: 0.3em 0; }}
figure {{ margin: 0.3em 0; break-inside: avoid; }}
figure img {{ display: block; margin: 0 auto; height: auto; }}
figcaption, p.caption {{ font-size: 8.5pt; margin-top: 0.2em; }}
table {{ border-collapse: collapse; font-size: 7pt; line-height: 1.15; margin: 0.3em 0;
        width: 100%; }}
th, td {{ border-bottom: 0.5px solid #bbb; padding: 0.05em 0.3em; vertical-align: top;
         text-align: left; }}
th {{ border-bottom: 1px solid #555; }}
tr {{ break-inside: avoid; }}
td.num {{ white-space: nowrap; }}
div.findings {{ columns: 2; column-gap: 1.2em; margin: 0.3em 0; }}
div.findings table {{ margin: 0; border-top: 1px solid #555; }}
div.findings-apart {{ columns: 3; column-gap: 1em; }}
table.findings-grid {{ border-top: 1px solid #555; }}
table.findings-grid th {{ font-weight: normal; font-style: italic; }}
table.findings-grid td:last-child, table.findings-grid td.num {{ white-space: nowrap; }}
div.findings-apart table {{ margin: 0 0 0.3em; border-top: 1px solid #555; }}
p.fexp {{ margin: 0.2em 0 0; font-size: 7.5pt; break-after: avoid; }}
table.fidelity td:nth-child(5) {{ white-space: nowrap; }}
table.fidelity tbody.pair {{ break-inside: avoid; }}
table.fidelity tbody.pair tr:not(:last-child) td {{ border-bottom: none; }}
table.fidelity tr.why td {{ padding-left: 1.5em; }}
table.lessons {{ font-size: 9.5pt; line-height: 1.3; }}
table.lessons td {{ padding: 0.3em 0.4em; }}
table.lessons td:first-child {{ width: 52%; }}
table.lessons td:nth-child(2) {{ width: 19%; }}
div.seeds {{ columns: 2; column-gap: 1.2em; font-size: 7.5pt; line-height: 1.2; }}
div.seeds p {{ margin: 0 0 0.25em; break-inside: avoid; }}
table.machine td:nth-child(odd) {{ width: 12%; font-weight: bold; }}
.verdict-agrees {{ color: #135e13; }} .verdict-differs {{ color: #8a1c1c; }}
span.note {{ font-size: 7.5pt; color: #333; }}
.noisy-list {{ font-size: 6pt; line-height: 1.15; columns: 4; column-gap: 0.8em; }}
.noisy-list p {{ margin: 0.1em 0; word-break: break-all; }}
.noisy-list code {{ font-family: 'DejaVu Sans Condensed', 'DejaVu Sans', sans-serif; }}
code {{ font-size: 0.92em; }}
nav#TOC {{ font-size: 8.5pt; columns: 4; column-gap: 1.5em; margin-top: 0.8em; }}
nav#TOC h1 {{ column-span: all; font-size: 11pt; margin: 0 0 0.2em; }}
nav#TOC ul {{ list-style: none; padding-left: 0; margin: 0; }}
nav#TOC a {{ color: #111; text-decoration: none; }}
.fine, div.fine table {{ font-size: 7pt; color: #333; }}
div.fine ul {{ margin: 0.2em 0; padding-left: 1.2em; }}
</style>
"""


def esc(s):
    return html.escape(str(s), quote=True)


def data_uri(path):
    kind = "image/svg+xml" if path.endswith(".svg") else "image/png"
    with open(path, "rb") as f:
        return f"data:{kind};base64," + base64.b64encode(f.read()).decode()


def table(headers, rows, cls=""):
    """An HTML table; rows are lists of already escaped cells, or of
    (cell, css class) pairs; no header row when headers is empty."""
    head = ("<thead><tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead>"
            if headers else "")
    return f'<table class="{cls}">{head}<tbody>' + "".join(map(table_row, rows)) \
        + "</tbody></table>"


def table_row(cells):
    """<tr> of already escaped cells, or of (cell, css class) pairs."""
    out = []
    for c in cells:
        text, klass = c if isinstance(c, tuple) else (c, "")
        out.append(f'<td class="{klass}">{text}</td>' if klass else f"<td>{text}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def embed(html_text, base):
    """Every <img src="..."> that names a file under base, as a data URI:
    report.md names the run's plots (pandoc is slow on megabytes of base64),
    report.html carries them."""
    out, pos = [], 0
    while True:
        i = html_text.find('<img src="', pos)
        if i < 0:
            break
        j = i + len('<img src="')
        k = html_text.index('"', j)
        src = html_text[j:k]
        path = os.path.join(base, src)
        out.append(html_text[pos:j])
        out.append(data_uri(path) if not src.startswith("data:") and os.path.isfile(path)
                   else src)
        pos = k
    out.append(html_text[pos:])
    return "".join(out)


def figure_html(path, size, number, caption, mark="", base="", what=""):
    """A figure at size (width, height in CSS px: known before it loads, so
    that the pages can be planned); what (its experiment) is named in the
    caption."""
    src = os.path.relpath(path, base) if base else path
    label = f"Figure {number}" + (f" ({esc(what)})" if what else "")
    return (f'<figure><img src="{esc(src)}" '
            f'style="width:{size[0]:.0f}px;height:{size[1]:.0f}px" '
            f'alt="Figure {number}" data-figure="{esc(os.path.basename(path))}">'
            f"<figcaption><b>{label}.</b> {esc(caption)}{mark}</figcaption></figure>")


def verdict_html(verdict):
    if not verdict:
        return ""
    klass = {"agrees": "verdict-agrees", "differs": "verdict-differs"}.get(verdict, "")
    return f'<span class="{klass}">{esc(verdict)}</span>' if klass else esc(verdict)
