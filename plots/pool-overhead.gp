# pool-overhead.gp — what one task with no work costs: a pipe round trip
# (the floor), a pool round trip (apply_async + get), a pool map with
# chunksize 1, thread-per-task (when present) and a process per task.
#
# Writes <outdir>/pool-overhead.png and .svg: one bar per model (median
# per_task_us, min–max error bars) on a log scale, the value above each bar,
# and the two acceptance ratios in the title. Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'pool-overhead'
order = "pipe pool pool-map threads fork"
sel(m) = is(3, 'pool-overhead') && is(4, m) && is(10, 'per_task_us')
# the colours of common.gp's line styles, for bars
rgb(m) = m eq 'fork' ? 0x0072b2 : m eq 'pool' ? 0x009e73 : m eq 'threads' ? 0xd55e00 : \
    m eq 'pool-map' ? 0x56b4e9 : 0x8c8c8c

# Which models have rows, and their medians (for the ratios).
present = ''
ymax = 1
do for [m in order] {
    k = 0
    stats summary using (sel(m) ? (k = k + 1, med = column(13), \
        ymax = column(14) > ymax ? column(14) : ymax) : 0, 1) nooutput
    if (k > 0) {
        present = present.' '.m
        eval sprintf("med_%s = %.17g", m eq 'pool-map' ? 'pool_map' : m, med)
    }
}
if (words(present) == 0) {
    print name.': skipped: no data'
    exit
}
has(m) = strstrt(present.' ', ' '.m.' ') > 0
# bars side by side, in the order above, for the models present
xpos(m) = sum [i = 1:words(present)] (word(present, i) eq m ? i : 0)

ratios = ''
if (has('pool') && has('pipe')) ratios = ratios.sprintf('pool = %.2f× pipe', med_pool / med_pipe)
if (has('pool') && has('fork')) \
    ratios = ratios.(ratios ne '' ? ',  ' : '').sprintf('fork = %.0f× pool', med_fork / med_pool)

tics = ''
do for [m in present] {
    tics = tics.(tics eq '' ? '' : ', ').sprintf("'%s' %d", m, xpos(m))
}
eval 'set xtics ('.tics.') nomirror out scale 0'
set xrange [0.4:words(present) + 0.6]
set logscale y
set yrange [1:ymax * 4]
set format y '%g'
set ylabel 'µs per task (log scale)'
set xlabel 'model (pool-overhead, no work per task)'
set boxwidth 0.6
set style fill solid 0.55 border -1
set key off
set grid noxtics ytics ls 100

do for [fmt in out_formats] {
    eval term_cmd(fmt, 800, 600)
    set output out_path(name, fmt)
    set title sprintf("pool-overhead — %s — %s\n%s", machine, cpu, ratios) noenhanced
    plot summary using (sel(strcol(4)) ? xpos(strcol(4)) : NaN):13:(rgb(strcol(4))) \
            with boxes lc rgb variable notitle, \
        summary using (sel(strcol(4)) ? xpos(strcol(4)) : NaN):13:12:14 \
            with yerrorbars lc rgb '#404040' pt 7 ps 0 notitle, \
        summary using (sel(strcol(4)) ? xpos(strcol(4)) : NaN):(column(14) * 1.5): \
            (sprintf('%.1f µs', column(13))) with labels font ',10' notitle
    set output
    print 'wrote ', out_path(name, fmt)
}
