#!/usr/bin/env bash
# test_report.sh — make report on a small real run, checked in a real browser.
#
# Headless Chromium opens report.html from disk: the test fails if the page
# is blank, an image did not load (naturalWidth 0), a URL points outside the
# file, or the console shows an error. The checker itself is checked on a
# copy with a broken image. report.pdf must exist, have a sane page count and
# contain every caption (pdftotext). The screenshot is saved next to the
# report (report.png). Prints cmocka-style [  PASSED  ] / [  FAILED  ] lines.
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

# A small real run: io and cpu tasks, serial and fork, quick profile.
if ! bench/parbench --profile quick --filter '^tasks/(serial|fork)/' --reps 3 --machine rep \
	--results "$tmp/results" >"$tmp/bench.log" 2>&1; then
	bad "run" "parbench failed: $(tail -3 "$tmp/bench.log")"
	finish
fi
runs=("$tmp"/results/rep/*/) # sorted: the last is the newest
run=${runs[-1]}
run=${run%/}

if "$PYTHON" scripts/report.py --run "$run" >"$tmp/report.log" 2>&1; then
	ok "make report writes report.html and report.pdf"
else
	bad "report" "report.py failed: $(cat "$tmp/report.log")"
	finish
fi
html="$run/report.html" pdf="$run/report.pdf"

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
  var p = document.createElement('pre');
  p.id = 'pbcheck';
  p.textContent = 'PBCHECK images=' + imgs.length + ' broken=' + broken + ' text=' +
    document.body.innerText.trim().length + ' external=' + ext + ' errors=' + __errs.length +
    ' ' + __errs.join(' | ');
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

# The PDF: each h2 section starts a page (print CSS), so at least sections+1.
pages=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
sections=$(grep -c '<h2' "$html")
if [ -n "$pages" ] && [ "$pages" -ge $((sections + 1)) ] && [ "$pages" -le $((3 * sections + 3)) ]; then
	ok "report.pdf has $pages pages for $sections sections"
else bad "pdf pages" "report.pdf: '${pages:-none}' pages for $sections sections"; fi

pdftotext "$pdf" "$tmp/pdf.txt"
missing=0
while IFS= read -r cap; do
	[ -n "$cap" ] || continue
	"$PYTHON" - "$tmp/pdf.txt" "$cap" <<'PY' || missing=$((missing + 1))
import sys
# without any whitespace: pdftotext breaks lines where the layout did, and
# may drop the space at a break (once seen: 1 of 1 captions "missing")
norm = lambda s: "".join(s.replace("\u00ad", "").split())
sys.exit(0 if norm(sys.argv[2]) in norm(open(sys.argv[1], encoding="utf-8").read()) else 1)
PY
done <"$run/captions.txt"
ncap=$(grep -c . "$run/captions.txt")
if [ "$ncap" -ge 1 ] && [ "$missing" -eq 0 ]; then ok "pdftotext finds all $ncap caption(s)"
else bad "pdf captions" "$missing of $ncap caption(s) not in report.pdf's text"; fi

# The captions come from the run: its serial io median is in them.
med=$("$PYTHON" -c "
import sys; sys.path.insert(0, 'scripts'); import pbdata
r = pbdata.Run(sys.argv[1]); print(pbdata.fmt(r.stat('tasks/serial/io/n:5/w:1/task_ms:50', 'wall_s')[1]))" "$run")
if grep -q "take $med s" "$run/captions.txt"; then ok "caption holds the run's serial median ($med s)"
else bad "caption figures" "no 'take $med s' in the captions"; fi

# What each experiment teaches and its headline come from the run's own
# experiments.csv (one row, tasks), not from a list kept beside the scripts.
teach=$("$PYTHON" - "$run/experiments.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
print(len(rows), rows[0]["name"], rows[0]["teaches"][:60])
PY
)
# shellcheck disable=SC2016 # the backquotes are Markdown, not a command
headline='*Headline.* `speedup` (x), higher is better.'
if [ "${teach%% *}" = 1 ] && grep -qF "*What it teaches.* ${teach#1 tasks }" "$run/report.md" &&
	grep -qF "$headline" "$run/report.md"; then
	ok "report.md takes what tasks teaches and its headline from experiments.csv"
else bad "experiments.csv" "'$teach' or the headline not in report.md"; fi

# Bad arguments: exit 2 with a message, no traceback.
"$PYTHON" scripts/report.py --run "$tmp/no-such-run" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'run directory not found' "$tmp/out" && ! grep -q Traceback "$tmp/out"; then
	ok "missing run directory: exit 2"
else bad "bad argument" "exit $rc: $(cat "$tmp/out")"; fi

finish
