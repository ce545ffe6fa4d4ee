# overlay.gp — one experiment's curves from several runs, for make compare.
#
# Writes <outdir>/<name>.png and .svg: one panel per curve (a case without
# its n: and w: parts, e.g. tasks/fork/cpu/task_ms:100), one line per run in
# each panel (median, min-max error bars; a model measured at one point is a
# marker), the runs' machine and stamp in the key, inside the first panel.
# It draws only: compare_curves.py prepares the data and each panel's x
# range. Same look as the single-run plots (plots/common.gp). Run by
# scripts/compare.py, which sets with gnuplot -e:
#   data       whitespace-separated: panel run x median min max (from 1)
#   outdir     where to write
#   name       file name without extension
#   page_title the figure's title
#   npanels, nruns, ncols
#   ptitle_<i> panel i's title, rlabel_<j> run j's label
#   xmin_<i>, xmax_<i>  panel i's smallest and largest x
#   xlabel, ylabel
#   plotdir    plots/ (for common.gp)

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
set datafile separator whitespace
set datafile commentschars '#'

# One colour and point per run, in the order the runs were given.
set style line 21 lc rgb '#0072b2' lw 2 pt 5 ps 1.0
set style line 22 lc rgb '#d55e00' lw 2 pt 9 ps 1.2
set style line 23 lc rgb '#009e73' lw 2 pt 13 ps 1.2
set style line 24 lc rgb '#cc79a7' lw 2 pt 11 ps 1.2
set style line 25 lc rgb '#e69f00' lw 2 pt 7 ps 1.0
set style line 26 lc rgb '#1b1b1b' lw 2 pt 6 ps 1.2
run_ls(j) = 21 + (j - 1) % 6

if (npanels < 1) {
    print name.': skipped: no data'
    exit
}
nrows = ceil(npanels * 1.0 / ncols)
W = 420 * ncols + 80
H = 330 * nrows + 60
sel(i, j) = (column(1) == i && column(2) == j)

set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
set yrange [0:*]
set format x '%.0f'

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 15 : 14) noenhanced
    top = 0.94
    bottom = 0.02
    ph = (top - bottom) / nrows
    pw = 0.98 / ncols
    do for [i = 1:npanels] {
        r = (i - 1) / ncols
        c = (i - 1) % ncols
        set lmargin at screen 0.02 + c * pw + 0.055
        set rmargin at screen 0.02 + (c + 1) * pw - 0.015
        set tmargin at screen top - r * ph - 0.035
        set bmargin at screen top - (r + 1) * ph + 0.06
        set title value(sprintf('ptitle_%d', i)) noenhanced
        xlo = value(sprintf('xmin_%d', i))
        xhi = value(sprintf('xmax_%d', i))
        set xrange [(xlo < 1 ? xlo : 1) - 0.4:xhi + 0.4]
        set xtics xtic_step(xhi)
        # The key (one entry per run) is drawn once, inside the first panel.
        if (i == 1) {
            set key inside left top vertical Left reverse opaque box noenhanced font ',9'
        } else {
            unset key
        }
        plot for [j = 1:nruns] data using (sel(i, j) ? column(3) : NaN):4:5:6 \
            with yerrorlines ls run_ls(j) title value(sprintf('rlabel_%d', j))
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
