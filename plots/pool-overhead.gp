# pool-overhead.gp — what one task with no work costs.
#
# Writes <outdir>/pool-overhead.png and .svg: one bar per case (median
# per_task_us, min–max error bars, log scale), in three groups:
#   one PU       round trips with the caller and its worker on one PU: pipe
#                (the floor), pool (apply_async + get), fork (a process per
#                task, one at a time) — the acceptance ratios, in the title;
#   two PUs      the same round trips with the worker on another PU (waking
#                it is most of the cost on an idle VM);
#   W workers    streams: pool map with chunksize 1, thread-per-task (when
#                present) and a process per task, W at once.
# Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'pool-overhead'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
order = "pipe@same pool@same threads@same fork@same pipe@cross pool@cross pool-map@stream threads@stream fork@stream"
grp(d) = strcol('param_cross') eq 'cross-pu' ? 'cross' : (column(6) == 1 ? 'same' : 'stream')
key(d) = strcol(4).'@'.grp(d)
sel(k) = is(3, 'pool-overhead') && is(10, 'per_task_us') && key(0) eq k
# parse-ok: the two halves of this script's own "model@group" keys
model_of(k) = k[1:strstrt(k, '@') - 1]
group_of(k) = k[strstrt(k, '@') + 1:]  # parse-ok: (the second half)
# the colours of common.gp's line styles, for bars
rgb(m) = m eq 'fork' ? 0x0072b2 : m eq 'pool' ? 0x009e73 : m eq 'threads' ? 0xd55e00 : \
    m eq 'pool-map' ? 0x56b4e9 : 0x8c8c8c

# Which cases have rows, their medians (for the ratios), the tallest bar.
present = ''
ymax = 1
wstream = 0
do for [k in order] {
    n = 0
    stats params using (sel(k) ? (n = n + 1, med = column(13), w = column(6), \
        ymax = column(14) > ymax ? column(14) : ymax) : 0, 1) nooutput
    if (n > 0) {
        present = present.' '.k
        eval sprintf("med_%s_%s = %.17g", model_of(k) eq 'pool-map' ? 'pool_map' : model_of(k), \
            group_of(k), med)
        if (group_of(k) eq 'stream') {
            wstream = w
        }
    }
}
if (words(present) == 0) {
    print name.': skipped: no data'
    exit
}
has(k) = in_words(present, k)
xpos(k) = sum [i = 1:words(present)] (word(present, i) eq k ? i : 0)

ratios = ''
if (has('pool@same') && has('pipe@same')) \
    ratios = sprintf('one PU: pool = %.2f× pipe', med_pool_same / med_pipe_same)
if (has('pool@same') && has('fork@same')) \
    ratios = ratios.sprintf(', fork = %.0f× pool', med_fork_same / med_pool_same)

# the streams' "W workers" as W=2: at print width "2 workers" runs into its
# neighbours' (issue 20)
label(k) = model_of(k)."\n".(group_of(k) eq 'same' ? 'one PU' : group_of(k) eq 'cross' ? \
    'two PUs' : sprintf('W=%d', wstream))
tics = ''
do for [k in present] {
    tics = tics.(tics eq '' ? '' : ', ').sprintf('"%s" %d', label(k), xpos(k))
}
eval 'set xtics ('.tics.') nomirror out scale 0'
set xrange [0.4:words(present) + 0.6]
set logscale y
set yrange [1:ymax * 4]
set format y '%g'
set ylabel 'µs per task (log scale)'
set boxwidth 0.6
set style fill solid 0.55 border -1
set key off
set grid noxtics ytics ls 100
set bmargin 4

do for [fmt in out_formats] {
    eval term_cmd(fmt, 1000, 480)
    set output out_path(name, fmt)
    set title (exists('fig_title') ? fig_title : sprintf("pool-overhead — %s — %s — no work per task\n%s", machine, cpu, ratios)) noenhanced
    plot params using (sel(key(0)) ? xpos(key(0)) : NaN):13:(rgb(strcol(4))) \
            with boxes lc rgb variable notitle, \
        params using (sel(key(0)) ? xpos(key(0)) : NaN):13:12:14 \
            with yerrorbars lc rgb '#404040' pt 7 ps 0 notitle, \
        params using (sel(key(0)) ? xpos(key(0)) : NaN):(column(14) * 1.5): \
            (sprintf('%.1f µs', column(13))) with labels font ',10' notitle
    set output
    print 'wrote ', out_path(name, fmt)
}
