# pool-chunksize.gp — why map sends tasks in chunks.
#
# Writes <outdir>/pool-chunksize.png and .svg: the wall time of pool_map
# over many tiny tasks against chunksize (1 … 1024, log–log; median,
# min–max error bars), Python's default chunksize (ceil(n / 4W)) as a
# separate point, and the chunksize 1 / chunksize 64 ratio in the title.
# Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'pool-chunksize'
sel(m) = is(3, 'chunksize') && is(4, m) && is(10, 'wall_s')

k = 0
one = NaN
c64 = NaN
ntasks = ''
xmax = 1024
stats summary using (sel('pool') ? (k = k + 1, \
    one = column(8) == 1 ? column(13) : one, c64 = column(8) == 64 ? column(13) : c64, \
    c_case = strcol(2)) : 0, 1) nooutput
if (k == 0) {
    print name.': skipped: no data'
    exit
}
kd = 0
stats summary using (sel('pool-default') ? (kd = kd + 1, def_cs = column(8), def_s = column(13), \
    xmax = column(8) > xmax ? column(8) : xmax) : 0, 1) nooutput
p = strstrt(c_case, '/n:')
if (p > 0) {
    rest = c_case[p + 3:]
    q = strstrt(rest, '/')
    ntasks = q > 0 ? rest[1:q - 1] : rest
}
ratio = (one == one && c64 == c64) ? sprintf('chunksize 1 takes %.1f× as long as chunksize 64', one / c64) : ''

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
    eval term_cmd(fmt, 900, 600)
    set output out_path(name, fmt)
    set title sprintf("chunksize — %s — %s\npool map over %s tiny tasks: %s", machine, cpu, \
        ntasks, ratio) noenhanced
    if (kd > 0) {
        set label 1 sprintf("Python's default\n(chunksize %.0f)", def_cs) at def_cs, def_s * 1.8 \
            center font ',10'
        plot summary using (sel('pool') ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of('pool') \
                title 'pool map', \
            summary using (sel('pool-default') ? column(8) : NaN):13:12:14 with yerrorbars \
                lc rgb '#e69f00' pt 7 ps 1.5 title "Python's default chunksize"
    } else {
        plot summary using (sel('pool') ? column(8) : NaN):13:12:14 with yerrorlines ls ls_of('pool') \
                title 'pool map'
    }
    unset label 1
    set output
    print 'wrote ', out_path(name, fmt)
}
