# gil-convoy.gp — the convoy effect: an IO thread's round-trip latency next to
# K CPU threads, with a GIL (threads-gil) and without (threads).
#
# Writes <outdir>/gil-convoy.png and .svg: left, the IO round trip's p50
# (solid, median over repetitions with min-max bars) and p99 (dashed) against
# K, log y, with the switch interval as a grey reference line; right, the
# CPU threads' work in cores (1.0 = one core's calibrated tick rate) against
# K. CPython's own threads (cpython-threads, bench/cpython/gil.py) on the same
# axes, in purple: the same echo round trip (p50 with
# min-max bars, p99 dotted) and, when the run has it, time.sleep(1 ms)'s
# overshoot p50; CPython reports its CPU threads' loop iterations, not
# cores, so the right panel is C's alone. Run by scripts/plot.sh (variables
# summary, outdir, machine, cpu, plotdir).

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'gil-convoy'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
exp = 'gil-convoy'
mods = "threads threads-gil"
interval_us = 5000

sel(m, met) = is(3, exp) && is(4, m) && is(10, met)

# --- what is there ---------------------------------------------------------
n_all = 0
kmax = 0
echo_us = NaN
stats params using (is(3, exp) \
    ? (n_all = n_all + 1, kmax = column(8) > kmax ? column(8) : kmax, \
       echo_us = have(echo_us) ? echo_us : column('param_echo_us')) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
have = ''
do for [m in mods] {
    k = 0
    stats params using (sel(m, 'latency_us_p50') ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { have = have.' '.m }
}
py = 'cpython-threads'
sel_py(wl, met) = sel(py, met) && is(5, wl)
eval pick("sel_py('io', 'latency_us_p50')")
py_echo = pk_n > 0
eval pick("sel_py('sleep', 'overshoot_us_p50')")
py_sleep = pk_n > 0
# the latency panel's range, with room above the data for its key
is_lat(dummy) = is(3, exp) && (is(10, 'latency_us_p50') || is(10, 'latency_us_p99') \
    || is(10, 'overshoot_us_p50'))
ylo = NaN
yhi = NaN
stats params using (is_lat(0) ? (ylo = have(ylo) && ylo < column(12) ? ylo : column(12), \
    yhi = have(yhi) && yhi > column(14) ? yhi : column(14)) : 0, 1) nooutput
set style line 47 lc rgb '#5e3c99' lw 2 dt 2 pt 8 ps 1.4    # CPython echo
set style line 48 lc rgb '#b2abd2' lw 2 dt 4 pt 3 ps 1.2    # CPython sleep overshoot
# the first case's echo delay (the round trips per repetition, n, differ
# with K: said once, not as the first row's)
desc = have(echo_us) ? sprintf('the echo after %d µs', echo_us) : ''

# Laid out for the SVG's 680 px (issue 20): two-line panel titles, and the
# left panel's key (up to 8 entries) across the width below both panels, in
# two columns of four (its longest entries are last, in the right column).
W = 1400
H = 840
page_title = exists('fig_title') ? fig_title : sprintf('gil-convoy — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 11 : 13) noenhanced
    set tmargin at screen 0.77
    set bmargin at screen 0.335
    set xlabel 'K: CPU threads next to the IO thread'
    set xrange [-0.3:kmax + 0.3]
    set xtics 1
    set key top left opaque

    set lmargin at screen 0.135
    set rmargin at screen 0.47
    set title 'IO round trip latency'.(desc ne '' ? "\n(".desc.')' : '') noenhanced
    set ylabel 'latency (log scale)'
    set logscale y
    if (have(ylo) && ylo > 0) { set yrange [ylo / 2:yhi * 40] } else { set yrange [*:*] }
    eval 'set ytics '.us_tics
    unset key
    # (gnuplot 5.4 runs a "plot for" clause with an empty range once: the
    # clauses of absent series are left out of the command instead)
    P = "interval_us with lines ls ideal_ls title sprintf('switch interval (%g ms, the default)', interval_us / 1e3)"
    if (words(have) > 0) {
        P = "for [m in have] params using (sel(m, 'latency_us_p50') ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of(m) title m.' p50' noenhanced, ".\
            "for [m in have] params using (sel(m, 'latency_us_p99') ? column(8) : NaN):13 with linespoints ls ls_of(m) dt 2 title m.' p99' noenhanced, ".P
    }
    if (py_echo) {
        P = P.", params using (sel_py('io', 'latency_us_p50') ? column(8) : NaN):13:12:14 with yerrorlines ls 47 title model_title(py).' p50' noenhanced".\
            ", params using (sel_py('io', 'latency_us_p99') ? column(8) : NaN):13 with linespoints ls 47 dt 3 title model_title(py).' p99' noenhanced"
    }
    if (py_sleep) {
        P = P.", params using (sel_py('sleep', 'overshoot_us_p50') ? column(8) : NaN):13:12:14 with yerrorlines ls 48 title model_title(py).': sleep(1 ms) overshoot p50' noenhanced"
    }
    eval 'plot '.P
    unset logscale y
    set ytics autofreq

    set lmargin at screen 0.62
    set rmargin at screen 0.97
    set title 'CPU threads: work done'.(py_echo || py_sleep ? "\n(C only; CPython counts loops, not cores)" : '') noenhanced
    set ylabel 'work (cores of calibrated ticks/s)'
    set yrange [0:*]
    # only the K that have CPU threads (figdata.py): no empty K = 0 slot
    if (exists('cpu_kmin')) { set xrange [cpu_kmin - 0.5:cpu_kmax + 0.5] }
    if (words(have) == 0) {
        set label 1 'no C rows in this run' at graph 0.5, 0.5 center tc rgb '#808080'
        plot NaN notitle
        unset label 1
    } else {
        plot for [m in have] params using (sel(m, 'cpu_work_cores') ? column(8) : NaN):13:12:14 \
                with yerrorlines ls ls_of(m) title m noenhanced
    }
    # the left panel's key across the width: its plot again, every point
    # out of range (a panel's key is laid out in the panel's width)
    set lmargin at screen 0.02
    set rmargin at screen 0.98
    set tmargin at screen 0.19
    set bmargin at screen 0.01
    unset title
    unset xlabel
    unset ylabel
    unset tics
    unset grid
    unset border
    set xrange [-3:-2]
    set yrange [0:1]
    set key at screen 0.5, 0.19 center top vertical maxrows 4 Left reverse samplen 2 width -4 opaque box
    eval 'plot '.P
    unset key
    set tics
    set tics nomirror out scale 0.6
    set xtics 1
    set grid xtics ytics ls 100
    set border 3 lc rgb '#404040'
    set xlabel 'K: CPU threads next to the IO thread'
    set xrange [-0.3:kmax + 0.3]
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
