# chunksize.gp — why map sends tasks in chunks.
#
# Writes <outdir>/chunksize.png and .svg: the wall time of pool_map
# over many tiny tasks against chunksize (1 … 1024, log–log; median,
# min–max error bars), Python's default chunksize (ceil(n / 4W)) as a
# separate point, and the chunksize 1 / chunksize 64 ratio in the title.
# CPython's own Pool.map (cpython-pool, cpython-pool-default:
# bench/cpython/pool.py) on the same axes, dashed, with its ratio; left out
# when the run has none. Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'chunksize'
if (params eq '') { print name.no_params; exit }
set datafile columnheaders
pick_file = params
sel(m) = is(3, 'chunksize') && is(4, m) && is(10, 'wall_s')

xmax = 1024
c_n = NaN
# per pool model (pool, cpython-pool): rows, the chunksize 1 / 64 ratio;
# per default model: its chunksize and wall time
do for [pm in 'pool cpython-pool'] {
    k = 0
    one = NaN
    c64 = NaN
    stats params using (sel(pm) ? (k = k + 1, \
        one = column(8) == 1 ? column(13) : one, c64 = column(8) == 64 ? column(13) : c64, \
        c_n = have(c_n) ? c_n : column('param_n'), xmax = column(8) > xmax ? column(8) : xmax) : 0, 1) nooutput
    eval sprintf("k_%s = %d", is_py(pm) ? 'py' : 'c', k)
    eval sprintf("ratio_%s = '%s'", is_py(pm) ? 'py' : 'c', (have(one) && have(c64)) \
        ? sprintf('%s: chunksize 1 takes %.1f× as long as 64', is_py(pm) ? 'CPython' : 'C', one / c64) : '')
    kd = 0
    def_cs = NaN
    def_s = NaN
    stats params using (sel(pm.'-default') ? (kd = kd + 1, def_cs = column(8), def_s = column(13), \
        xmax = column(8) > xmax ? column(8) : xmax) : 0, 1) nooutput
    # (sprintf of NaN gives "nan", which eval would read as a variable)
    eval sprintf("kd_%s = %d; def_cs_%s = %.17g; def_s_%s = %.17g", is_py(pm) ? 'py' : 'c', kd, \
        is_py(pm) ? 'py' : 'c', kd > 0 ? def_cs : 0, is_py(pm) ? 'py' : 'c', kd > 0 ? def_s : 0)
}
if (k_c + k_py == 0) {
    print name.': skipped: no data'
    exit
}
ntasks = have(c_n) ? sprintf('%d', c_n) : ''
ratio = ratio_c.(ratio_c ne '' && ratio_py ne '' ? "\n" : '').ratio_py

set logscale x 2
set logscale y
set xrange [0.7:xmax * 1.6]
set format x '%.0f'
set xtics 4 nomirror out scale 0.6
set format y '%g'
set xlabel 'chunksize (tasks per message; log scale)'
set ylabel 'wall time (s, log scale)'
set key top right

do for [fmt in out_formats] {
    eval term_cmd(fmt, 900, 430)
    set output out_path(name, fmt)
    set title (exists('fig_title') ? fig_title : sprintf("chunksize — %s — %s\nmap over %s tiny tasks%s", \
        machine, cpu, ntasks, ratio ne '' ? ":\n".ratio : '')) noenhanced
    # the default's label above the higher of its points
    dflt = kd_c > 0 ? 'c' : (kd_py > 0 ? 'py' : '')
    if (dflt ne '') {
        high = kd_c > 0 && kd_py > 0 ? (def_s_c > def_s_py ? def_s_c : def_s_py) : value('def_s_'.dflt)
        set label 1 sprintf("Python's default\n(chunksize %.0f)", value('def_cs_'.dflt)) \
            at value('def_cs_'.dflt), high * 2.8 center font ',10'
    }
    # (gnuplot 5.4 runs a "plot for" clause with an empty range once: the
    # clauses of absent series are left out of the command instead)
    P = ''
    if (k_c > 0) {
        P = P.", params using (sel('pool') ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of('pool') title 'C pool map'"
    }
    if (kd_c > 0) {
        P = P.", params using (sel('pool-default') ? column(8) : NaN):13:12:14 with yerrorbars lc rgb '#e69f00' pt 7 ps 1.5 title \"C pool map, Python's default chunksize\""
    }
    if (k_py > 0) {
        P = P.", params using (sel('cpython-pool') ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of('cpython-pool') title 'CPython Pool.map'"
    }
    if (kd_py > 0) {
        P = P.", params using (sel('cpython-pool-default') ? column(8) : NaN):13:12:14 with yerrorbars lc rgb '#e69f00' pt 6 ps 1.8 title 'CPython Pool.map, default chunksize'"
    }
    eval 'plot '.P[3:]
    unset label 1
    set output
    print 'wrote ', out_path(name, fmt)
}
