# tasks.gp — the lesson of "tasks" at a glance: which models speed up which work.
#
# Writes <outdir>/tasks.png and .svg: two panels, IO tasks left, CPU tasks
# right; per model a C bar and, beside it, CPython's bar for its twin
# (CPython's threads beside the C threads under a GIL), the speedup over
# serial at the largest worker count (median, min–max error bars); the
# ideal speedup as a dashed line. The bars, the ideal and the title (the
# finding, with this run's numbers) come from scripts/figdata.py (figvars);
# the sweep curves are tasks-sweep.gp. Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'tasks'
if (!exists("bars_io")) { print name.': skipped: no data'; exit }

set datafile separator whitespace   # figdata.py's files
wls = 'io cpu'
wl_title(wl) = wl eq 'io' ? sprintf('IO tasks, %d workers', w_io) : sprintf('CPU tasks, %d workers', w_cpu)
bw = 0.38                   # bar width; C left of the model's slot, CPython right
c_col = '#0072b2'
py_col = '#e69f00'
set style fill solid 0.85 border rgb '#404040'
set boxwidth bw absolute
set errorbars 0.5
set grid noxtics ytics ls 100
# At the SVG's 680 px five two-line labels do not fit side by side in a
# panel: they are turned 45 degrees, ending at their bar.
set xtics scale 0 nomirror rotate by 45 right
set ylabel 'speedup over serial (×)'
set key top left horizontal opaque box lc rgb '#bfbfbf' samplen 2 width 1
set offsets 0, 0, 0, 0

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1300, 700)
    set output out_path(name, fmt)
    # the title's two long lines fit 680 px at the body's size
    set multiplot title fig_title font ','.(fmt eq 'svg' ? 11 : 13)
    do for [c = 0:1] {
        wl = word(wls, c + 1)
        f = value('bars_'.wl)
        n = value('n_'.wl)
        ideal = value('ideal_'.wl)
        # a run without this workload (a --filter) leaves its panel empty
        if (n == 0) { continue }
        set lmargin at screen 0.085 + c * 0.49
        set rmargin at screen 0.49 + c * 0.49
        set tmargin at screen 0.77
        set bmargin at screen 0.24
        set title wl_title(wl)
        set xrange [-0.6:n - 0.4]
        set yrange [0:value('ymax_'.wl)]
        set arrow 1 from graph 0, first ideal to graph 1, first ideal nohead ls ideal_ls front
        set label 1 sprintf('ideal %g×', ideal) at graph 0.99, first ideal right offset 0, 0.6 \
            tc rgb '#606060' front
        eval 'set xtics '.value('tics_'.wl)
        plot f using ($0 - bw / 2):2 with boxes lc rgb c_col title 'C', \
             f using ($0 + bw / 2):5 with boxes lc rgb py_col title 'CPython', \
             f using ($0 - bw / 2):2:3:4 with yerrorbars lc rgb '#202020' pt 7 ps 0.3 notitle, \
             f using ($0 + bw / 2):5:6:7 with yerrorbars lc rgb '#202020' pt 7 ps 0.3 notitle
        unset arrow 1
        unset label 1
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
