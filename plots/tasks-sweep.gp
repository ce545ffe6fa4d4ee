# tasks-sweep.gp — the "tasks" experiment: wall time and speedup against workers.
#
# Writes <outdir>/tasks-sweep.png and .svg (tasks.gp draws the lesson first): a 2x2 multiplot, top row
# wall time, bottom row speedup; left column workload io, right column cpu.
# One line per model (median, min-max error bars); model "ideal" as a dashed
# grey line; CPython's models (cpython-*, bench/cpython/) dashed in their C
# twin's colour, titled "CPython <model>". The models are the ones the run
# has, in its order; models without rows are left out. Run by
# scripts/plot.sh, which sets summary, raw, outdir, machine, cpu and plotdir.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'tasks-sweep'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
wls = "io cpu"              # columns, left to right
mets = "wall_s speedup"     # rows, top to bottom
met_label(met) = met eq 'wall_s' ? 'wall time (s)' : (met eq 'speedup' ? 'speedup (× serial)' : met)
met_title(met) = met eq 'wall_s' ? 'wall time' : met
# legend text only (the model names stay): threads are plain pthreads


# --- what is there ---------------------------------------------------------
# Only rows of experiment "tasks". If the summary has several pin policies,
# use the unpinned rows ("none"); without those, the first row's policy.
n_all = 0
n_none = 0
first_pin = ''
stats params using (is(3, 'tasks') \
    ? (first_pin = (n_all == 0 ? strcol(9) : first_pin), \
       n_all = n_all + 1, n_none = n_none + is(9, 'none')) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
pinsel = n_none > 0 ? 'none' : first_pin
# the models of the run's tasks rows (not ideal), in the run's order
tmodels = ''
stats params using ((is(3, 'tasks') && !is(4, 'ideal') \
    && !in_words(tmodels, strcol(4))) ? (tmodels = tmodels.' '.strcol(4)) : 0, 1) nooutput

# Each workload's sweep is at one task length, the shortest the run has for
# it: the full profile also runs the seeds' 1 s io tasks at one point, which
# would otherwise land on the sweep's curve.
do for [wl in wls] {
    stats params using ((is(3, 'tasks') && is(5, wl)) ? column(8) : NaN) nooutput
    eval sprintf("tms_%s = %g", wl, STATS_records > 0 ? STATS_min : 0)
}
sel(wl, m, met) = is(3, 'tasks') && is(4, m) && is(5, wl) && is(10, met) \
    && is(9, pinsel) && column(8) == value('tms_'.wl)

# Per panel: which models have rows (have_<wl>_<met>), whether ideal has
# (ideal_<wl>_<met>). Per workload: a description from the first row's
# parameters (n, and the swept one: "5 tasks, task_ms=200"), and the
# largest worker count (maxw_<wl>).
n_any = 0
c_n = NaN
do for [wl in wls] {
    desc = ''
    wmax = 1
    do for [met in mets] {
        list = ''
        do for [m in tmodels] {
            k = 0
            stats params using (sel(wl, m, met) \
                ? (k = k + 1, c_n = column('param_n'), c_param = strcol(7), c_pval = strcol(8), \
                   wmax = column(6) > wmax ? column(6) : wmax) : 0, 1) nooutput
            if (k > 0) {
                list = list.' '.m
                if (desc eq '') {
                    ntasks = have(c_n) ? sprintf('%d', c_n) : ''
                    desc = (ntasks ne '' ? ntasks.' tasks' : '') \
                        .((c_param ne '' && c_param ne '-') ? (ntasks ne '' ? ', ' : '').c_param.'='.c_pval : '')
                }
            }
        }
        k = 0
        stats params using (sel(wl, 'ideal', met) \
            ? (k = k + 1, wmax = column(6) > wmax ? column(6) : wmax) : 0, 1) nooutput
        eval sprintf("have_%s_%s = '%s'", wl, met, list)
        eval sprintf("ideal_%s_%s = %d", wl, met, k > 0)
        n_any = n_any + words(list) + (k > 0)
    }
    eval sprintf("desc_%s = '%s'", wl, desc)
    eval sprintf("maxw_%s = %d", wl, wmax)
}
if (n_any == 0) {
    print name.': skipped: no data'
    exit
}

# --- layout ----------------------------------------------------------------
# Each panel gets a fixed plot area, so all panels line up; one key for all
# of them sits below, across the width, where it covers nothing.
# Laid out for the SVG's 680 px (issue 20): a two-line title, two-line panel
# titles, and a key of up to 11 entries in rows of four below the panels.
W = 1300
H = 1060
col_l(c) = 0.11 + c * 0.49
col_r(c) = col_l(c) + 0.37
row_t(r) = r == 0 ? 0.82 : 0.46
row_b(r) = r == 0 ? 0.60 : 0.24
wl_name(wl) = wl eq 'io' ? 'IO' : (wl eq 'cpu' ? 'CPU' : wl)

set format x '%.0f'
set mxtics 1
set xlabel 'workers'
set yrange [0:*]
set offsets 0, 0, graph 0.06, 0

page_title = exists("fig_title") ? fig_title : sprintf('tasks — %s — %s', machine, cpu)
if (pinsel ne 'none') page_title = page_title.' — pin '.(pinsel eq '' ? '(empty)' : pinsel)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 11 : 14) noenhanced
    do for [r = 0:1] {
        met = word(mets, r + 1)
        do for [c = 0:1] {
            wl = word(wls, c + 1)
            list = value(sprintf('have_%s_%s', wl, met))
            has_ideal = value(sprintf('ideal_%s_%s', wl, met))
            desc = value(sprintf('desc_%s', wl))
            set lmargin at screen col_l(c)
            set rmargin at screen col_r(c)
            set tmargin at screen row_t(r)
            set bmargin at screen row_b(r)
            set title sprintf('%s tasks — %s%s', wl_name(wl), met_title(met), \
                (desc ne '' ? "\n(".desc.')' : '')) noenhanced
            if (r == 1) { set xlabel 'workers' } else { unset xlabel }
            set ylabel met_label(met)
            maxw = value(sprintf('maxw_%s', wl))
            set xrange [0.6:maxw + 0.4]
            set xtics xtic_step(maxw) nomirror out scale 0.6
            set ytics autofreq nomirror out scale 0.6
            keyed = 0   # the key is a plot of its own, below (a panel's is too narrow)
            if (words(list) == 0 && !has_ideal) {
                set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#808080'
                unset key
                unset xtics
                unset ytics
                unset grid
                unset xlabel
                unset ylabel
                set xrange [0:1]
                set yrange [0:1]
                plot 2 notitle
                unset label 1
                set grid xtics ytics ls 100
                set yrange [0:*]
            } else {
                if (has_ideal) {
                    plot for [m in list] summary \
                            using (sel(wl, m, met) ? column(6) : NaN):13:12:14 \
                            with yerrorlines ls ls_of(m) title (keyed ? model_title(m) : '') noenhanced, \
                        params using (sel(wl, 'ideal', met) ? column(6) : NaN):13 \
                            with lines ls ideal_ls title (keyed ? 'ideal' : '')
                } else {
                    plot for [m in list] summary \
                            using (sel(wl, m, met) ? column(6) : NaN):13:12:14 \
                            with yerrorlines ls ls_of(m) title (keyed ? model_title(m) : '') noenhanced
                }
            }
        }
    }
    # One key for all panels, in rows of four across the figure's width: an
    # empty plot whose only content is its key.
    set lmargin at screen 0.02
    set rmargin at screen 0.98
    set tmargin at screen 0.13
    set bmargin at screen 0.01
    unset title
    unset xlabel
    unset ylabel
    unset tics
    unset grid
    unset border
    set xrange [0:1]
    set yrange [0:1]
    set key at screen 0.5, 0.13 center top horizontal maxcols 4 Left reverse width 1
    plot for [m in tmodels] NaN with linespoints ls ls_of(m) title model_title(m) noenhanced, \
        NaN with lines ls ideal_ls title 'ideal'
    set tics
    set grid xtics ytics ls 100
    set border 3 lc rgb '#404040'
    set tics nomirror out scale 0.6
    set yrange [0:*]
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
