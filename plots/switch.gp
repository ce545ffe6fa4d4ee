# switch.gp — the cost of one switch on one PU: coroutine, thread, process
# (median with min–max), log scale. Writes <outdir>/switch.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'switch'
kinds = 'coroutine thread process'
sel(m) = is(3, 'switch') && is(4, m) && is(10, 'switch_ns')
k = 0
stats summary using (is(3, 'switch') && is(10, 'switch_ns') ? (k = k + 1) : 0, 1) nooutput
if (k == 0) {
    print name.': skipped: no data'
    exit
}
# µs on a linear axis: the three lie within one decade
set yrange [0:*]
set xrange [0.4:3.6]
set xtics ('coroutine' 1, 'thread' 2, 'process' 3)
set ylabel 'one switch (µs)'
set style fill solid 0.6 border -1
set boxwidth 0.6
set key off
do for [fmt in out_formats] {
    eval term_cmd(fmt, 760, 340)
    set output out_path(name, fmt)
    set title (exists('fig_title') ? fig_title : sprintf('switch (one PU) — %s — %s', machine, cpu))
    plot for [i = 1:3] summary using (sel(word(kinds, i)) ? i : NaN):($13 / 1e3) \
            with boxes lc rgb word('#56b4e9 #d55e00 #0072b2', i), \
         for [i = 1:3] summary using (sel(word(kinds, i)) ? i : NaN):($13 / 1e3):($12 / 1e3):($14 / 1e3) \
            with yerrorbars lc rgb '#404040' pt 7 ps 0.3, \
         for [i = 1:3] summary using (sel(word(kinds, i)) ? i : NaN):($14 / 1e3): \
            (sprintf('%.3g µs', column(13) / 1e3)) with labels offset 0, 1
    set output
    print 'wrote ', out_path(name, fmt)
}
