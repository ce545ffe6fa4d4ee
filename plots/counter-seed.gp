# counter-seed.gp — the "counter-seed" experiment: the seed's 10 workers x 50
# increments with a 10 ms sleep before each, replayed in C.
#
# Writes <outdir>/counter-seed.png and .svg: bars of lost_pct (median, min-max
# error bars) for every case, processes and threads side by side where both
# exist, against two bands: what CPython loses on this 2-core machine
# (0-6 %) and what the seed's machine lost (46-60 %). Run by
# scripts/plot.sh, which sets summary, raw, outdir, machine, cpu and plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-seed'
sel(m) = is(3, 'counter-seed') && is(4, m) && is(10, 'lost_pct')
fmt_ns(x) = x >= 1e6 ? sprintf('%g ms', x / 1e6) : (x >= 1e3 ? sprintf('%g µs', x / 1e3) : sprintf('%g ns', x))
is_tick(dummy) = strstrt(strcol(2), '/sleep:tick') > 0
# 'unlocked\n1 µs' ... 'unlocked\n1 ms, tick\n20 workers' (as gnuplot
# source: a double-quoted string with \n in it)
bar_label(dummy) = strcol(5).'\n'.fmt_ns(column(8)).(is_tick(0) ? ', tick' : '') \
    .(column(6) != 10 ? sprintf('\n%d workers', column(6)) : '')

# --- what is there ---------------------------------------------------------
np = 0
nt = 0
stats summary using (sel('counter-procs') ? (np = np + 1) : 0, 1) nooutput
stats summary using (sel('counter-threads') ? (nt = nt + 1) : 0, 1) nooutput
if (np + nt == 0) {
    print name.': skipped: no data'
    exit
}
nbars = np > nt ? np : nt
# Bars are placed in plan order per model; the first cases (every variant
# with CPython's window) come in the same order for both models.
lead = np > 0 ? 'counter-procs' : 'counter-threads'
tics = ''
kl = 0
stats summary using (sel(lead) \
    ? (kl = kl + 1, tics = tics.sprintf('%s"%s" %d', kl > 1 ? ', ' : '', bar_label(0), kl)) \
    : 0, 1) nooutput

page_title = sprintf('parbench counter-seed — %s — %s', machine, cpu)
caption = "10 workers, each 50 times: sleep 10 ms, then read the shared counter, do the window's work, write it back (the seed: Value('i'), sleep(0.01), val.value += 1).\n".\
    "With CPython's window (1 µs) the unlocked counter loses little on 2 cores, as CPython does here (green band): each worker's 10 ms sleep starts after its own increment,\n".\
    "so the workers' phases drift apart, and at most 2 of the 10 run at once. The seed's 46-60 % (red band) needs more overlap: wake-ups on a common tick (as\n".\
    "with a coarse timer) and a window longer than a time slice (so that workers sharing a core are preempted inside it) bring it back, and more workers push past it.\n".\
    "Every locked variant and sharded end exactly at workers × 50 in every repetition."

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1300, 720)
    set output out_path(name, fmt)
    set title page_title font ','.(fmt eq 'svg' ? 14 : 13) noenhanced
    set lmargin at screen 0.07
    set rmargin at screen 0.80
    set tmargin at screen 0.91
    set bmargin at screen 0.30
    set xrange [0.4:nbars + 0.6]
    set yrange [0:100]
    set ytics 10 nomirror out scale 0.6
    eval 'set xtics ('.tics.') nomirror scale 0 font ",'.(fmt eq 'svg' ? 10 : 9).'"'
    set ylabel 'lost (% of the increments)'
    unset xlabel
    set grid noxtics ytics ls 100
    set style fill solid 0.85 border -1
    set boxwidth 0.36
    set key at screen 0.81, 0.91 left top vertical Left reverse width 1
    set object 1 rect from graph 0, first 46 to graph 1, first 60 fc rgb '#f4a582' fs solid 0.35 noborder behind
    set object 2 rect from graph 0, first 0 to graph 1, first 6 fc rgb '#a6dba0' fs solid 0.45 noborder behind
    set label 3 "the seed's machine: 46-60 %" at graph 0.01, first 63 left tc rgb '#b2182b' noenhanced
    set label 4 'CPython on this machine: 0-6 %' at graph 0.01, first 9 left tc rgb '#1b7837' noenhanced
    set label 99 caption at screen 0.03, 0.17 left front font ','.(fmt eq 'svg' ? 11 : 10) noenhanced
    kp = 0
    kpe = 0
    kt = 0
    kte = 0
    plot summary using (sel('counter-procs') ? (kp = kp + 1) - (nt > 0 ? 0.19 : 0) : NaN):13 \
            with boxes lc rgb '#0072b2' title 'processes (median)', \
        summary using (sel('counter-procs') ? (kpe = kpe + 1) - (nt > 0 ? 0.19 : 0) : NaN):13:12:14 \
            with yerrorbars lc rgb '#404040' pt 7 ps 0 notitle, \
        summary using (sel('counter-threads') ? (kt = kt + 1) + (np > 0 ? 0.19 : 0) : NaN):13 \
            with boxes lc rgb '#d55e00' title 'threads (median)', \
        summary using (sel('counter-threads') ? (kte = kte + 1) + (np > 0 ? 0.19 : 0) : NaN):13:12:14 \
            with yerrorbars lc rgb '#404040' pt 7 ps 0 title 'min-max over repetitions'
    unset object 1
    unset object 2
    unset label 3
    unset label 4
    unset label 99
    set output
    print 'wrote ', out_path(name, fmt)
}
