# ipc-scaling.gp — total messages/s (64 B) against producers, one line per
# channel kind and number of consumers. Writes <outdir>/ipc-scaling.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/ipc.gpi'

name = 'ipc-scaling'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
sel(m, c) = is(3, 'ipc-scaling') && is(4, m) && strcol('param_c') eq c \
    && is(10, 'msgs_per_s')
lines = ''
do for [m in 'queue shm'] {
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
# the message size: the rows' workload ("64B")
msg = ''
stats params using ((is(3, 'ipc-scaling') && msg eq '') ? (msg = strcol(5)) : 0, 1) nooutput
# parse-ok: the two halves of this script's own "kind:consumers" list words
kind_of(w) = w[1:strstrt(w, ':') - 1]
cons_of(w) = w[strstrt(w, ':') + 1:]  # parse-ok: (the second half)
set logscale x 2
# the producer counts the run has (figdata.py): 1 and 2 in a quick run
set xrange [0.8:(exists('xmax') ? xmax : 5)]
set xtics (1, 2, 4)
# log y: the queues (~0.2 M/s) beside shm (~8 M/s) would sit on zero on a
# linear axis
set logscale y
eval 'set ytics '.tics_125
set format y '%.0s%c'
set autoscale yfix   # y from the data, not whole decades
set offsets 0, 0, graph 0.08, graph 0.08
page_title = sprintf('ipc-scaling (%s messages) — %s — %s', msg, machine, cpu)
set xlabel 'producers'
set ylabel 'messages/s (all consumers, log scale)'
set key outside right top vertical Left reverse
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1000, 480)
    set output out_path(name, fmt)
    set title (exists('fig_title') ? fig_title : page_title) font ','.(fmt eq 'svg' ? 11 : 12)
    plot for [w in lines] params using (sel(kind_of(w), cons_of(w)) ? column(8) : NaN):13:12:14 \
        with yerrorlines ls ipc_ls(kind_of(w)) lw (0.5 + 0.5 * cons_of(w)) \
        pt (cons_of(w) eq '1' ? 6 : (cons_of(w) eq '2' ? 4 : 8)) ps 1.5 \
        title sprintf('%s, %s consumer%s', kind_of(w), cons_of(w), cons_of(w) eq '1' ? '' : 's')
    set output
    print 'wrote ', out_path(name, fmt)
}
