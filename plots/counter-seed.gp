# counter-seed.gp — the "counter-seed" experiment: the seed's 10 workers x 50
# increments with a 10 ms sleep before each, replayed in C.
#
# Writes <outdir>/counter-seed.png and .svg: bars of lost_pct (median, min-max
# error bars) for every case, processes and threads side by side where both
# exist, against two bands: what CPython lost running the seed's program in
# this run (model cpython-value; min-max over the repetitions; left out
# when the run has no CPython) and what the seed's own runs lost (46-60 %,
# the tutorial's published figure). The title (the finding, with this run's
# numbers) and the y range come from scripts/figdata.py. Run by
# scripts/plot.sh, which sets params, raw, outdir, machine, cpu and plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-seed'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
sel(m) = is(3, 'counter-seed') && is(4, m) && is(10, 'lost_pct')
fmt_ns(x) = x >= 1e6 ? sprintf('%g ms', x / 1e6) : (x >= 1e3 ? sprintf('%g µs', x / 1e3) : sprintf('%g ns', x))
# param_sleep is a column only when a case of the run has the parameter
# (the default profile has none): without it no case is on a tick
has_sleep = int(system(sprintf("head -n 1 '%s' | tr ',' '\\n' | grep -cx param_sleep", params)))
is_tick(dummy) = has_sleep ? strcol('param_sleep') eq 'tick' : 0
# 'unlocked\n1 µs' ... 'unlocked\n1 ms, tick\n20 workers' (as gnuplot
# source: a double-quoted string with \n in it)
bar_label(dummy) = strcol(5).'\n'.fmt_ns(column(8)).(is_tick(0) ? ', tick' : '') \
    .(column(6) != 10 ? sprintf('\n%d workers', column(6)) : '')

# --- what is there ---------------------------------------------------------
np = 0
nt = 0
stats params using (sel('counter-procs') ? (np = np + 1) : 0, 1) nooutput
stats params using (sel('counter-threads') ? (nt = nt + 1) : 0, 1) nooutput
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
stats params using (sel(lead) \
    ? (kl = kl + 1, tics = tics.sprintf('%s"%s" %d', kl > 1 ? ', ' : '', bar_label(0), kl)) \
    : 0, 1) nooutput

# --- the bands ---------------------------------------------------------------
# the seed's own runs: 201 to 269 of 500 increments (the tutorial's figure)
seed_lo = 100.0 * (500 - 269) / 500
seed_hi = 100.0 * (500 - 201) / 500
# CPython running the seed's program itself
eval pick("is(3, 'counter-seed') && is(4, 'cpython-value') && is(10, 'lost_pct')")
py_have = pk_n > 0
if (py_have) {
    py_lo = pk_min
    py_hi = pk_max
    py_med = pk_med
}

page_title = exists('fig_title') ? fig_title : sprintf('counter-seed — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1200, 600)
    set output out_path(name, fmt)
    set title page_title font ','.(fmt eq 'svg' ? 11 : 13) noenhanced
    # the key below the plot, so that the plot and its title (centred on
    # it) span the SVG's 680 px (issue 20)
    set lmargin at screen 0.09
    set rmargin at screen 0.97
    set tmargin at screen 0.83
    set bmargin at screen 0.25
    set xrange [0.4:nbars + 0.6]
    # up to the data or the seed's band, whichever is higher (figdata.py)
    set yrange [0:(exists('ymax') ? ymax : 100)]
    set ytics autofreq nomirror out scale 0.6
    eval 'set xtics ('.tics.') nomirror scale 0 font ",'.(fmt eq 'svg' ? 10 : 9).'"'
    set ylabel 'lost (% of the increments)'
    unset xlabel
    set grid noxtics ytics ls 100
    set style fill solid 0.85 border -1
    set boxwidth 0.36
    set key at screen 0.5, 0.11 center top horizontal Left reverse width 0
    set object 1 rect from graph 0, first seed_lo to graph 1, first seed_hi fc rgb '#f4a582' fs solid 0.35 noborder behind
    set label 3 sprintf("the seed's own runs: %.0f–%.0f %%", seed_lo, seed_hi) at graph 0.01, first seed_hi + 3 left tc rgb '#b2182b' noenhanced
    if (py_have) {
        set object 2 rect from graph 0, first py_lo - 0.4 to graph 1, first py_hi + 0.4 fc rgb '#a6dba0' fs solid 0.45 noborder behind
        set label 4 sprintf("CPython, this run: %.0f %% (%.0f–%.0f)", py_med, py_lo, py_hi) at graph 0.01, first py_hi + 3 left tc rgb '#1b7837' noenhanced
    }
    kp = 0
    kpe = 0
    kt = 0
    kte = 0
    # (only the models the run has: gnuplot warns about a clause with no
    # valid point; the last error bars carry the key's min-max entry)
    Pp = "params using (sel('counter-procs') ? (kp = kp + 1) - (nt > 0 ? 0.19 : 0) : NaN):13 with boxes lc rgb '#0072b2' title 'processes (median)', ".\
        "params using (sel('counter-procs') ? (kpe = kpe + 1) - (nt > 0 ? 0.19 : 0) : NaN):13:12:14 with yerrorbars lc rgb '#404040' pt 7 ps 0 "
    Pt = "params using (sel('counter-threads') ? (kt = kt + 1) + (np > 0 ? 0.19 : 0) : NaN):13 with boxes lc rgb '#d55e00' title 'threads (median)', ".\
        "params using (sel('counter-threads') ? (kte = kte + 1) + (np > 0 ? 0.19 : 0) : NaN):13:12:14 with yerrorbars lc rgb '#404040' pt 7 ps 0 "
    mm = "title 'min-max over repetitions'"
    eval 'plot '.(np > 0 ? Pp.(nt > 0 ? 'notitle, '.Pt.mm : mm) : Pt.mm)
    unset object 1
    unset object 2
    unset label 3
    unset label 4
    set output
    print 'wrote ', out_path(name, fmt)
}
