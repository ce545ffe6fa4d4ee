# price.gp — the primitive price list: what one operation costs (ns, log),
# parbench's p50 (bar, min–max over repetitions) beside its peer's figure
# (perf bench, stress-ng, hyperfine: bar) with parbench's mean from the same
# paired rounds as a dot, one panel on one PU and one across two.
# Writes <outdir>/price.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'price'
base(m) = strstrt(m, '-vs-') > 0 ? substr(m, 1, strstrt(m, '-vs-') - 1) : m
list = ''
do for [pin in 'single scatter'] {
    # the plain primitives, in the run's order
    stats summary using (is(3, 'price') && is(9, pin) && is(10, 'op_ns_p50') \
        ? (list = strstrt(' '.list.' ', ' '.strcol(4).' ') ? list : list.' '.strcol(4), 1) : 0) nooutput
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
idx(m) = sum [i = 1:words(list)] (word(list, i) eq m ? i : 0)
sel(pin, met) = is(3, 'price') && is(9, pin) && is(10, met) && idx(base(strcol(4))) > 0
xt = '('
do for [i = 1:words(list)] { xt = xt.sprintf('"%s" %d', word(list, i), i).(i < words(list) ? ', ' : ')') }

set logscale y
set format y '%g'
set xrange [0.3:words(list) + 0.7]
eval 'set xtics '.xt.' rotate by -40 nomirror font ",9"'
set ylabel 'one operation (ns, log)'
set style fill solid 0.8 border lc rgb '#404040'
set boxwidth 0.36
set key top left
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1500, 620)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title sprintf('parbench price list — %s — %s', machine, cpu)
    do for [pin in 'single scatter'] {
        set title (pin eq 'single' ? 'on one PU (pin single)' : 'across two PUs (pin scatter)')
        plot summary using (sel(pin, 'op_ns_p50') ? idx(strcol(4)) - 0.19 : NaN):13 \
                with boxes lc rgb '#56b4e9' title 'parbench p50', \
             summary using (sel(pin, 'op_ns_p50') ? idx(strcol(4)) - 0.19 : NaN):13:12:14 \
                with yerrorbars pt -1 lc rgb '#1b1b1b' notitle, \
             summary using (sel(pin, 'peer_ns') ? idx(base(strcol(4))) + 0.19 : NaN):13 \
                with boxes lc rgb '#e69f00' title 'peer (paired rounds)', \
             summary using (sel(pin, 'ours_ns') ? idx(base(strcol(4))) : NaN):13 \
                with points pt 7 ps 1.0 lc rgb '#1b1b1b' title 'parbench mean (paired rounds)'
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
