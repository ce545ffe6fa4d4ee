# counter-contention.gp — the "counter-contention" experiment: what an
# increment costs in each variant, and how many the unlocked one loses,
# against the number of workers.
#
# Writes <outdir>/counter-contention.png and .svg: a 2x2 multiplot; left
# column processes (counter-procs), right column threads (counter-threads);
# top row ns per increment of every variant (log scale) under the run's
# --pin; bottom row lost_pct of "unlocked" under the run's --pin and under
# the fixed compact and scatter placements. Median with min-max error bars.
# Run by scripts/plot.sh, which sets summary, raw, outdir, machine, cpu and
# plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-contention'
modes = "counter-procs counter-threads"

# Rows of the run's --pin have no "/pin:" in their case name.
main_row(dummy) = strstrt(strcol(2), '/pin:') == 0
pin_row(p) = p eq 'run' ? main_row(0) : strstrt(strcol(2), '/pin:'.p.'/') > 0
sel_cost(m, v) = is(3, 'counter-contention') && is(4, m) && is(5, v) \
    && is(10, 'ns_per_increment') && main_row(0)
sel_lost(m, p) = is(3, 'counter-contention') && is(4, m) && is(5, 'unlocked') \
    && is(10, 'lost_pct') && pin_row(p)
pins = "run compact scatter"
pin_title(p) = p eq 'run' ? run_pin.' (--pin)' : p
pin_ls(p) = p eq 'run' ? 31 : (p eq 'compact' ? 32 : 33)

# --- what is there ---------------------------------------------------------
n_all = 0
maxw = 1
run_pin = ''
stats summary using (is(3, 'counter-contention') \
    ? (n_all = n_all + 1, maxw = column(6) > maxw ? column(6) : maxw, \
       run_pin = (main_row(0) && run_pin eq '') ? strcol(9) : run_pin) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
do for [m in modes] {
    list = ''
    do for [v in counter_variants] {
        k = 0
        stats summary using (sel_cost(m, v) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.v }
    }
    eval sprintf("cost_%s = '%s'", strstrt(m, 'procs') ? 'procs' : 'threads', list)
    list = ''
    do for [p in pins] {
        k = 0
        stats summary using (sel_lost(m, p) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.p }
    }
    eval sprintf("lost_%s = '%s'", strstrt(m, 'procs') ? 'procs' : 'threads', list)
}

# --- layout ----------------------------------------------------------------
W = 1400
H = 1060
col_l(c) = 0.065 + c * 0.5
col_r(c) = col_l(c) + 0.30
row_t(r) = r == 0 ? 0.90 : 0.485
row_b(r) = r == 0 ? 0.585 : 0.17

page_title = sprintf('parbench counter-contention — %s — %s', machine, cpu)
caption = "W workers each do the increments as fast as they can, all started together. Top: wall time from the start to the last increment over all increments (lower is better; log scale).\n".\
    "Bottom: share of the increments the unlocked counter lost (relaxed load, relaxed store: no lock). With one worker nothing is lost; with two on two cores both read, both write back,\n".\
    "and about half are gone (CPython 3.11 here: 42-47 %). Unpinned, the scheduler sometimes stacks both on one PU for the whole (short) run: they then take turns and lose nothing\n".\
    "(see overlap_pct in raw.csv); compact and scatter pin them (on one PU per core they are the same placement)."

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 15 : 14) noenhanced
    # the caption: drawn with the first plot only
    set label 99 caption at screen 0.03, 0.095 left front font ','.(fmt eq 'svg' ? 11 : 10) noenhanced
    do for [c = 0:1] {
        m = word(modes, c + 1)
        short = c == 0 ? 'procs' : 'threads'
        set lmargin at screen col_l(c)
        set rmargin at screen col_r(c)
        set xrange [0.6:maxw + 0.4]
        set xtics xtic_step(maxw) nomirror out scale 0.6
        set xlabel 'workers'
        set format x '%.0f'

        # top: cost per increment
        list = value('cost_'.short)
        set tmargin at screen row_t(0)
        set bmargin at screen row_b(0)
        set title sprintf('%s — cost per increment (pin %s)', m, run_pin) noenhanced
        set ylabel 'ns per increment (log)'
        set logscale y
        set yrange [*:*]
        set format y '%g'
        set key at screen col_r(c) + 0.012, row_t(0) left top vertical Left reverse width 1 \
            notitle
        if (words(list) == 0) {
            set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#808080'
            plot 1 notitle lc rgb 'white'
            unset label 1
        } else {
            plot for [v in list] summary using (sel_cost(m, v) ? column(6) : NaN):13:12:14 \
                with yerrorlines ls variant_ls(v) title v noenhanced
        }
        unset logscale y
        unset label 99

        # bottom: lost updates of unlocked
        list = value('lost_'.short)
        set tmargin at screen row_t(1)
        set bmargin at screen row_b(1)
        set title sprintf('%s — unlocked: lost updates', m) noenhanced
        set ylabel 'lost (% of increments)'
        set yrange [0:*]
        set key at screen col_r(c) + 0.012, row_t(1) left top vertical Left reverse width 1 \
            title 'pin' noenhanced
        if (words(list) == 0) {
            set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#808080'
            plot 1 notitle lc rgb 'white'
            unset label 1
        } else {
            plot for [p in list] summary using (sel_lost(m, p) ? column(6) : NaN):13:12:14 \
                with yerrorlines ls pin_ls(p) title pin_title(p) noenhanced
        }
    }
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
