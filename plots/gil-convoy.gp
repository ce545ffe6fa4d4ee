# gil-convoy.gp — the convoy effect: an IO thread's round-trip latency next to
# K CPU threads, with a GIL (threads-gil) and without (threads).
#
# Writes <outdir>/gil-convoy.png and .svg: left, the IO round trip's p50
# (solid, median over repetitions with min-max bars) and p99 (dashed) against
# K, log y, with the switch interval as a grey reference line; right, the
# CPU threads' work in cores (1.0 = one core's calibrated tick rate) against
# K. Run by scripts/plot.sh (variables summary, outdir, machine, cpu,
# plotdir).

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'gil-convoy'
exp = 'gil-convoy'
mods = "threads threads-gil"
interval_us = 5000

sel(m, met) = is(3, exp) && is(4, m) && is(10, met)

# --- what is there ---------------------------------------------------------
n_all = 0
kmax = 0
desc = ''
stats summary using (is(3, exp) \
    ? (n_all = n_all + 1, kmax = column(8) > kmax ? column(8) : kmax, \
       desc = (desc eq '' ? strcol(2) : desc)) : 0, 1) nooutput
if (n_all == 0) {
    print name.': skipped: no data'
    exit
}
have = ''
do for [m in mods] {
    k = 0
    stats summary using (sel(m, 'latency_us_p50') ? (k = k + 1) : 0, 1) nooutput
    if (k > 0) { have = have.' '.m }
}
# "gil-convoy/threads/io/n:500/echo_us:100/w:1/cpu_threads:0" -> "n:500, echo_us:100"
p = strstrt(desc, '/n:')
q = strstrt(desc, '/w:')
desc = (p > 0 && q > p) ? desc[p + 1:q - 1] : ''
p = strstrt(desc, '/')
if (p > 0) { desc = desc[1:p - 1].', '.desc[p + 1:] }

W = 1400
H = 560
page_title = sprintf('parbench gil-convoy — %s — %s', machine, cpu)

do for [fmt in out_formats] {
    eval term_cmd(fmt, W, H)
    set output out_path(name, fmt)
    set multiplot layout 1, 2 title page_title font ','.(fmt eq 'svg' ? 15 : 14) noenhanced
    set xlabel 'K: CPU threads next to the IO thread'
    set xrange [-0.3:kmax + 0.3]
    set xtics 1
    set key top left opaque

    set title sprintf('IO round trip latency (%s)', desc) noenhanced
    set ylabel 'latency (us), log scale'
    set logscale y
    set yrange [*:*]
    set format y '%g'
    plot for [m in have] summary using (sel(m, 'latency_us_p50') ? column(8) : NaN):13:12:14 \
            with yerrorlines ls ls_of(m) title m.' p50' noenhanced, \
        for [m in have] summary using (sel(m, 'latency_us_p99') ? column(8) : NaN):13 \
            with linespoints ls ls_of(m) dt 2 title m.' p99' noenhanced, \
        interval_us with lines ls ideal_ls title 'switch interval (5 ms)'
    unset logscale y

    set title 'CPU threads: work done' noenhanced
    set ylabel 'work (cores of calibrated ticks/s)'
    set yrange [0:*]
    plot for [m in have] summary using (sel(m, 'cpu_work_cores') ? column(8) : NaN):13:12:14 \
            with yerrorlines ls ls_of(m) title m noenhanced
    unset multiplot
    set output
    print 'wrote ', out_path(name, fmt)
}
