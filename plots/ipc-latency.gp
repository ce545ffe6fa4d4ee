# ipc-latency.gp — ping-pong round trip per channel kind: p50 and p99 as
# bars, the mean as a dot (perf bench sched pipe has only a mean), one panel
# per pinning (same PU, different cores). Log y. CPython's channels
# (cpython-pipe, -pipe-obj, -queue, -simplequeue: bench/cpython/ipc.py) on
# the same axes, right of the C ones, as hatched bars titled "CPython
# <channel>"; left out when the run has none. The message size in the title
# comes from the run's rows.
# Writes <outdir>/ipc-latency.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/ipc.gpi'

name = 'ipc-latency'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
sel(m, pin, met) = is(3, 'ipc-latency') && is(4, m) && strcol('param_pin') eq pin \
    && is(10, met) && is(7, 'msg_bytes')
has_mean(m) = (sel(m, 'single', 'latency_ns_mean') || sel(m, 'scatter', 'latency_ns_mean')) \
    && is(7, 'msg_bytes')
# CPython's channels the run has, in its order
py_models = ''
# (ping-pongs only: the busy queue's param is busy_us, a delivery, not a
# round trip of msg_bytes)
stats params using ((is(3, 'ipc-latency') && is_py(strcol(4)) && is(10, 'latency_ns_mean') \
    && is(7, 'msg_bytes') && !in_words(py_models, strcol(4))) \
    ? (py_models = py_models.' '.strcol(4)) : 0, 1) nooutput
# and the C models that charge CPython's cost per call (bench/ipc/latency.c,
# latency_gil.c), beside the ones that do not
lat_models = ipc_models.' manager-queue duplex-py queue-py queue-py-gil'
list = ''
do for [m in lat_models.py_models] {
    k = 0
    stats params using (has_mean(m) ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { list = list.' '.m }
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
# Message sizes: the first drawn channel's, and the channels that differ.
size0 = NaN
stats params using ((in_words(list, strcol(4)) && is(3, 'ipc-latency') \
    && is(10, 'latency_ns_mean') && !have(size0)) ? (size0 = column(8)) : 0, 1) nooutput
odd = ''
odd_m = ''
stats params using ((in_words(list, strcol(4)) && is(3, 'ipc-latency') \
    && is(10, 'latency_ns_mean') && column(8) != size0 && !in_words(odd_m, strcol(4))) \
    ? (odd_m = odd_m.' '.strcol(4), \
       odd = odd.(odd eq '' ? '' : ', ').sprintf('%s %g B', strcol(4), column(8)).' ') : 0, 1) nooutput
sizes = sprintf('%g B ping-pong', size0).(odd ne '' ? '; '.odd[1:strlen(odd) - 1] : '')

# x position of a model: its place in list (0: not drawn)
idx(m) = sum [i = 1:words(list)] (word(list, i) eq m ? i : 0)
sel_any(pin, met, py) = is(3, 'ipc-latency') && idx(strcol(4)) > 0 && is_py(strcol(4)) == py \
    && strcol('param_pin') eq pin && is(10, met)
xt = '('
do for [i = 1:words(list)] {
    xt = xt.sprintf('"%s" %d', model_title(word(list, i)), i).(i < words(list) ? ', ' : ')')
}
n_py = words(py_models)

set logscale y
# one range for both placements (figdata.py), tics as times
eval 'set ytics '.us_tics
if (exists('ymin')) { set yrange [ymin:ymax] } else { set yrange [*:*] }
set xrange [0.3:words(list) + 0.7]
# Laid out for the SVG's 680 px (issue 20): about 14 channels a panel leave
# 21 px a slot, so the labels stand upright; one key, above the panels.
eval 'set xtics '.xt.' rotate by 90 right nomirror noenhanced'
set ylabel 'round trip (log scale)'
set style fill solid 0.8 border lc rgb '#404040'
set boxwidth 0.36
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1400, 1000)
    set output out_path(name, fmt)
    set multiplot title (exists('fig_title') ? fig_title : sprintf('ipc-latency (%s) — %s — %s', sizes, machine, cpu)) noenhanced
    do for [c = 0:1] {
        pin = word('single scatter', c + 1)
        set lmargin at screen 0.13 + c * 0.49
        set rmargin at screen 0.49 + c * 0.49
        set tmargin at screen 0.72
        set bmargin at screen 0.37
        unset key
        set title (pin eq 'single' ? 'both on one PU (pin single)' : 'on different cores (pin scatter)')
        # (gnuplot 5.4 runs a "plot for" clause with an empty range once:
        # CPython's clauses are left out of the command when it is absent)
        P = "params using (sel_any(pin, 'latency_ns_p50', 0) ? idx(strcol(4)) - 0.19 : NaN):($13 / 1e3) with boxes lc rgb '#56b4e9' title 'p50', ".\
            "params using (sel_any(pin, 'latency_ns_p99', 0) ? idx(strcol(4)) + 0.19 : NaN):($13 / 1e3) with boxes lc rgb '#d55e00' title 'p99', "
        if (n_py > 0) {
            P = P."params using (sel_any(pin, 'latency_ns_p50', 1) ? idx(strcol(4)) - 0.19 : NaN):($13 / 1e3) with boxes lc rgb '#56b4e9' fs pattern 4 border lc rgb '#404040' title 'CPython p50', ".\
                "params using (sel_any(pin, 'latency_ns_p99', 1) ? idx(strcol(4)) + 0.19 : NaN):($13 / 1e3) with boxes lc rgb '#d55e00' fs pattern 5 border lc rgb '#404040' title 'CPython p99', "
        }
        P = P."params using ((sel_any(pin, 'latency_ns_mean', 0) || sel_any(pin, 'latency_ns_mean', 1)) ? idx(strcol(4)) : NaN):($13 / 1e3):($12 / 1e3):($14 / 1e3) with yerrorbars pt 7 ps 1.0 lc rgb '#1b1b1b' title 'mean (min–max)'"
        eval 'plot '.P
    }
    # the key: the same plot with every point out of range, across the width
    # (a panel's key is laid out in the panel's width)
    set lmargin at screen 0.02
    set rmargin at screen 0.98
    set tmargin at screen 0.895
    set bmargin at screen 0.78
    unset title
    unset ylabel
    unset tics
    unset grid
    unset border
    set xrange [-3:-2]
    set key at screen 0.5, 0.895 center top horizontal maxcols 3 opaque box
    eval 'plot '.P
    set tics
    set tics nomirror out scale 0.6
    eval 'set ytics '.us_tics
    eval 'set xtics '.xt.' rotate by 90 right nomirror noenhanced'
    set grid xtics ytics ls 100
    set border 3 lc rgb '#404040'
    set ylabel 'round trip (log scale)'
    set xrange [0.3:words(list) + 0.7]
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
