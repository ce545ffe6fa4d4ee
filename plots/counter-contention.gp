# counter-contention.gp — the "counter-contention" experiment: what an
# increment costs in each variant, and how many the unlocked one loses,
# against the number of workers.
#
# Writes <outdir>/counter-contention.png and .svg: a 2x2 multiplot; left
# column processes (counter-procs), right column threads (counter-threads);
# top row ns per increment of every variant (log scale) under the run's
# --pin; bottom row lost_pct of "unlocked" under the run's --pin and under
# the fixed compact and scatter placements. Median with min-max error bars.
# CPython's multiprocessing.Value (model cpython-value, bench/cpython/) at 2
# processes as open points in the processes column, when the run has it.
# The title (the finding, with this run's numbers) comes from figtitles.py.
# Run by scripts/plot.sh, which sets params (summary.csv's rows with their
# cases' parameters), raw, outdir, machine, cpu and plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/counter.gpi'

name = 'counter-contention'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
modes = "counter-procs counter-threads"

# Rows of the run's --pin fix no pin (param_pin is empty).
main_row(dummy) = strcol('param_pin') eq ''
pin_row(p) = p eq 'run' ? main_row(0) : strcol('param_pin') eq p
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
stats params using (is(3, 'counter-contention') \
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
        stats params using (sel_cost(m, v) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.v }
    }
    eval sprintf("cost_%s = '%s'", m eq 'counter-procs' ? 'procs' : 'threads', list)
    list = ''
    do for [p in pins] {
        k = 0
        stats params using (sel_lost(m, p) ? (k = k + 1) : 0, 1) nooutput
        if (k > 0) { list = list.' '.p }
    }
    eval sprintf("lost_%s = '%s'", m eq 'counter-procs' ? 'procs' : 'threads', list)
}

# CPython's Value: which variants the run has (workload unlocked, locked,
# rawvalue), and their style
sel_py(v, met) = is(3, 'counter-contention') && is(4, 'cpython-value') && is(5, v) && is(10, met)
py_variants = "unlocked locked rawvalue"
py_title(v) = v eq 'locked' ? 'CPython get_lock()' \
    : (v eq 'rawvalue' ? 'CPython RawValue' : 'CPython Value')
py_ls(v) = v eq 'locked' ? variant_ls('semaphore') : variant_ls('unlocked')
py_pt(v) = v eq 'locked' ? 8 : (v eq 'rawvalue' ? 12 : 6)
py_cost = ''
py_lost = 0
do for [v in py_variants] {
    eval pick(sprintf("sel_py('%s', 'ns_per_increment')", v))
    if (pk_n > 0) { py_cost = py_cost.' '.v }
}
eval pick("sel_py('unlocked', 'lost_pct')")
py_lost = pk_n > 0

# --- layout ----------------------------------------------------------------
# Laid out for the SVG's 680 px (issue 20): a panel's own key does not fit
# beside it, so each row has one key across the width below it (both
# columns draw the same variants and pins); the caption is the report's
# (from findings.csv), not drawn here.
W = 1400
H = 1180
col_l(c) = 0.125 + c * 0.49
col_r(c) = col_l(c) + 0.355
row_t(r) = r == 0 ? 0.86 : 0.41
row_b(r) = r == 0 ? 0.64 : 0.19
key_t(r) = r == 0 ? 0.575 : 0.07
# the variants either column draws, for the top row's key
key_cost = cost_procs
do for [v in cost_threads] { if (!in_words(key_cost, v)) { key_cost = key_cost.' '.v } }
key_lost = lost_procs
do for [p in lost_threads] { if (!in_words(key_lost, p)) { key_lost = key_lost.' '.p } }

# key_plot(r): an empty plot across the width whose only content is row r's key
key_plot(r) = sprintf('set lmargin at screen 0.02; set rmargin at screen 0.98; ' \
    .'set tmargin at screen %g; set bmargin at screen %g; unset title; unset xlabel; ' \
    .'unset ylabel; unset tics; unset grid; unset border; unset logscale y; ' \
    .'set xrange [0:1]; set yrange [0:1]; ' \
    .'set key at screen 0.5, %g center top horizontal maxcols 4 Left reverse width 1 notitle; ', \
    key_t(r), key_t(r) - 0.06, key_t(r)) \
    .(r == 0 \
      ? 'plot for [v in key_cost] NaN with linespoints ls variant_ls(v) title v noenhanced' \
        .(words(py_cost) > 0 ? ', for [v in py_cost] NaN with points ls py_ls(v) pt py_pt(v) ps 1.8 title py_title(v) noenhanced' : '') \
      : 'plot for [p in key_lost] NaN with linespoints ls pin_ls(p) title pin_title(p) noenhanced' \
        .(py_lost ? ", NaN with points ls variant_ls('unlocked') pt 6 ps 1.8 title py_title('unlocked') noenhanced" : '')) \
    .'; set tics; set tics nomirror out scale 0.6; set grid xtics ytics ls 100; ' \
    .'set border 3 lc rgb "#404040"'

page_title = exists('fig_title') ? fig_title : sprintf('counter-contention — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 11 : 14) noenhanced
    do for [c = 0:1] {
        m = word(modes, c + 1)
        short = c == 0 ? 'procs' : 'threads'
        set lmargin at screen col_l(c)
        set rmargin at screen col_r(c)
        set xrange [0.6:maxw + 0.4]
        set xtics xtic_step(maxw) nomirror out scale 0.6
        set format x '%.0f'
        unset key

        # top: cost per increment
        list = value('cost_'.short)
        pyl = c == 0 ? py_cost : ''
        set tmargin at screen row_t(0)
        set bmargin at screen row_b(0)
        unset xlabel
        set title sprintf('%s — cost (pin %s)', m, run_pin) noenhanced
        set ylabel 'ns / increment (log)'
        set logscale y
        set yrange [*:*]
        set format y '%g'
        if (words(list) == 0) {
            set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#808080'
            plot 1 notitle lc rgb 'white'
            unset label 1
        } else {
            # (gnuplot 5.4 runs a "plot for" clause with an empty range
            # once: CPython's clauses are left out when it has no rows)
            P = "for [v in list] params using (sel_cost(m, v) ? column(6) : NaN):13:12:14 with yerrorlines ls variant_ls(v) title v noenhanced"
            if (words(pyl) > 0) {
                P = P.", for [v in pyl] params using (sel_py(v, 'ns_per_increment') ? column(6) : NaN):13:12:14 with yerrorbars ls py_ls(v) pt py_pt(v) ps 1.8 title py_title(v) noenhanced"
            }
            eval 'plot '.P
        }
        unset logscale y

        # bottom: lost updates of unlocked
        list = value('lost_'.short)
        set tmargin at screen row_t(1)
        set bmargin at screen row_b(1)
        set xlabel 'workers'
        set title sprintf('%s — unlocked: lost updates', m) noenhanced
        set ylabel 'lost (% of increments)'
        set yrange [0:*]
        if (words(list) == 0) {
            set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#808080'
            plot 1 notitle lc rgb 'white'
            unset label 1
        } else {
            P = "for [p in list] params using (sel_lost(m, p) ? column(6) : NaN):13:12:14 with yerrorlines ls pin_ls(p) title pin_title(p) noenhanced"
            if (c == 0 && py_lost) {
                P = P.", params using (sel_py('unlocked', 'lost_pct') ? column(6) : NaN):13:12:14 with yerrorbars ls variant_ls('unlocked') pt 6 ps 1.8 title py_title('unlocked') noenhanced"
            }
            eval 'plot '.P
        }
    }
    eval key_plot(0)
    eval key_plot(1)
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
