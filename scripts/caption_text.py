"""caption_text — the report's captions: per experiment, the sentences that
state its lesson, with the run's figures as {finding|figure} (captions.py
says how they are filled). Sentences come in the order a reader needs
them; the first two to four that the run can fill make the caption. The
words are the registry's lesson (experiments.csv's teaches) said with
numbers; the numbers are the run's, never written here."""

CAPTIONS = {
    "calibration": [
        "One tick of cpu work costs {tick_ns|tick} in google-benchmark's own loop and "
        "{tick_ns|start-up calibration} as the start-up calibration measured it.",
        "Every cpu task is a calibrated number of ticks, so a task of T ms does the same "
        "work on every machine and {tick_ns|tick} is what one of them costs here.",
    ],
    "tasks": [
        "IO tasks overlap under every model: with as many workers as tasks, threads run "
        "{io_threads_speedup|speedup} faster than one after another, "
        "threads under the GIL {io_threads_gil_speedup|speedup} and a process each "
        "{io_fork_speedup|speedup}, of an ideal {io_fork_speedup|ideal speedup}.",
        "CPU tasks gain only where workers run in parallel: a process each "
        "{cpu_fork_speedup|speedup}, a pool {cpu_pool_speedup|speedup} and threads without "
        "a GIL {cpu_threads_speedup|speedup} (ideal {cpu_fork_speedup|ideal speedup}), "
        "but threads under the GIL {cpu_threads_gil_speedup|speedup} and coroutines on "
        "one loop {cpu_coroutines_speedup|speedup}.",
        "CPython's own threads: {io_cpython_threads_speedup|speedup} on IO tasks, "
        "{cpu_cpython_threads_speedup|speedup} on CPU tasks.",
    ],
    "pool-overhead": [
        "A pool round trip with no work costs {pool_vs_pipe|pool}, {pool_vs_pipe|pool / pipe} "
        "a bare pipe round trip ({pool_vs_pipe|pipe}).",
        "A process per task costs {fork_vs_pool|fork}, {fork_vs_pool|fork / pool} the pool's "
        "round trip, and a thread per task {thread_per_task|thread}.",
        "Streamed through map on two workers a task costs {stream|pool map}, "
        "{stream|fork / pool map} less than a process per task.",
    ],
    "granularity": [
        "A process per task reaches 50 % efficiency only at {crossing|fork at 50 %} of "
        "work per task, a warm pool already at {crossing|pool at 50 %}.",
        "With 1 µs tasks the pool is {crossing|pool / fork} as efficient as a process per "
        "task: starting a process dwarfs small work.",
    ],
    "chunksize": [
        "The same tiny tasks take {chunks_of_64|chunksize 1} with chunksize 1 and "
        "{chunks_of_64|chunksize 64} with chunksize 64, {chunks_of_64|1 / 64} faster: "
        "one message carries many tasks.",
        "Python's default chunksize ({chunks_of_64|default chunksize}) takes "
        "{chunks_of_64|default}.",
    ],
    "ordering": [
        "imap_unordered gives the first result after {first_result_w*|imap_unordered}, as "
        "soon as the shortest task ({first_result_w*|shortest task}) is done.",
        "imap waits for task 0 ({first_result_w*|task 0}) and gives it after "
        "{first_result_w*|imap}; map returns every result at once, after "
        "{first_result_w*|map}.",
    ],
    "pool-seed": [
        "Pool(4) starts tasks 1–4 at once; task 5 starts at {timeline|task 5 starts}, when "
        "the first worker is free ({timeline|first free worker}).",
        "All five are done at {timeline|all done}.",
    ],
    "pool-worklog": [
        "Pool(2).map hands A and B out at once (A starts at {timeline|A starts} on worker "
        "{timeline|A on worker}, B at {timeline|B starts} on worker {timeline|B on worker}).",
        "C starts at {timeline|C starts} on worker {timeline|C on worker} and D at "
        "{timeline|D starts} on worker {timeline|D on worker}; the map returns at "
        "{timeline|map returns}.",
    ],
    "pool-sigkill": [
        "A worker killed in the middle of a map costs {recovered|errors} error: "
        "{recovered|results} results come back, a new worker takes its place and "
        "{recovered|children left} children are left.",
        "The map ends in {recovered|done in} instead of hanging ({recovered|@verdict}).",
    ],
    "pool-manager-queue": [
        "Through a Manager().Queue() a result costs {manager_vs_queue|manager queue} per "
        "task, {manager_vs_queue|manager / Queue} an inherited Queue "
        "({manager_vs_queue|inherited Queue}).",
        "The pool's own result path costs {manager_vs_queue|pool's result path}: the fix "
        "is {manager_vs_queue|manager / pool's path} slower than returning the result.",
    ],
    "gil-convoy": [
        "Alone, an IO thread's round trip takes {convoy_k0|threads-gil p50}; next to one "
        "CPU thread under the GIL it takes {convoy_k1|threads-gil p50}, "
        "{convoy_k1|threads-gil / threads} the {convoy_k1|threads p50} of free threads.",
        "At the 99th percentile it takes {convoy_k1|threads-gil p99} under the GIL, "
        "{convoy_k1|threads p99} with free threads.",
        "With two CPU threads it takes {convoy_k2|threads-gil p50} "
        "({convoy_k2|threads-gil / threads} free threads').",
        "Each wake-up waits for a CPU thread to drop the GIL: they hold it "
        "{slices_k2|slice p50} at a time, against a switch interval of "
        "{slices_k2|switch interval}.",
    ],
    "gil-interval": [
        "At a 5 ms switch interval the IO round trip is {interval_5000us|round trip p50} "
        "({interval_5000us|round trip / interval} the interval), at 1 ms "
        "{interval_1000us|round trip p50}.",
        "A shorter interval answers IO sooner and costs the CPU thread work: "
        "{interval_100us|CPU work} of a core at 100 µs against "
        "{interval_10000us|CPU work} at 10 ms.",
        "The CPU thread keeps {interval_1000us|CPU work} of a core at 1 ms and "
        "{interval_5000us|CPU work} at 5 ms.",
    ],
    "gil-cores": [
        "Two CPU threads under the GIL take {two_pus_threads_gil_cpu|1 PU} on one PU and "
        "{two_pus_threads_gil_cpu|2 PUs} on two ({two_pus_threads_gil_cpu|2 PUs / 1 PU} "
        "the time): the second core buys nothing.",
        "Without a GIL a second PU halves the time ({two_pus_threads_cpu|2 PUs / 1 PU}), "
        "and so do C calls that release the GIL "
        "({two_pus_threads_gil_cpu_released|2 PUs / 1 PU}).",
    ],
    "ipc-throughput": [
        "With 64 KiB messages the shared-memory ring moves {shm_vs_ceiling_64k|shm ring}, "
        "{shm_vs_ceiling_64k|ring / ceiling} of the cross-core copy ceiling "
        "({shm_vs_ceiling_64k|ceiling}).",
        "That is {shm_goals_64k|shm / pipe} a pipe's bytes per second.",
        "With 1 MiB messages the ring reaches {shm_vs_ceiling_1m|ring / ceiling} of the "
        "ceiling.",
    ],
    "ipc-latency": [
        "On one PU a Queue's round trip takes {queue_vs_pipe_single|Queue}, "
        "{queue_vs_pipe_single|Queue / Pipe()} a Pipe()'s ({queue_vs_pipe_single|Pipe()}); "
        "across two PUs the factor is {queue_vs_pipe_scatter|Queue / Pipe()}.",
        "The pipe round trip is {pipe_vs_perf_single|ratio} perf bench sched pipe's on one "
        "PU and {pipe_vs_perf_scatter|ratio} across two, so the figures are this "
        "machine's.",
    ],
    "ipc-scaling": [
        "One producer and one consumer move {one_to_one|queue} through a Queue and "
        "{one_to_one|shm ring} through a shared-memory ring.",
        "With the most producers and consumers the Queue moves {most|queue} "
        "({most|queue / one to one} of one to one) and the ring {most|shm ring} "
        "({most|shm ring / one to one}).",
    ],
    "ipc-pingpong": [
        "With a 1 ms sleep after each put, Ping and Pong take strict turns through one "
        "Queue: {turns_sleep_1ms|own takes} values taken back by their own putter, the "
        "longest run by one side {turns_sleep_1ms|longest run} "
        "({turns_sleep_1ms|@verdict}).",
        "Without the sleep a putter takes back its own value {turns_sleep_0ms|own takes} "
        "times and one side runs {turns_sleep_0ms|longest run} in a row "
        "({turns_sleep_0ms|@verdict}).",
    ],
    "ipc-prodcons": [
        "Four workers take {every_task_once|tasks} tasks from one queue with get_nowait "
        "and put {every_task_once|done} results in a done queue "
        "({every_task_once|@verdict}).",
        "The whole run takes {every_task_once|wall}.",
    ],
    "counter-seed": [
        "Unlocked, the workers' count ends at {lost_counter-procs_*|final count} of "
        "{lost_counter-procs_*|expected}: {lost_counter-procs_*|lost} of the updates are "
        "lost (the seed's own runs lost {lost_counter-procs_*|seed lost from} to "
        "{lost_counter-procs_*|seed lost to}).",
        "With a lock every count is exact: {locked_exact|cases not exact} of "
        "{locked_exact|cases} locked cases missed.",
    ],
    "counter-contention": [
        "Two processes incrementing one counter without a lock lose "
        "{lost_counter-procs_none|lost} of the updates, two threads "
        "{lost_counter-threads_none|lost}; under the GIL "
        "{lost_gil_vs_free_threads|lost under the GIL}.",
        "Making it right costs: an atomic increment {cost_counter-procs_none|atomic}, a "
        "mutex {cost_counter-procs_none|mutex} ({cost_counter-procs_none|mutex / atomic}) "
        "and a semaphore {cost_counter-procs_none|semaphore}.",
    ],
    "counter-window": [
        "In a tight loop the unlocked counter loses {lost_counter-procs_tight|no window} "
        "of its updates, and {lost_counter-procs_tight|10 us} with a 10 µs window between "
        "load and store.",
        "With 10 µs of other work per increment it loses "
        "{lost_counter-procs_gap|no window} without a window, "
        "{lost_counter-procs_gap|1 us} with 1 µs and {lost_counter-procs_gap|10 us} with "
        "10 µs: the wider the window, the more updates are lost.",
    ],
    "switch": [
        "On one PU a switch costs {costs|coroutine} between coroutines, {costs|thread} "
        "between threads and {costs|process} between processes "
        "({costs|process / coroutine} a coroutine's).",
        "The tutorial's \"a million coroutine switches a second\": "
        "{million_per_s_coroutine|switches} here ({million_per_s_coroutine|@verdict}).",
    ],
    "io-fanout": [
        "The sleeps overlap under every model: coroutines take "
        "{largest_k|coroutines wall}, threads {largest_k|threads wall} and processes "
        "{largest_k|processes wall}.",
        "Creating one costs {largest_k|coroutines creation} for a coroutine, "
        "{largest_k|threads creation} for a thread and {largest_k|processes creation} "
        "for a process, and each keeps {largest_k|coroutines memory}, "
        "{largest_k|threads memory} and {largest_k|processes memory} of memory.",
    ],
    "tqueue-prodcons": [
        "queue.Queue between two threads carries {thread_queue_vs_process_queue|threads} "
        "({thread_queue_vs_process_queue|threads-gil} under the GIL), "
        "multiprocessing.Queue between two processes "
        "{thread_queue_vs_process_queue|mp-queue}.",
        "Crossing the process boundary costs a factor of "
        "{thread_queue_vs_process_queue|threads / mp-queue}.",
    ],
    "deadlock": [
        "The AB/BA deadlock happened in {detected|AB/BA deadlocked} of "
        "{detected|repetitions} repetitions and was detected after "
        "{detected|detected after} (timeout {detected|timeout}); Lock re-entry by its "
        "owner deadlocked {detected|Lock re-entry deadlocked} times, RLock re-entry "
        "failed {detected|RLock re-entry failed} times.",
        "The cures: one global lock order costs {cures|lock order} a round, try-lock "
        "with back-off {cures|try-lock with back-off} with {cures|retries} retries.",
    ],
    "price": [
        "Starting a process costs {primitives|fork} (fork, exit and wait), starting a "
        "thread {primitives|pthread_create}.",
        "A null system call costs {primitives|getppid} and a switch between two processes "
        "{primitives|process switch}.",
        "Against their peer tools: fork is {peers|fork / stress-ng} stress-ng's, the "
        "context switch {peers|switch / perf} perf bench's.",
    ],
    "cpython": [
        "CPython's interpreter starts in {cpython.fidelity.cpython_costs|start-up}, "
        "pickles 64 B there and back in {cpython.fidelity.cpython_costs|pickle} and calls "
        "an empty function in {cpython.fidelity.cpython_costs|empty call}: costs the C "
        "models do not have.",
        "A pool round trip costs {cpython.fidelity.pool_round_trip|CPython} in CPython "
        "against {cpython.fidelity.pool_round_trip|C} in C.",
        "Next to a CPU thread on another PU the GIL adds "
        "{cpython.fidelity.convoy_gil_wait_k1|CPython} to an "
        "echo round trip (a sendall and a recv) in CPython and "
        "{cpython.fidelity.convoy_gil_wait_k1|C} in the model.",
        "Threads speed IO tasks up {cpython.fidelity.tasks_io_thread_speedup|CPython} in "
        "CPython and {cpython.fidelity.tasks_io_thread_speedup|C} in the model.",
    ],
}
