#!/usr/bin/env bash
# test_report.sh — make report on a small real run, checked with real tools.
#
# Headless Chromium opens report.html from disk: the test fails if the page
# is blank, an image did not load (naturalWidth 0), a URL points outside the
# file, an element is wider than the text (the print would shrink every
# page to fit it), or the console shows an error; the checker is checked on a copy with
# a broken image. report.pdf (pdfinfo, pdftotext): A4 by default and Letter
# under an en_US locale, at most 10 pages for a quick run (16 for default);
# check_report.py: every experiment's caption is in the PDF with a figure of
# findings.csv and no case name, every figure in its own section or, named
# so, in one of the next two; page 1 states the five lessons (and it proves on altered captions that it can
# fail). Every figure's text prints at 8 pt or more (report.py's warning).
# A quick run's findings are its Appendix E. PB_REPORT_RUNS="DIR ..." checks
# copies of existing run directories the same way (make report's time
# printed; at most 16 pages for a default run, 10 for a quick one), and
# with two or more default runs, make compare + make report RUNS over
# them: its time, at most 24 pages. Prints cmocka-style [  PASSED  ] / [  FAILED  ] lines.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parbench-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

chrome=$(command -v chromium || command -v chromium-browser || true)
for tool in pandoc pdftotext pdfinfo gnuplot; do
	command -v "$tool" >/dev/null || bad "tools" "$tool not found (scripts/deps.sh report)"
done
[ -n "$chrome" ] || bad "tools" "chromium not found (scripts/deps.sh report)"
[ "$failed" -eq 0 ] || finish

# chromium_run ARGS...: headless, a fresh profile, no network chatter.
chromium_run() {
	local prof
	prof=$(mktemp -d "$tmp/prof.XXXXXX")
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" "$@"
}

# A small real run: io and cpu tasks, serial and fork, the seed's
# producer/consumer (a table-only experiment) and the switches (a
# figure outside the lessons'), quick profile.
if ! bench/parbench --profile quick --filter '^(tasks/(serial|fork)/|ipc-prodcons/|switch/)' --reps 3 \
	--machine rep \
	--results "$tmp/results" >"$tmp/bench.log" 2>&1; then
	bad "run" "parbench failed: $(tail -3 "$tmp/bench.log")"
	finish
fi
runs=("$tmp"/results/rep/*/) # sorted: the last is the newest
run=${runs[-1]}
run=${run%/}

if LC_ALL='' LC_PAPER='' LANG=C.UTF-8 "$PYTHON" scripts/report.py --run "$run" >"$tmp/report-a4.log" 2>&1; then
	ok "make report writes report.html and report.pdf"
else
	bad "report" "report.py failed: $(cat "$tmp/report-a4.log")"
	finish
fi
html="$run/report.html"

# check HTML: print the page's own verdict line, from inside the browser.
check_page() {
	local page=$1 copy
	# Same directory as the page, so relative URLs resolve as for the page.
	copy="$(dirname "$page")/.check-$(basename "$page")"
	"$PYTHON" - "$page" "$copy" <<'PY'
import sys
hook = """<script>
window.__errs = [];
window.addEventListener('error', function (e) {
  __errs.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || '?'));
}, true);
['error', 'warn'].forEach(function (k) {
  var f = console[k];
  console[k] = function () { __errs.push('console.' + k + ': ' + [].join.call(arguments, ' ')); f.apply(console, arguments); };
});
window.addEventListener('load', function () {
  var imgs = [].slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  var ext = [].slice.call(document.querySelectorAll('[src],[href]')).map(function (e) {
    return e.getAttribute('src') || e.getAttribute('href'); }).filter(function (u) {
    return /^([a-z]+:)?\\/\\//i.test(u) && !/^data:/.test(u); }).length;
  // wider than the text: Chromium would shrink every printed page to fit it
  var right = document.body.getBoundingClientRect().right + 1;
  var wide = [].slice.call(document.body.querySelectorAll('*')).filter(function (e) {
    return e.getBoundingClientRect().right > right; }).length;
  var p = document.createElement('pre');
  p.id = 'pbcheck';
  p.textContent = 'PBCHECK images=' + imgs.length + ' broken=' + broken + ' text=' +
    document.body.innerText.trim().length + ' external=' + ext + ' wide=' + wide +
    ' errors=' + __errs.length + ' ' + __errs.join(' | ');
  document.body.appendChild(p);
});
</script>"""
src, dst = sys.argv[1], sys.argv[2]
html = open(src, encoding="utf-8").read()
i = html.index("<head>") + len("<head>")
open(dst, "w", encoding="utf-8").write(html[:i] + hook + html[i:])
PY
	chromium_run --virtual-time-budget=10000 --enable-logging=stderr --v=0 \
		--dump-dom "file://$copy" >"$tmp/dom" 2>"$tmp/console"
	rm -f "$copy"
	grep -o 'id="pbcheck">PBCHECK[^<]*' "$tmp/dom" | head -1 | sed 's/^id="pbcheck">//'
	# Chromium logs console messages as CONSOLE lines; the report has none.
	grep -h 'CONSOLE' "$tmp/console" | sed 's/^/console: /' | head -5
}

# verdict LINE: 0 when the page rendered with every image and no error.
verdict() {
	local line=$1 n
	case "$line" in PBCHECK*) ;; *) return 1 ;; esac
	case "$line" in *console:*) return 1 ;; esac
	n=$(sed -n 's/.* images=\([0-9]*\) .*/\1/p' <<<"$line")
	[ "${n:-0}" -ge 1 ] || return 1
	grep -q ' broken=0 ' <<<"$line" || return 1
	grep -q ' external=0 ' <<<"$line" || return 1
	grep -q ' wide=0 ' <<<"$line" || return 1
	grep -Eq ' errors=0( |$)' <<<"$line" || return 1
	t=$(sed -n 's/.* text=\([0-9]*\) .*/\1/p' <<<"$line")
	[ "${t:-0}" -ge 500 ]
}

line=$(check_page "$html" | tr '\n' ' ')
if verdict "$line"; then ok "browser: report.html renders ($line)"; else bad "browser" "$line"; fi

# The checker must be able to fail: the same page with an image that is not there.
sed 's|</body>|<img src="no-such-plot.png" alt="missing"></body>|' "$html" >"$run/broken.html"
line=$(check_page "$run/broken.html" | tr '\n' ' ')
rm -f "$run/broken.html"
if verdict "$line"; then bad "browser self-check" "a missing image passed: $line"; else
	ok "browser self-check: a missing image fails ($line)"; fi

# ... and a table wider than the text (printed, every page would shrink).
sed 's|</body>|<table><tr><td style="white-space:nowrap">'"$(printf 'wide %.0s' $(seq 300))"'</td></tr></table></body>|' \
	"$html" >"$run/wide.html"
line=$(check_page "$run/wide.html" | tr '\n' ' ')
rm -f "$run/wide.html"
if verdict "$line"; then bad "browser self-check" "a table wider than the text passed: $line"; else
	ok "browser self-check: a table wider than the text fails ($(grep -o 'wide=[0-9]*' <<<"$line"))"; fi

# No URL leaves the file (every plot is a data URI).
if grep -Eo '(src|href)="[^"]*"' "$html" | grep -v '"data:' | grep -Eq '"(https?:)?//'; then
	bad "self-contained" "report.html refers to an external URL"
else ok "report.html is self-contained"; fi

# The screenshot, saved next to the report.
chromium_run --screenshot="$run/report.png" --window-size=1280,2400 --hide-scrollbars \
	"file://$html" >/dev/null 2>&1
if [ "$(stat -c %s "$run/report.png" 2>/dev/null || echo 0)" -gt 20000 ]; then
	ok "screenshot $run/report.png"
else bad "screenshot" "no or blank $run/report.png"; fi

# pdf_checks RUN: page count within the profile's limit, the captions and
# page 1 (check_report.py), the paper size ($2: A4 or letter).
pdf_checks() {
	local run=$1 paper=$2 pages limit profile size
	pages=$(pdfinfo "$run/report.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
	size=$(pdfinfo "$run/report.pdf" 2>/dev/null | sed -n 's/^Page size: *//p')
	profile=$(sed -n 's/^# profile=//p' "$run/summary.csv" | head -1)
	limit=16
	[ "$profile" = quick ] && limit=10
	if [ -n "$pages" ] && [ "$pages" -le "$limit" ]; then
		ok "$(basename "$run"): $pages pages for a $profile run (at most $limit)"
	else bad "pdf pages" "$run/report.pdf: ${pages:-no} pages for a $profile run (at most $limit)"; fi
	case "$paper:$size" in
	A4:59[45]*x*84[12]* | letter:612*x*792*) ok "$(basename "$run"): $paper ($size)" ;;
	*) bad "paper" "$run/report.pdf is '$size', expected $paper" ;;
	esac
	pdftotext "$run/report.pdf" "$tmp/pdf.txt"
	pdftotext -f 1 -l 1 "$run/report.pdf" "$tmp/page1.txt"
	if "$PYTHON" tests/report/check_report.py --self-check "$run" "$tmp/pdf.txt" \
		"$tmp/page1.txt" >"$tmp/check.out" 2>&1; then
		ok "$(basename "$run"): $(tail -1 "$tmp/check.out")"
	else bad "captions" "$(head -5 "$tmp/check.out")"; fi
}
pdf_checks "$run" A4

# What each experiment teaches comes from the run's own experiments.csv,
# not from a list kept beside the scripts.
teach=$("$PYTHON" - "$run/experiments.csv" <<'PY'
import csv, html, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
print(html.escape(rows[0]["teaches"], quote=True)[:60])
PY
)
if grep -qF "<b>What it teaches.</b> $teach" "$run/report.md"; then
	ok "report.md takes what tasks teaches from experiments.csv"
else bad "experiments.csv" "'$teach' not in report.md"; fi

# The seed programs come from experiments.csv's seeds column (pb_seeds).
if grep -qF "multi_process.py: a Process per task" "$run/report.md" &&
	! grep -q "Where each seed program lives" "$run/report.md"; then
	ok "the seed map is experiments.csv's seeds column"
else bad "seeds" "no seed program from experiments.csv in report.md"; fi

# Letter where the locale asks for it.
mkdir -p "$tmp/letter"
if LC_ALL='' LC_PAPER='' LANG=en_US.UTF-8 "$PYTHON" scripts/report.py --run "$run" --out "$tmp/letter" \
	>"$tmp/report.log" 2>&1; then
	size=$(pdfinfo "$tmp/letter/report.pdf" 2>/dev/null | sed -n 's/^Page size: *//p')
	case "$size" in 612*x*792*) ok "LANG=en_US: Letter ($size)" ;;
	*) bad "letter" "LANG=en_US gave '$size'" ;; esac
else bad "letter" "report.py failed: $(tail -3 "$tmp/report.log")"; fi

# The figures: legible when drawn for the page (report_run.placed), a
# note for those of this run that are not (the figures are plots/*.gp's).
if "$PYTHON" - <<'PY' >"$tmp/legible.out" 2>&1; then
import os, sys, tempfile
sys.path.insert(0, "scripts")
from report_run import placed
d = tempfile.mkdtemp()
def svg(w, font):
    p = os.path.join(d, f"f{w}.svg")
    open(p, "w").write(f'<svg viewBox="0 0 {w} 400" xmlns="http://www.w3.org/2000/svg">'
                       f'<text font-size="{font}">x</text></svg>')
    return p
ok = placed(svg(600, 12), 680) == (600, 400, 9.0) and placed(svg(1400, 12), 680)[2] < 8
ok = ok and placed(svg(1400, 12), 680)[0] == 680
# tall (600 x 400 is 2:3): narrower, down to 8 pt; wide (1400 x 400): as placed
from report_run import fitted
w, h, pt = fitted(svg(600, 12), 680, 8.0)
ok = ok and abs(pt - 8.0) < 1e-9 and abs(w - 600 * 8 / 9) < 1e-6 and abs(h / w - 2 / 3) < 1e-9
ok = ok and fitted(svg(1400, 30), 680, 8.0) == placed(svg(1400, 30), 680)
print("600 px at 12 px: 9 pt, kept at 600 px; 1400 px: shrunk to the text, under 8 pt; "
      "a tall one narrower down to 8 pt")
sys.exit(0 if ok else 1)
PY
	ok "figure placement: $(cat "$tmp/legible.out")"
else bad "legibility" "$(cat "$tmp/legible.out")"; fi
# legible LOG NAME: every figure of the report prints its text at 8 pt or
# more (report.py warns per figure, from the SVG's font sizes and the width
# the figure prints at).
legible() {
	if grep -q "under 8 pt" "$1"; then
		bad "legibility" "$2: figures whose text prints under 8 pt: $(grep "under 8 pt" "$1" |
			sed 's/^report: warning: //; s/: its smallest text prints at/:/; s/, under 8 pt.*//' | tr '\n' ' ')"
	else ok "$2: every figure's text prints at 8 pt or more"; fi
}
legible "$tmp/report-a4.log" "$(basename "$run")"

# A quick run's findings are Appendix E (its sections: what each teaches,
# the figure, the caption); the noisy count is in the caption, no footnote.
if grep -q "^# Appendix E: the findings" "$run/report.md" &&
	grep -q 'class="findings-apart"' "$run/report.md" && ! grep -q 'class="footnote"' "$run/report.md"; then
	ok "quick run: the findings in Appendix E"
else bad "appendix E" "a quick run's report.md has no Appendix E of findings"; fi

# A quick run's report draws the lessons' figures (tasks) and names the
# others' in their caption (switch), so that it stays a handout of ten pages.
if grep -q '<img src="plots/tasks\.svg"' "$run/report.md" &&
	! grep -q '<img src="plots/switch\.' "$run/report.md" &&
	grep -q '(Figure: plots/switch\.svg\.)' "$run/report.md"; then
	ok "quick run: the lessons' figures drawn, the others named"
else bad "quick figures" "tasks' figure not drawn, or switch's drawn or not named"; fi

# Existing runs (PB_REPORT_RUNS): copies, so that nothing is written there.
copies=()
for src in ${PB_REPORT_RUNS:-}; do
	copy="$tmp/runs/$(basename "$src")"
	mkdir -p "$tmp/runs" && cp -r "$src" "$copy" && rm -f "$copy"/report.*
	[ "$(sed -n 's/^# profile=//p' "$copy/summary.csv" | head -1)" = default ] && copies+=("$copy")
	start=$(date +%s.%N)
	if LC_ALL='' LC_PAPER='' LANG=C.UTF-8 "$PYTHON" scripts/report.py --run "$copy" >"$tmp/report.log" 2>&1; then
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		ok "$(basename "$src"): report built in ${secs%???????} s"
		legible "$tmp/report.log" "$(basename "$src")"
		pdf_checks "$copy" A4
		line=$(check_page "$copy/report.html" | tr '\n' ' ')
		if verdict "$line"; then ok "browser: $(basename "$src") renders ($line)"; else bad "browser" "$line"; fi
	else bad "report" "$src: $(tail -3 "$tmp/report.log")"; fi
done

# Two or more default runs: make compare, then make report RUNS=... (its
# time printed): at most 24 pages (issue 21), and it renders.
if [ ${#copies[@]} -ge 2 ]; then
	start=$(date +%s.%N)
	if "$PYTHON" scripts/compare.py "${copies[@]}" --out "$tmp/cmp" >"$tmp/compare.log" 2>&1 &&
		LC_ALL='' LC_PAPER='' LANG=C.UTF-8 "$PYTHON" scripts/report.py --runs "${copies[@]}" \
			--out "$tmp/cmp" >"$tmp/report.log" 2>&1; then
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		pages=$(pdfinfo "$tmp/cmp/report.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
		ok "${#copies[@]} runs: compare and report in ${secs%???????} s"
		if [ -n "$pages" ] && [ "$pages" -le 24 ]; then
			ok "${#copies[@]} runs: $pages pages (at most 24)"
		else bad "pdf pages" "report of ${#copies[@]} runs: ${pages:-no} pages (at most 24)"; fi
		legible "$tmp/report.log" "report of ${#copies[@]} runs"
		line=$(check_page "$tmp/cmp/report.html" | tr '\n' ' ')
		if verdict "$line"; then ok "browser: the report of ${#copies[@]} runs renders"; else bad "browser" "$line"; fi
	else bad "report of runs" "$(tail -3 "$tmp/compare.log" "$tmp/report.log")"; fi
fi

# Bad arguments: exit 2 with a message, no traceback.
"$PYTHON" scripts/report.py --run "$tmp/no-such-run" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'run directory not found' "$tmp/out" && ! grep -q Traceback "$tmp/out"; then
	ok "missing run directory: exit 2"
else bad "bad argument" "exit $rc: $(cat "$tmp/out")"; fi
"$PYTHON" scripts/report.py --run "$run" --paper a5 --out "$tmp/a5" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "unknown paper 'a5': a4 or letter" "$tmp/out" && [ ! -e "$tmp/a5" ]; then
	ok "--paper a5: exit 2, nothing written"
else bad "bad paper" "exit $rc: $(cat "$tmp/out")"; fi

finish
