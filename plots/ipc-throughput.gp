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
set xtics ('8 B' 8, '64 B' 64, '512 B' 512, '4 KiB' 4096, '32 KiB' 32768, '' 65536, \
    '256 KiB' 262144, '1 MiB' 1048576) rotate by -30
set mxtics 1
set format y '%.0s%c'
set xlabel 'message size'
set key outside right top vertical Left reverse
do for [fmt in out_formats] {
    eval term_cmd(fmt, 1400, 560)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title (exists('fig_title') ? fig_title : sprintf('ipc-throughput — %s — %s', machine, cpu))
    do for [met in 'bytes_per_s msgs_per_s'] {
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
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
