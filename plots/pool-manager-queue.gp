# pool-manager-queue.gp — what a Manager().Queue() costs a result on its way back.
#
# Writes <outdir>/pool-manager-queue.png and .svg: per task, the time a result
# takes back from a worker through the manager's queue, an inherited Queue and
# the pool's own result path (median, min–max error bars). The bars and the
# title (the ratio, from this run) come from scripts/figdata.py (figvars).
# Run by scripts/plot.sh.

if (!exists("plotdir")) plotdir = 'plots'
load plotdir.'/common.gp'

name = 'pool-manager-queue'
if (!exists("bars")) { print name.': skipped: no data'; exit }
set datafile separator whitespace   # figdata.py's file
set style fill solid 0.85 border rgb '#404040'
set boxwidth 0.55 absolute
set grid noxtics ytics ls 100
set xtics scale 0 nomirror
set xrange [-0.6:n_bars - 0.4]
set yrange [0:ymax]
set ylabel 'per task (µs)'
set offsets 0, 0, 0, 0
unset key

do for [fmt in out_formats] {
    eval term_cmd(fmt, 900, 380)
    set output out_path(name, fmt)
    set title fig_title font ','.(fmt eq 'svg' ? 11 : 12)
    set lmargin 10
    set rmargin 4
    plot bars using 0:2:xticlabels(1) with boxes lc rgb '#009e73', \
         bars using 0:2:3:4 with yerrorbars lc rgb '#202020' pt 7 ps 0.3, \
         bars using 0:4:(sprintf('%.3g µs', $2)) with labels offset 0, 0.8
    set output
    print 'wrote ', out_path(name, fmt)
}
