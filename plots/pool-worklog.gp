# pool-worklog.gp — the seed's Pool(2).map(work_log, [A 5, B 2, C 1, D 3]) as
# a Gantt chart: the same drawing as pool-seed.gp, for experiment
# pool-worklog. Run by scripts/plot.sh.
if (!exists("plotdir")) plotdir = 'plots'
gantt_exp = 'pool-worklog'
load plotdir.'/pool-seed.gp'
