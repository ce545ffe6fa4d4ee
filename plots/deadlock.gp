# deadlock.gp — left: how long the deadlocks took to detect (AB/BA and Lock
# re-entry, against the timeout); right: what one round of both locks costs
# with each cure, and an RLock re-entry. Medians with min–max. Writes
# <outdir>/deadlock.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'deadlock'
sel(m, met) = is(3, 'deadlock') && is(4, m) && is(10, met)
k = 0
stats summary using (is(3, 'deadlock') ? (k = k + 1) : 0, 1) nooutput
if (k == 0) {
    print name.': skipped: no data'
    exit
}
det = 'abba lock-reentry'
cures = 'ordered trylock-backoff rlock-reentry'
set style fill solid 0.6 border -1
set boxwidth 0.6
set key off
set yrange [0:*]
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1100, 520)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title sprintf('parbench deadlock — %s — %s', machine, cpu)
    set title 'deadlocked: time to detect'
    set xrange [0.4:2.6]
    set xtics ('AB/BA' 1, 'Lock re-entry' 2)
    set ylabel 'ms'
    plot for [i = 1:2] summary using (sel(word(det, i), 'detect_ms') ? i : NaN):13 \
        with boxes lc rgb '#d55e00', \
         for [i = 1:2] summary using (sel(word(det, i), 'detect_ms') ? i : NaN):13:12:14 \
        with yerrorbars lc rgb '#404040' pt -1
    set title 'cures: one round of both locks'
    set xrange [0.4:3.6]
    set xtics ('lock order' 1, 'try-lock + back-off' 2, 'RLock re-entry' 3)
    set ylabel 'ns per round'
    plot for [i = 1:3] summary using (sel(word(cures, i), 'per_round_ns') ? i : NaN):13 \
        with boxes lc rgb '#009e73', \
         for [i = 1:3] summary using (sel(word(cures, i), 'per_round_ns') ? i : NaN):13:12:14 \
        with yerrorbars lc rgb '#404040' pt -1
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
