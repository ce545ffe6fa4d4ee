# ipc-latency.gp — ping-pong round trip of 64 B per channel kind: p50 and p99
# as bars, the mean as a dot (perf bench sched pipe has only a mean), one
# panel per pinning (same PU, different cores). Log y.
# Writes <outdir>/ipc-latency.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/ipc.gpi'

name = 'ipc-latency'
sel(m, pin, met) = is(3, 'ipc-latency') && is(4, m) && strstrt(strcol(2), '/'.pin.'/') > 0 \
    && is(10, met)
list = ''
do for [m in ipc_models] {
    k = 0
    stats summary using (sel(m, 'pin:single', 'latency_ns_mean') || \
        sel(m, 'pin:scatter', 'latency_ns_mean') ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { list = list.' '.m }
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
# x position of a model: its place in list (0: not drawn)
idx(m) = sum [i = 1:words(list)] (word(list, i) eq m ? i : 0)
sel_any(pin, met) = is(3, 'ipc-latency') && idx(strcol(4)) > 0 \
    && strstrt(strcol(2), '/'.pin.'/') > 0 && is(10, met)
xt = '('
do for [i = 1:words(list)] { xt = xt.sprintf('"%s" %d', word(list, i), i).(i < words(list) ? ', ' : ')') }

set logscale y
set format y '%g'
set yrange [*:*]
set xrange [0.3:words(list) + 0.7]
eval 'set xtics '.xt.' rotate by -30 nomirror'
set ylabel 'round trip (µs, log)'
set style fill solid 0.8 border lc rgb '#404040'
set boxwidth 0.36
set key top left
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1400, 560)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title sprintf('parbench ipc-latency (64 B ping-pong) — %s — %s', machine, cpu)
    do for [pin in 'pin:single pin:scatter'] {
        set title (pin eq 'pin:single' ? 'both on one PU (PIN_SINGLE)' : 'on different cores (PIN_SCATTER)')
        plot summary using (sel_any(pin, 'latency_ns_p50') ? idx(strcol(4)) - 0.19 : NaN):($13 / 1e3) \
                with boxes lc rgb '#56b4e9' title 'p50', \
             summary using (sel_any(pin, 'latency_ns_p99') ? idx(strcol(4)) + 0.19 : NaN):($13 / 1e3) \
                with boxes lc rgb '#d55e00' title 'p99', \
             summary using (sel_any(pin, 'latency_ns_mean') ? idx(strcol(4)) : NaN):($13 / 1e3):($12 / 1e3):($14 / 1e3) \
                with yerrorbars pt 7 ps 1.0 lc rgb '#1b1b1b' title 'mean (min–max)'
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
