# pool-seed.gp — the seed's Pool(4) with five random sleeps, as a Gantt chart.
#
# Writes <outdir>/pool-seed.png and .svg: one row per worker, one bar per
# task from its start to its end (medians over the repetitions of metrics
# task<i>_worker, task<i>_start_s, task<i>_end_s; the sleeps are seeded, so
# every repetition has the same lengths), and a dashed line where the last
# task ends. Tasks 1–4 start at once; task 5 waits for the first worker to
# become free — the seed's explanation, drawn. Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

# pool-worklog.gp loads this file with gantt_exp set to draw its own run.
if (!exists("gantt_exp")) gantt_exp = 'pool-seed'
name = gantt_exp
sel(met) = is(3, gantt_exp) && is(10, met)

ntask = 0
do for [i = 1:32] {
    k = 0
    stats summary using (sel(sprintf('task%d_end_s', i)) ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) {
        ntask = i
    }
}
if (ntask == 0) {
    print name.': skipped: no data'
    exit
}
wall = 0
workers = 4
scale = 0
seed = 0
stats summary using (sel('wall_s') ? (wall = column(13), workers = column(6), scale = column(8)) : 0, 1) nooutput
stats summary using (sel('seed') ? (seed = column(13)) : 0, 1) nooutput

palette = "#0072b2 #d55e00 #009e73 #cc79a7 #e69f00 #56b4e9 #f0e442 #8c8c8c"
tend = 0
do for [i = 1:ntask] {
    stats summary using (sel(sprintf('task%d_end_s', i)) ? (t1 = column(13)) : 0, 1) nooutput
    tend = t1 > tend ? t1 : tend
}
# The x axis runs to XPAD times the last end, which leaves room right of the
# join line for its label. A bar's label is as long as its bar allows: a
# label is about LABEL_SHARE of the axis per character at print width (680
# px, 12 px text): "task 3  (0.05 s)", else "3 (0.05 s)", else "3".
XPAD = 1.35
xmax = (wall > tend ? wall : tend) * XPAD
LABEL_SHARE = 0.0125
bar_label(i, d) = d / xmax > 17 * LABEL_SHARE ? sprintf('task %d  (%.2f s)', i, d) \
    : d / xmax > 11 * LABEL_SHARE ? sprintf('%d (%.2f s)', i, d) : sprintf('%d', i)
do for [i = 1:ntask] {
    stats summary using (sel(sprintf('task%d_worker', i)) ? (wk = column(13)) : 0, 1) nooutput
    stats summary using (sel(sprintf('task%d_start_s', i)) ? (t0 = column(13)) : 0, 1) nooutput
    stats summary using (sel(sprintf('task%d_end_s', i)) ? (t1 = column(13)) : 0, 1) nooutput
    wk = floor(wk + 0.5)
    set object i rectangle from t0, wk - 0.32 to t1, wk + 0.32 \
        fc rgb word(palette, (i - 1) % 8 + 1) fs solid 0.75 border lc rgb '#303030'
    set label i bar_label(i, t1 - t0) at (t0 + t1) / 2, wk center front \
        tc rgb '#ffffff' font ',10'
}
set arrow 1 from wall, graph 0 to wall, graph 1 nohead lc rgb '#8c8c8c' dt 2 lw 1.5
# right of the dashed line, clear of it (no bar ends past the join)
set label 100 sprintf('join returns: %.2f s', wall) at wall, graph 0.5 left offset char 0.6, 0 \
    tc rgb '#606060' font ',10'

set yrange [workers - 0.4:-0.6]
set ytics 1 nomirror out scale 0
set format y 'worker %g'
set xrange [0:xmax]
set xtics nomirror out scale 0.6
set xlabel 'time since the first apply_async (s)'
set grid xtics noytics ls 100
unset key

do for [fmt in out_formats] {
    eval term_cmd(fmt, 900, 220 + 50 * workers)
    set output out_path(name, fmt)
    if (gantt_exp eq 'pool-seed') {
        set title (exists('fig_title') ? fig_title : sprintf("pool-seed — %s — %s", machine, cpu)) \
            .sprintf("\nPool(%d), %d tasks sleeping random() × 3 s × %g (seed %.0f); which worker ran what, when", \
            workers, ntask, scale, seed) noenhanced
    } else {
        set title (exists('fig_title') ? fig_title : sprintf("%s — %s — %s", gantt_exp, machine, cpu)) \
            .sprintf("\nPool(%d).map(work_log, [A 5, B 2, C 1, D 3] × %g s): tasks 1–4 are A–D", workers, scale) noenhanced
    }
    plot NaN notitle
    set output
    print 'wrote ', out_path(name, fmt)
}
