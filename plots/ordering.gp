# ordering.gp — why imap_unordered gets its first result soonest.
#
# Writes <outdir>/ordering.png and .svg: one panel per worker count;
# for map, imap and imap_unordered two bars: the time to the first result
# and to the last (median, min–max error bars, ms), and dashed reference
# lines at the shortest task, task 0 (imap's first result waits for it) and
# the longest task. The 16 task lengths are seeded: the same in every run.
# Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'ordering'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
ord = "map imap imap_unordered"
xpos(m) = sum [i = 1:words(ord)] (word(ord, i) eq m ? i : 0)
sel(w, met) = is(3, 'ordering') && column(6) == w && is(10, met) && xpos(strcol(4)) > 0

# Which worker counts have rows (in increasing order), and the tallest
# median bar (a noisy repetition's error bar may run off the top).
wlist = ''
ymax = 0
do for [w in "1 2 4 8 16 32 64"] {
    k = 0
    stats params using (sel(w + 0, 'wall_s') ? (k = k + 1, \
        ymax = column(13) > ymax ? column(13) : ymax) : 0, 1) nooutput
    if (k > 0) {
        wlist = wlist.' '.w
    }
}
if (words(wlist) == 0) {
    print name.': skipped: no data'
    exit
}
seed = 0
stats params using (is(3, 'ordering') && is(10, 'seed') ? (seed = column(13)) : 0, 1) nooutput
# the number of tasks: the cases' parameter n
o_n = NaN
stats params using ((is(3, 'ordering') && !have(o_n)) ? (o_n = column('param_n')) : 0, 1) nooutput
ntasks = have(o_n) ? sprintf('%d', o_n) : ''

npanels = words(wlist)
W = npanels == 1 ? 800 : 560 * npanels + 80
H = 620
set style fill solid 0.6 border -1
set boxwidth 0.34
set xrange [0.4:3.6]
set xtics ('map' 1, 'imap' 2, 'imap_unordered' 3) nomirror out scale 0
set yrange [0:ymax * 1e3 * 1.45]
set ytics nomirror out scale 0.6
set ylabel 'time from submitting (ms)'
set key top left Left reverse vertical maxrows 5 width 0
set rmargin 3

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot layout 1, npanels title (exists('fig_title') ? fig_title : sprintf("ordering — %s — %s", machine, cpu)) \
        .sprintf("\n%s io tasks of seeded random length (seed %.0f)", ntasks ne '' ? ntasks : 'the', seed) noenhanced
    do for [wi = 1:npanels] {
        w = word(wlist, wi) + 0
        stats params using (sel(w, 'shortest_task_s') ? (lo = column(13)) : 0, 1) nooutput
        stats params using (sel(w, 'longest_task_s') ? (hi = column(13)) : 0, 1) nooutput
        stats params using (sel(w, 'task0_s') ? (t0 = column(13)) : 0, 1) nooutput
        set title sprintf('%d workers%s', w, (ntasks ne '' && w >= ntasks + 0) ? ' (every task starts at once)' : '')
        set arrow 1 from graph 0, first lo * 1e3 to graph 1, first lo * 1e3 nohead lc rgb '#009e73' dt 2 lw 1.5
        set arrow 2 from graph 0, first t0 * 1e3 to graph 1, first t0 * 1e3 nohead lc rgb '#0072b2' dt 3 lw 1.5
        set arrow 3 from graph 0, first hi * 1e3 to graph 1, first hi * 1e3 nohead lc rgb '#8c8c8c' dt 2 lw 1.5
        plot params using (sel(w, 'first_result_s') ? xpos(strcol(4)) - 0.18 : NaN):(column(13) * 1e3) \
                with boxes lc rgb '#009e73' title 'first result', \
            params using (sel(w, 'first_result_s') ? xpos(strcol(4)) - 0.18 : NaN):(column(13) * 1e3): \
                (column(12) * 1e3):(column(14) * 1e3) with yerrorbars lc rgb '#404040' pt 7 ps 0 notitle, \
            params using (sel(w, 'wall_s') ? xpos(strcol(4)) + 0.18 : NaN):(column(13) * 1e3) \
                with boxes lc rgb '#b8dcd0' title 'all results', \
            params using (sel(w, 'wall_s') ? xpos(strcol(4)) + 0.18 : NaN):(column(13) * 1e3): \
                (column(12) * 1e3):(column(14) * 1e3) with yerrorbars lc rgb '#404040' pt 7 ps 0 notitle, \
            NaN with lines lc rgb '#009e73' dt 2 lw 1.5 title sprintf('shortest task (%.1f ms)', lo * 1e3), \
            NaN with lines lc rgb '#0072b2' dt 3 lw 1.5 title sprintf('task 0 (%.1f ms)', t0 * 1e3), \
            NaN with lines lc rgb '#8c8c8c' dt 2 lw 1.5 title sprintf('longest task (%.1f ms)', hi * 1e3)
        unset arrow 1
        unset arrow 2
        unset arrow 3
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
