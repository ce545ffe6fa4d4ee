# counter-window.gp — the "counter-window" experiment: updates the unlocked
# counter loses against the window between its load and its store.
#
# Writes <outdir>/counter-window.png and .svg: lost_pct (median, min-max
# error bars) against window_ns on a log axis (window 0 drawn at 10 ns), one
# line per model, solid for a tight loop and dashed for a loop that does
# 10 us of other work per increment. When the run has CPython's own Value
# (counter-contention, cpython-value, unlocked, 2 processes), a dotted line
# marks what one v.value += 1 took there per process, and a hatched band its
# loss. The title (the finding, with this run's numbers) comes from
# figdata.py.
# Run by scripts/plot.sh, which sets params (summary.csv's rows with their
# cases' parameters), raw, outdir, machine, cpu and plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-window'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
modes = "counter-procs counter-threads"
loops = "tight gap"
is_gap(dummy) = column('param_gap_ns') > 0
sel(m, l) = is(3, 'counter-window') && is(4, m) && is(5, 'unlocked') && is(10, 'lost_pct') \
    && (l eq 'gap' ? is_gap(0) : !is_gap(0))
xpos(x) = x > 0 ? x : 10
series_title(m, l) = (m eq 'counter-procs' ? 'processes' : 'threads') \
    .(l eq 'gap' ? ', +10 µs other work' : ', tight loop')
series_ls(m, l) = (l eq 'gap' ? 60 : 50) + (m eq 'counter-procs' ? 1 : 2)

set style line 51 lc rgb '#0072b2' lw 2 pt 5 ps 1.0 dt 1       # procs, tight
set style line 52 lc rgb '#d55e00' lw 2 pt 9 ps 1.2 dt 1       # threads, tight
set style line 61 lc rgb '#0072b2' lw 2 pt 4 ps 1.0 dt 2       # procs, gap
set style line 62 lc rgb '#d55e00' lw 2 pt 8 ps 1.2 dt 2       # threads, gap

# --- what is there ---------------------------------------------------------
list = ''
do for [m in modes] {
    do for [l in loops] {
        k = 0
        stats params using (sel(m, l) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.m.':'.l }
    }
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
# parse-ok: the two halves of this script's own "model:loop" list words
m_of(s) = s[1:strstrt(s, ':') - 1]
l_of(s) = s[strstrt(s, ':') + 1:]  # parse-ok: (the second half)

# CPython's own v.value += 1 (counter-contention, 2 processes, unlocked)
sel_py(met) = is(3, 'counter-contention') && is(4, 'cpython-value') && is(5, 'unlocked') \
    && is(10, met) && column(6) == 2
# (another experiment's rows: the whole run's data file, params_all)
pick_file = exists('params_all') ? params_all : params
eval pick("sel_py('ns_per_increment')")
py_ns = pk_med * 2    # ns per increment of all the increments: per process, x 2
if (have(py_ns)) {
    eval pick("sel_py('lost_pct')")
    py_lo = pk_min
    py_hi = pk_max
}
pick_file = params

page_title = sprintf('counter-window — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1100, 640)
    set output out_path(name, fmt)
    set title (exists("fig_title") ? fig_title : page_title) font ','.(fmt eq 'svg' ? 11 : 13) noenhanced
    set lmargin at screen 0.08
    set rmargin at screen 0.96
    set tmargin at screen 0.86
    set bmargin at screen 0.29
    set logscale x
    set xrange [7:(have(py_ns) && py_ns > 10000 ? py_ns * 1.4 : 14000)]
    set xtics ('0' 10, '25' 25, '50' 50, '100' 100, '200' 200, '500' 500, '1 µs' 1000, \
               '2 µs' 2000, '5 µs' 5000, '10 µs' 10000) nomirror out scale 0.6
    set xlabel 'window between load and store (ns; 0 drawn at the left)'
    set ylabel 'lost (% of increments)'
    set yrange [0:*]
    set key at screen 0.5, 0.105 center top horizontal maxcols 2 Left reverse width 2
    if (have(py_ns)) {
        set arrow 1 from py_ns, graph 0 to py_ns, graph 1 nohead lc rgb '#8c8c8c' dt 3 lw 1.5
        set label 2 "CPython's v.value += 1" at py_ns, graph 0.97 right offset -0.5, 0 tc rgb '#606060' noenhanced
        if (have(py_lo)) {
            set object 3 rect from graph 0, first py_lo to graph 1, first py_hi \
                fc rgb '#bdbdbd' fs transparent pattern 4 noborder behind
        }
    }
    plot for [s in list] params using (sel(m_of(s), l_of(s)) ? xpos(column(8)) : NaN):13:12:14 \
        with yerrorlines ls series_ls(m_of(s), l_of(s)) title series_title(m_of(s), l_of(s)) noenhanced
    unset arrow 1
    unset label 2
    unset object 3
    set output
    print 'wrote ', out_path(name, fmt)
}
