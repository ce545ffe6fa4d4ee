# gil-cores.gp — two CPU-bound threads on one PU or two, with a GIL
# (threads-gil) and without (threads).
#
# Writes <outdir>/gil-cores.png and .svg: left, wall time against the number
# of PUs the two threads are pinned to (median, min-max bars); right, for
# threads-gil, the time slices' median (holds ended by a forced drop) with
# the switch interval as a dashed grey line. Run by scripts/plot.sh
# (variables summary, outdir, machine, cpu, plotdir).

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'gil-cores'
exp = 'gil-cores'
mods = "threads threads-gil"
interval_us = 5000
sel(m, met) = is(3, exp) && is(4, m) && is(5, 'cpu') && is(10, met)

n_all = 0
stats summary using (is(3, exp) ? (n_all = n_all + 1) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
have = ''
do for [m in mods] {
    k = 0
    stats summary using (sel(m, 'wall_s') ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { have = have.' '.m }
}

# Laid out for the SVG's 680 px (issue 20): keys below the panels, clear
# of the data; the right panel's title on two lines.
W = 1400
H = 720
page_title = exists('fig_title') ? fig_title : sprintf('gil-cores — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 11 : 14) noenhanced
    set xlabel 'PUs the two threads are pinned to'
    set xrange [0.6:2.4]
    set xtics 1
    set tmargin at screen 0.74
    set bmargin at screen 0.33

    set lmargin at screen 0.11
    set rmargin at screen 0.46
    set key at screen 0.11, 0.18 left top vertical Left reverse
    set title 'two CPU-bound threads: wall time' noenhanced
    set ylabel 'wall time (s)'
    set yrange [0:*]
    plot for [m in have] summary using (sel(m, 'wall_s') ? column(8) : NaN):13:12:14 \
            with yerrorlines ls ls_of(m) title m noenhanced

    set lmargin at screen 0.62
    set rmargin at screen 0.97
    set key at screen 0.62, 0.18 left top vertical Left reverse
    set title "threads-gil: time slices\n(holds ended by a forced drop)" noenhanced
    set ylabel 'slice p50 (µs)'
    plot summary using (sel('threads-gil', 'gil_slice_us_p50') ? column(8) : NaN):13:12:14 \
            with yerrorlines ls ls_of('threads-gil') title 'slice p50', \
        interval_us with lines ls ideal_ls title 'switch interval'
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
