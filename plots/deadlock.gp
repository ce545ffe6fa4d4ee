# deadlock.gp — left: how many repetitions deadlocked (AB/BA, Lock re-entry,
# RLock re-entry), from findings.csv via scripts/figdata.py: the time to
# detect is the configured timeout, so it is said in the title, not drawn
# as data; right: what one round of both locks costs with each cure, and an
# RLock re-entry (medians with min–max). Writes <outdir>/deadlock.{png,svg}.
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
set bmargin 4   # the two-line tic labels
# At the SVG's 680 px (issue 20) a slot is about 100 px: labels go on two
# lines, split at their first space.
# parse-ok: a label broken for display; no fact is read from it
two_lines(s) = strstrt(s, ' ') > 0 ? s[1:strstrt(s, ' ') - 1]."\n".s[strstrt(s, ' ') + 1:] : s
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1100, 520)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title (exists('fig_title') ? fig_title \
        : sprintf('deadlock — %s — %s', machine, cpu)) font ','.(fmt eq 'svg' ? 11 : 12)
    if (exists('locked')) {
        set title 'repetitions that deadlocked'
        set datafile separator whitespace
        set xrange [-0.6:n_locked - 0.4]
        set yrange [0:reps * 1.2]
        set ylabel sprintf('repetitions (of %.0f)', reps)
        plot locked using 0:2:xticlabels(two_lines(strcol(1))) with boxes lc rgb '#d55e00', \
             locked using 0:2:(sprintf('%.0f of %.0f', $2, $3)) with labels offset 0, 0.8
        set datafile separator ','
        set yrange [0:*]
    } else {
        set title 'deadlocked (no findings.csv in this run)'
        plot NaN notitle
    }
    set title 'cures: one round of both locks'
    set xrange [0.4:3.6]
    set xtics scale 0
    set xtics ("lock\norder" 1, "try-lock +\nback-off" 2, "RLock\nre-entry" 3)
    set ylabel 'ns per round'
    plot for [i = 1:3] summary using (sel(word(cures, i), 'per_round_ns') ? i : NaN):13 \
        with boxes lc rgb '#009e73', \
         for [i = 1:3] summary using (sel(word(cures, i), 'per_round_ns') ? i : NaN):13:12:14 \
        with yerrorbars lc rgb '#404040' pt 7 ps 0.3
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
