# tqueue-prodcons.gp — items/s between producers and consumers against the
# number of producers: queue.Queue between threads (with and without the
# GIL) and multiprocessing.Queue between processes, one line per model and
# consumer count, log y. Writes <outdir>/tqueue-prodcons.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'tqueue-prodcons'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
sel(m, c) = is(3, 'tqueue-prodcons') && is(4, m) && strcol('param_c') eq c \
    && is(10, 'msgs_per_s')
lines = ''
do for [m in 'threads threads-gil mp-queue'] {
    do for [c in '1 2 4'] {
        k = 0
        stats params using (sel(m, c) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { lines = lines.' '.m.':'.c }
    }
}
if (words(lines) == 0) {
    print name.': skipped: no data'
    exit
}
# parse-ok: the two halves of this script's own "model:consumers" list words
model_of(w) = w[1:strstrt(w, ':') - 1]
cons_of(w) = w[strstrt(w, ':') + 1:]  # parse-ok: (the second half)
label(m) = m eq 'threads' ? 'threads, no GIL' : (m eq 'threads-gil' ? 'threads, GIL' \
    : (m eq 'mp-queue' ? 'processes, mp.Queue' : m))
colour(m) = m eq 'threads' ? '#d55e00' : (m eq 'threads-gil' ? '#cc79a7' : '#0072b2')
set logscale x 2
set logscale y 10
set autoscale yfix   # y from the data, not whole decades
set offsets 0, 0, graph 0.08, graph 0.08
# the producer counts the run has (figdata.py): 1 and 2 in a quick run
set xrange [0.8:(exists('xmax') ? xmax : 5)]
set xtics (1, 2, 4)
eval 'set ytics '.tics_125
set format y '%.0s%c'
page_title = sprintf('tqueue-prodcons — %s — %s', machine, cpu)
set xlabel 'producers'
set ylabel 'items/s (all consumers, log scale)'
# the key in one column right of the plot, the title a label centred on the
# canvas (a plot's title centres on the plot, which the key pushes left):
# at the SVG's 680 px the figure is as short as its key (issue 20)
set lmargin at screen 0.11
set rmargin at screen 0.50
set tmargin at screen 0.80
set bmargin at screen 0.14
set key at screen 0.52, 0.80 left top vertical Left reverse samplen 2
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1000, 600)
    set output out_path(name, fmt)
    set label 1 (exists('fig_title') ? fig_title : page_title) at screen 0.5, 0.96 center \
        font ','.(fmt eq 'svg' ? 11 : 12)
    plot for [w in lines] params using (sel(model_of(w), cons_of(w)) ? column('param_p') : NaN):13:12:14 \
        with yerrorlines lc rgb colour(model_of(w)) lw (0.5 + 0.5 * cons_of(w)) \
        pt (cons_of(w) eq '1' ? 6 : (cons_of(w) eq '2' ? 4 : 8)) ps 1.5 \
        title sprintf('%s, %s consumer%s', label(model_of(w)), cons_of(w), cons_of(w) eq '1' ? '' : 's')
    set output
    print 'wrote ', out_path(name, fmt)
}
