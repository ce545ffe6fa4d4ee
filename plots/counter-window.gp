# counter-window.gp — the "counter-window" experiment: updates the unlocked
# counter loses against the window between its load and its store.
#
# Writes <outdir>/counter-window.png and .svg: lost_pct (median, min-max
# error bars) against window_ns on a log axis (window 0 drawn at 10 ns), one
# line per model, solid for a tight loop and dashed for a loop that does
# 10 us of other work per increment. A dotted line marks CPython's window.
# Run by scripts/plot.sh, which sets summary, raw, outdir, machine, cpu and
# plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-window'
modes = "counter-procs counter-threads"
loops = "tight gap"
is_gap(dummy) = strstrt(strcol(2), '/gap_ns:') > 0
sel(m, l) = is(3, 'counter-window') && is(4, m) && is(5, 'unlocked') && is(10, 'lost_pct') \
    && (l eq 'gap' ? is_gap(0) : !is_gap(0))
xpos(x) = x > 0 ? x : 10
series_title(m, l) = (m eq 'counter-procs' ? 'processes' : 'threads') \
    .(l eq 'gap' ? ', +10 µs other work' : ', tight loop')
series_ls(m, l) = (l eq 'gap' ? 60 : 50) + (m eq 'counter-procs' ? 1 : 2)

set style line 51 lc rgb '#0072b2' lw 2 pt 5 ps 1.0 dt 1       # procs, tight
set style line 52 lc rgb '#d55e00' lw 2 pt 9 ps 1.2 dt 1       # threads, tight
set style line 61 lc rgb '#0072b2' lw 2 pt 4 ps 1.0 dt 2       # procs, gap
set style line 62 lc rgb '#d55e00' lw 2 pt 8 ps 1.2 dt 2       # threads, gap

# --- what is there ---------------------------------------------------------
list = ''
do for [m in modes] {
    do for [l in loops] {
        k = 0
        stats summary using (sel(m, l) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.m.':'.l }
    }
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
m_of(s) = s[1:strstrt(s, ':') - 1]
l_of(s) = s[strstrt(s, ':') + 1:]

page_title = sprintf('parbench counter-window — %s — %s', machine, cpu)
caption = "Two workers pinned to different cores increment one unlocked counter: relaxed load, a window of CPU work, relaxed store.\n".\
    "Tight loop (solid): the two run in lockstep and about half of the increments are lost whatever the window, in C as in CPython (42-47 % here).\n".\
    "With 10 us of other work per increment (dashed), an increment with no window (C's counter++) almost never collides, one with CPython's\n".\
    "window (dotted line: val.value += 1 takes 0.7-0.8 us here) loses a few %, and a 10 us window nearly half: the loss grows with the share\n".\
    "of the loop spent between the load and the store. This is why the seed's Python loses so many updates and C so few."

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1200, 760)
    set output out_path(name, fmt)
    set title page_title font ','.(fmt eq 'svg' ? 14 : 13) noenhanced
    set lmargin at screen 0.08
    set rmargin at screen 0.70
    set tmargin at screen 0.91
    set bmargin at screen 0.30
    set logscale x
    set xrange [7:14000]
    set xtics ('0' 10, '25' 25, '50' 50, '100' 100, '200' 200, '500' 500, '1 µs' 1000, \
               '2 µs' 2000, '5 µs' 5000, '10 µs' 10000) nomirror out scale 0.6
    set xlabel 'window between load and store (ns; 0 drawn at the left)'
    set ylabel 'lost (% of increments)'
    set yrange [0:*]
    set key at screen 0.715, 0.91 left top vertical Left reverse width 1
    set arrow 1 from 1000, graph 0 to 1000, graph 1 nohead lc rgb '#8c8c8c' dt 3 lw 1.5
    set label 2 "CPython's window" at 1000, graph 0.97 right offset -0.5, 0 tc rgb '#606060' noenhanced
    set label 99 caption at screen 0.05, 0.19 left front font ','.(fmt eq 'svg' ? 11 : 10) noenhanced
    plot for [s in list] summary using (sel(m_of(s), l_of(s)) ? xpos(column(8)) : NaN):13:12:14 \
        with yerrorlines ls series_ls(m_of(s), l_of(s)) title series_title(m_of(s), l_of(s)) noenhanced
    unset arrow 1
    unset label 2
    unset label 99
    set output
    print 'wrote ', out_path(name, fmt)
}
