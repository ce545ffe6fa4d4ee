# common.gp — shared settings for parbench plots (not a plot itself).
#
# Every plots/*.gp starts with:   load plotdir.'/common.gp'
# and is run by scripts/plot.sh with these variables (gnuplot -e):
#   summary  path of the run's summary.csv
#   params   summary.csv's rows and columns, then param_<name> for every
#            parameter of the run's cases (scripts/plotdata.py, from
#            cases.csv); '' when the run has no cases.csv. A script that
#            reads it says `set datafile columnheaders` and selects by name:
#            column('param_n'), strcol('param_pin') ('' where the case does
#            not fix its pin). No script parses a case name.
#   raw      path of the run's raw.csv
#   outdir   directory to write <name>.png and <name>.svg into
#   machine  machine name (from raw.csv metadata)
#   cpu      CPU model (from raw.csv metadata)
#   plotdir  this directory
#
# summary.csv columns: 1 machine, 2 case, 3 experiment, 4 model, 5 workload,
# 6 workers, 7 param, 8 param_value, 9 pin, 10 metric, 11 n, 12 min,
# 13 median, 14 max, 15 unit.
# raw.csv columns: 1 machine, 2 case, 3 experiment, 4 model, 5 workload,
# 6 workers, 7 param, 8 param_value, 9 pin, 10 rep, 11 metric, 12 value,
# 13 unit.
#
# Output: draw each figure once per format inside
#   do for [fmt in out_formats] {
#       eval term_cmd(fmt, width, height)
#       set output out_path('name', fmt)
#       ... plot ...
#       set output
#       print 'wrote ', out_path('name', fmt)
#   }
# A script with nothing to draw prints "<name>: skipped: no data" and exits
# (status 0) before setting any output.

if (!exists("summary")) summary = 'summary.csv'
if (!exists("raw")) raw = 'raw.csv'
if (!exists("params")) params = ''
# figvars: the figure's own variables from scripts/figdata.py (fig_title, its
# axis ranges, its data files), '' when it has none.
if (!exists("figvars")) figvars = ''
if (figvars ne '') load figvars
pick_file = summary
no_params = ': skipped: no cases.csv (parbench --summarize RUN_DIR writes it)'
if (!exists("outdir")) outdir = '.'
if (!exists("machine")) machine = 'unknown machine'
if (!exists("cpu")) cpu = 'unknown cpu'

# --- data ------------------------------------------------------------------
set datafile separator ','
set datafile commentschars '#'
# Rows are selected with ternaries that return NaN for the rows not wanted,
# e.g.  using (want() ? $6 : NaN):13.  By default gnuplot 5.4 treats such a
# point as undefined and BREAKS the line there; with "missing NaN" the point
# is skipped as missing data and lines connect the selected points.
set datafile missing NaN

# Column tests (use inside using-expressions).
is(col, val) = strcol(col) eq val
# parse-ok: whether w is a word of the space-separated list l (a lookup; no name taken apart)
in_words(l, w) = strstrt(' '.l.' ', ' '.w.' ') > 0

# --- models: one fixed colour/point per model across all plots --------------
models = "serial fork threads threads-gil pool coroutines"
model_ls(m) = sum [i = 1:words(models)] (word(models, i) eq m ? i : 0)

set style line 1 lc rgb '#1b1b1b' lw 2 pt 6 ps 2.2   # serial: open ring, stays visible under others at w=1
set style line 2 lc rgb '#0072b2' lw 2 pt 5 ps 1.0   # fork
set style line 3 lc rgb '#d55e00' lw 2 pt 9 ps 1.2   # threads
set style line 4 lc rgb '#cc79a7' lw 2 pt 11 ps 1.2  # threads-gil
set style line 5 lc rgb '#009e73' lw 2 pt 13 ps 1.2  # pool
set style line 6 lc rgb '#56b4e9' lw 2 pt 7 ps 1.0   # coroutines
set style line 9 lc rgb '#e69f00' lw 2 pt 3 ps 1.0   # anything else
set style line 10 lc rgb '#8c8c8c' lw 2 dt 2 pt -1   # ideal: dashed grey
ideal_ls = 10

# CPython itself (bench/cpython/): model cpython-<m> is drawn in the colour of
# its C twin, dashed, with an open point, and titled "CPython <m>".
# CPython's threads have a GIL: their twin is threads-gil.
is_py(m) = strlen(m) > 8 && m[1:8] eq 'cpython-'
py_base(m) = is_py(m) ? m[9:] : m
py_twin(m) = py_base(m) eq 'threads' ? 'threads-gil' : py_base(m)
model_title(m) = is_py(m) ? 'CPython '.py_base(m) : (m eq 'threads' ? 'threads, no GIL' : m)
set style line 41 lc rgb '#1b1b1b' lw 2 dt 2 pt 6 ps 1.6   # cpython-serial
set style line 42 lc rgb '#0072b2' lw 2 dt 2 pt 4 ps 1.2   # cpython-fork
set style line 43 lc rgb '#d55e00' lw 2 dt 2 pt 8 ps 1.4   # (twin of threads: none)
set style line 44 lc rgb '#cc79a7' lw 2 dt 2 pt 10 ps 1.4  # cpython-threads
set style line 45 lc rgb '#009e73' lw 2 dt 2 pt 12 ps 1.4  # cpython-pool
set style line 49 lc rgb '#e69f00' lw 2 dt 2 pt 2 ps 1.2   # any other cpython-*
ls_of(m) = is_py(m) \
    ? (model_ls(py_twin(m)) > 0 ? 40 + model_ls(py_twin(m)) : 49) \
    : (model_ls(m) > 0 ? model_ls(m) : 9)

set style line 100 lc rgb '#d9d9d9' lw 1 dt 3        # grid
set grid xtics ytics ls 100
set border 3 lc rgb '#404040'
set tics nomirror out scale 0.6
set key opaque box lc rgb '#bfbfbf' samplen 3.5 spacing 1.1
set errorbars small
set offsets graph 0.04, graph 0.04, graph 0.06, 0

# --- figures from this run, for captions ------------------------------------
# Captions state no fixed figure: each number comes from summary.csv.
#   eval pick("COND")
# runs stats over pick_file (summary.csv; params in a script that reads it) and sets pk_n (rows for which the gnuplot
# expression COND holds) and pk_med, pk_min, pk_max (columns 13, 12, 14 of
# the last such row; NaN when there is none: test with have(pk_med)).
pick(cond) = 'pk_n = 0; pk_med = NaN; pk_min = NaN; pk_max = NaN; ' \
    .'stats pick_file using ((('.cond.') ? (pk_n = pk_n + 1, pk_med = column(13), ' \
    .'pk_min = column(12), pk_max = column(14)) : 0), 1) nooutput'
have(x) = x == x
# "45 % (42–47)": the last pick's median in format f with unit u, and its
# min–max over the repetitions.
pk_fmt(f, u) = sprintf(f.u.' ('.f.'–'.f.')', pk_med, pk_min, pk_max)

# --- output ----------------------------------------------------------------
out_formats = "png svg"
font_name = 'DejaVu Sans'
# The SVG is the report's figure (scripts/report.py), drawn at the size it
# prints: at most 680 px wide (A4's text, 180 mm), its aspect kept, with the
# font scaled 1.2 so that a 9 px label prints at 8.1 pt and the rest at
# 9.9 pt (issue 20: text in a figure >= 8 pt in print).
svg_w(w, h) = w > 680 ? 680 : w
term_cmd(fmt, w, h) = (fmt eq 'svg') \
    ? sprintf("set terminal svg size %d,%d dynamic noenhanced font '%s,11' fontscale 1.2 background rgb 'white'", svg_w(w, h), h * svg_w(w, h) / w, font_name) \
    : sprintf("set terminal pngcairo size %d,%d noenhanced font '%s,11' background rgb 'white'", w, h, font_name)
out_path(name, fmt) = outdir.'/'.name.'.'.fmt

# 1-2-5 tics for a log axis (eval 'set ytics '.tics_125): one that spans less
# than a decade still gets labels.
tics_125 = '('
do for [e = -3:9] { do for [d in '1 2 5'] { tics_125 = tics_125.sprintf('%s%se%d', tics_125 eq '(' ? '' : ', ', d, e) } }
tics_125 = tics_125.')'

# Decade tics for a log axis of times in µs, written as times: 100 µs, 1 ms
# (eval 'set ytics '.us_tics), never 1e+06.
us_tics = "('0.1 µs' 0.1, '1 µs' 1, '10 µs' 10, '100 µs' 100, '1 ms' 1e3, '10 ms' 1e4, " \
    ."'100 ms' 1e5, '1 s' 1e6, '10 s' 1e7, '100 s' 1e8)"

# Integer x tics for worker counts up to maxw (about 12 tics at most).
xtic_step(maxw) = maxw <= 12 ? 1 : ceil(maxw / 12.0)
