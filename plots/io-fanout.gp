# io-fanout.gp — K concurrent sleeps: wall time, creation cost per task and
# memory per task against K (log-log), one line per model (coroutines, a
# thread each, a process each). Medians with min–max. Writes
# <outdir>/io-fanout.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'io-fanout'
sel(m, met) = is(3, 'io-fanout') && is(4, m) && is(10, met)
k = 0
stats summary using (is(3, 'io-fanout') ? (k = k + 1) : 0, 1) nooutput
if (k == 0) {
    print name.': skipped: no data'
    exit
}
fo_models = 'coroutines threads processes'
colour(m) = m eq 'coroutines' ? '#56b4e9' : (m eq 'threads' ? '#d55e00' : '#0072b2')
mets = 'wall_s create_us_per_task mem_kb_per_task'
title_of(j) = j == 1 ? 'wall time' : (j == 2 ? 'creation cost per task' : 'memory per task')
set logscale x 10
set logscale y 10
set xrange [5:20000]
set xlabel 'concurrent tasks K'
set key top left
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1400, 480)
    set output out_path(name, fmt)
    set multiplot layout 1, 3 title sprintf('parbench io-fanout — %s — %s', machine, cpu)
    do for [j = 1:3] {
        set title title_of(j)
        set ylabel word('s us KiB', j)
        plot for [m in fo_models] summary using (sel(m, word(mets, j)) ? column(6) : NaN):13:12:14 \
            with yerrorlines lc rgb colour(m) lw 2 pt 7 title m
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
