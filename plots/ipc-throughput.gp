# ipc-throughput.gp — bytes/s and messages/s against message size, log-log,
# one line per channel kind (median, min-max error bars), memcpy dashed as
# the ceiling. Writes <outdir>/ipc-throughput.{png,svg}.
if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'
load plotdir.'/ipc.gpi'

name = 'ipc-throughput'
sel(m, met) = is(3, 'ipc-throughput') && is(4, m) && is(10, met)
list = ''
do for [m in ipc_models.' memcpy'] {
    k = 0
    stats summary using (sel(m, 'bytes_per_s') ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { list = list.' '.m }
}
if (words(list) == 0) {
    print name.': skipped: no data'
    exit
}
kinds = ''
do for [m in list] { if (m ne 'memcpy') { kinds = kinds.' '.m } }
has_memcpy = in_words(list, 'memcpy')

set logscale xy
# the message sizes the run has (figdata.py); y from the data, not decades
if (exists('xmin')) { set xrange [xmin:xmax] } else { set xrange [5:1.6e6] }
set autoscale yfix
set offsets 0, 0, graph 0.06, graph 0.06
# Labels every 64× only: at the SVG's 680 px (issue 20) a panel is 250 px
# wide and its labels must not touch; the sizes between are bare tics.
xt = "('8 B' 8, '' 64, '512 B' 512, '' 4096, '32 KiB' 32768, '' 262144, '1 MiB' 1048576)"
eval 'set xtics '.xt
set mxtics 1
set format y '%.0s%c'
set xlabel 'message size'
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1400, 800)
    set output out_path(name, fmt)
    set multiplot title (exists('fig_title') ? fig_title : sprintf('ipc-throughput — %s — %s', machine, cpu))
    unset key
    do for [c = 0:1] {
        met = word('bytes_per_s msgs_per_s', c + 1)
        set lmargin at screen 0.12 + c * 0.49
        set rmargin at screen 0.48 + c * 0.49
        set tmargin at screen 0.84
        set bmargin at screen 0.38
        set title (met eq 'bytes_per_s' ? 'payload bytes per second' : 'messages per second')
        set ylabel (met eq 'bytes_per_s' ? 'bytes/s' : 'messages/s')
        if (has_memcpy) {
            plot for [m in kinds] summary using (sel(m, met) ? column(8) : NaN):13:12:14 \
                    with yerrorlines ls ipc_ls(m) title m, \
                summary using (sel('memcpy', met) ? column(8) : NaN):13 \
                    with lines ls 30 title 'memcpy'
        } else {
            plot for [m in kinds] summary using (sel(m, met) ? column(8) : NaN):13:12:14 \
                    with yerrorlines ls ipc_ls(m) title m
        }
    }
    # one key across the width below the panels: the right panel's plot
    # again, every point out of range (a panel's key is laid out in its width)
    set lmargin at screen 0.02
    set rmargin at screen 0.98
    set tmargin at screen 0.22
    set bmargin at screen 0.02
    unset title
    unset xlabel
    unset ylabel
    unset tics
    unset grid
    unset border
    set xrange [1e-3:1e-2]
    set yrange [1:10]
    set key at screen 0.5, 0.22 center top horizontal maxcols 3 Left reverse opaque box
    if (has_memcpy) {
        plot for [m in kinds] summary using (sel(m, met) ? column(8) : NaN):13:12:14 \
                with yerrorlines ls ipc_ls(m) title m, \
            summary using (sel('memcpy', met) ? column(8) : NaN):13 \
                with lines ls 30 title 'memcpy'
    } else {
        plot for [m in kinds] summary using (sel(m, met) ? column(8) : NaN):13:12:14 \
                with yerrorlines ls ipc_ls(m) title m
    }
    unset key
    set tics
    set tics nomirror out scale 0.6
    eval 'set xtics '.xt
    set mxtics 1
    set grid xtics ytics ls 100
    set border 3 lc rgb '#404040'
    set xlabel 'message size'
    if (exists('xmin')) { set xrange [xmin:xmax] } else { set xrange [5:1.6e6] }
    set yrange [*:*]
    set autoscale yfix
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
