# gil-interval.gp — the switch interval's trade-off: one IO thread next to one
# CPU thread under the GIL, switch interval swept.
#
# Writes <outdir>/gil-interval.png and .svg: left, the IO round trip's p50
# and p99 against the switch interval (log-log), with "latency = interval"
# as a dashed grey line and, when the run has it, the same round trip
# without a GIL (gil-convoy threads, K=1) as a dotted line; right, the CPU
# thread's work in cores and the GIL switches per second against the
# interval. Run by scripts/plot.sh (variables summary, outdir, machine, cpu,
# plotdir).

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'gil-interval'
exp = 'gil-interval'
m = 'threads-gil'
sel(met) = is(3, exp) && is(4, m) && is(10, met)

n_all = 0
xmin = 1e9
xmax = 0
stats summary using (sel('latency_us_p50') \
    ? (n_all = n_all + 1, xmin = column(8) < xmin ? column(8) : xmin, \
       xmax = column(8) > xmax ? column(8) : xmax) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
# the no-GIL reference: gil-convoy, threads, one CPU thread
ref = NaN
stats summary using ((is(3, 'gil-convoy') && is(4, 'threads') && is(10, 'latency_us_p50') \
    && column(8) == 1) ? (ref = column(13)) : 0, 1) nooutput

# Laid out for the SVG's 680 px (issue 20): each panel's key below it,
# clear of the data; room on the right for the switches' axis.
W = 1300
H = 780
page_title = exists('fig_title') ? fig_title : sprintf('gil-interval — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot title page_title font ','.(fmt eq 'svg' ? 11 : 14) noenhanced
    set tmargin at screen 0.82
    set bmargin at screen 0.40
    set xlabel 'switch interval (log scale)'
    set logscale x
    set xrange [xmin / 1.6:xmax * 1.6]
    eval 'set xtics '.us_tics
    set lmargin at screen 0.15
    set rmargin at screen 0.46
    set key at screen 0.15, 0.25 left top vertical Left reverse opaque

    set title 'IO round trip next to one CPU thread' noenhanced
    set ylabel 'latency (log scale)'
    set logscale y
    eval 'set ytics '.us_tics
    set autoscale yfix
    set offsets 0, 0, graph 0.08, graph 0.08
    if (ref == ref) {
        plot summary using (sel('latency_us_p50') ? column(8) : NaN):13:12:14 \
                with yerrorlines ls ls_of(m) title 'threads-gil p50', \
            summary using (sel('latency_us_p99') ? column(8) : NaN):13 \
                with linespoints ls ls_of(m) dt 2 title 'threads-gil p99', \
            x with lines ls ideal_ls title 'latency = interval', \
            ref with lines ls ls_of('threads') dt 3 title 'threads (no GIL) p50'
    } else {
        plot summary using (sel('latency_us_p50') ? column(8) : NaN):13:12:14 \
                with yerrorlines ls ls_of(m) title 'threads-gil p50', \
            summary using (sel('latency_us_p99') ? column(8) : NaN):13 \
                with linespoints ls ls_of(m) dt 2 title 'threads-gil p99', \
            x with lines ls ideal_ls title 'latency = interval'
    }
    unset logscale y

    set title 'the CPU thread: work and switches' noenhanced
    set ylabel 'work (cores of calibrated ticks/s)'
    set yrange [0:*]
    set ytics autofreq
    set lmargin at screen 0.60
    set rmargin at screen 0.86
    set key at screen 0.60, 0.25 left top vertical Left reverse opaque
    set offsets 0, 0, graph 0.06, 0
    set y2label 'GIL switches per second, log scale'
    set logscale y2
    set y2tics
    set format y2 '%g'
    set ytics nomirror
    plot summary using (sel('cpu_work_cores') ? column(8) : NaN):13:12:14 \
            with yerrorlines ls ls_of(m) title 'CPU thread work (left)', \
        summary using (sel('gil_switches_per_s') ? column(8) : NaN):13 axes x1y2 \
            with linespoints ls 9 title 'switches/s (right)'
    unset y2tics
    unset y2label
    unset logscale y2
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
