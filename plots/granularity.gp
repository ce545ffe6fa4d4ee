# granularity.gp — when does a process per task stop paying?
#
# Writes <outdir>/granularity.png and .svg: efficiency (ideal time /
# measured time; 1 = no overhead) against the work in one task (1 µs to
# 10 ms, log scale) for fork-per-task and a warm pool (median, min–max error
# bars); dashed grey lines at 1 (ideal) and 0.5 (where half the time is
# overhead: the crossover the summary names). Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'granularity'
models_here = "fork pool threads"
sel(m) = is(3, 'granularity') && is(4, m) && is(10, 'efficiency')

present = ''
workers = 0
emax = 1
do for [m in models_here] {
    k = 0
    stats summary using (sel(m) ? (k = k + 1, workers = column(6), \
        emax = column(14) > emax ? column(14) : emax) : 0, 1) nooutput
    if (k > 0) {
        present = present.' '.m
    }
}
if (words(present) == 0) {
    print name.': skipped: no data'
    exit
}

set logscale x
set xrange [0.6:16000]
set xtics ('1 µs' 1, '10 µs' 10, '100 µs' 100, '1 ms' 1000, '10 ms' 10000) nomirror out scale 0.6
set mxtics 10
set yrange [0:(emax > 1.15 ? emax * 1.05 : 1.0) + 0.3]
set ytics 0.1 nomirror out scale 0.6
set xlabel 'work in one task (log scale)'
set ylabel 'efficiency = ideal time / measured time'
set key top left Left reverse horizontal maxrows 2 width 2

do for [fmt in out_formats] {
    eval term_cmd(fmt, 900, 460)
    set output out_path(name, fmt)
    set title (exists('fig_title') ? fig_title : sprintf("granularity — %s — %s", machine, cpu)) \
        .sprintf("\nCPU tasks on W = %d workers; the pool is warm (started before the clock)", workers) noenhanced
    plot for [m in present] summary \
            using (sel(m) ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of(m) \
            title (m eq 'fork' ? 'a process per task (fork)' : m eq 'pool' ? 'pool (map, default chunksize)' : m), \
        1 with lines ls ideal_ls title 'ideal', \
        0.5 with lines lc rgb '#b0b0b0' dt 3 lw 1.5 title 'half the time is overhead'
    set output
    print 'wrote ', out_path(name, fmt)
}
