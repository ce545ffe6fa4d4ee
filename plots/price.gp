# price.gp — the primitive price list: what one operation costs (log scale),
# parbench's p50 (bar, min–max over repetitions) beside its peer's figure
# (perf bench, stress-ng, hyperfine: bar) with parbench's mean from the same
# paired rounds as a dot; one panel on one PU and one across two, each with
# only the primitives it measured, both on one y range so that they compare.
# The data, the range, its tics and the title come from scripts/figdata.py
# (figvars). Writes <outdir>/price.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'price'
if (!exists("data_single")) { print name.': skipped: no data'; exit }
set datafile separator whitespace   # figdata.py's files
set logscale y
# headroom above the tallest bar for the key (the tics stay the data's decades)
set yrange [ymin:ymax * 80]
eval 'set ytics '.ytics
# labels end at their bar, so that the last ones stay on the canvas
set xtics rotate by 40 right nomirror font ",10" scale 0
set ylabel 'one operation (log scale)'
set style fill solid 0.8 border lc rgb '#404040'
set boxwidth 0.36
set key top right
set offsets 0, 0, 0, 0
# panel widths follow their number of primitives (at least 4 slots each)
slots(pin) = value('n_'.pin) < 4 ? 4 : value('n_'.pin)
L = 0.13
R = 0.98
gap = 0.08
span = R - L - gap
x0(pin) = pin eq 'single' ? L : L + span * slots('single') / (slots('single') + slots('scatter')) + gap
x1(pin) = x0(pin) + span * slots(pin) / (slots('single') + slots('scatter'))
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1500, 900)
    set output out_path(name, fmt)
    set multiplot title fig_title font ','.(fmt eq 'svg' ? 11 : 13)
    do for [pin in 'single scatter'] {
        if (value('n_'.pin) > 0) {
            f = value('data_'.pin)
            set lmargin at screen x0(pin)
            set rmargin at screen x1(pin)
            set tmargin at screen 0.76
            set bmargin at screen 0.25
            set xrange [-0.6:slots(pin) - 0.4]
            set title (pin eq 'single' ? "on one PU\n(pin single)" : "across two PUs\n(pin scatter)")
            # (set again for each format: the scatter panel of the last one unset them)
            if (pin eq 'scatter') { unset ylabel; unset key } else { set ylabel 'one operation (log scale)'; set key top right }
            # without a peer (none installed) the bars stand alone, centred
            dx = value('peers_'.pin) ? 0.19 : 0
            P = "plot f using ($0 - dx):2:xticlabels(1) with boxes lc rgb '#56b4e9' title 'parbench p50', " \
              . "f using ($0 - dx):2:3:4 with yerrorbars pt 7 ps 0.3 lc rgb '#1b1b1b' notitle"
            if (value('peers_'.pin)) {
                P = P.", f using ($0 + dx):5 with boxes lc rgb '#e69f00' title 'peer (paired rounds)', " \
                    . "f using 0:6 with points pt 7 ps 1.0 lc rgb '#1b1b1b' title 'parbench mean (paired rounds)'"
            }
            eval P
        }
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
