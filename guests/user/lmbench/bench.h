/* guests/user/lmbench/bench.h - what the lmbench tools share: timing with
 * RDTSC, lmbench's overhead corrections, and reporting.
 *
 * A measurement, as lmbench 3's benchmp does it but with cycles for time
 * and one long run instead of the median of several short ones (on ringlab
 * every run is the same):
 *
 *   bench_announce(id)          "lmbench: ID" (the host's progress)
 *   fn(warmup, cookie)          untimed warm-up
 *   ringlab_begin(id)           the region opens (a system call)
 *   t0 = rdtsc()
 *   fn(n, cookie)               the timed loop: while (n-- > 0) { op }
 *   t1 = rdtsc()
 *   ringlab_end(id)             the region closes
 *   cycles = t1 - t0 - timer overhead - n * loop overhead
 *
 * and then whatever the tool subtracts on top (lmbench's own corrections:
 * the cost of sending a signal for lat_sig catch, of catching one for
 * prot, of the pipe and the working-set sum for lat_ctx, of mmap/munmap
 * for lat_pagefault). bench_report prints the result and reports it
 * through the ringlab call: results "<id>.cycles" (clamped at 0, as
 * lmbench clamps), "<id>.ops" and "<id>.subtracted" (all that was taken
 * off the measured t1 - t0); the host divides cycles by ops.
 *
 * The timer overhead is lmbench's t_overhead: an empty RDTSC..RDTSC
 * interval. The loop overhead is lmbench's l_overhead, measured its way:
 * a loop of one dependent load per iteration and a loop of two give
 * u1 = n (L + W) and u2 = n (L + 2W), so L = (2 u1 - u2) / n.
 */
#ifndef BENCH_H
#define BENCH_H

#include "libc.h"

/* the loop a tool times: fn(n, cookie) runs the operation n times */
typedef void (*bench_fn)(long n, void *cookie);

struct bench_time {
  int64_t raw;      /* t1 - t0 */
  int64_t overhead; /* timer and loop overhead in raw */
};

static inline int64_t bench_net(struct bench_time t) { return t.raw - t.overhead; }

/* Prints "lmbench: ID" (and flushes): a measurement starts. */
void bench_announce(const char *id);

/* Runs fn(warmup) untimed, then fn(n) timed; region is the ringlab region
 * around the timed call, or NULL for a helper measurement (one whose cost
 * is subtracted from another's) that has no region of its own. */
struct bench_time bench_measure(const char *region, bench_fn fn, long n, long warmup,
                                void *cookie);

/* The overheads bench_measure subtracts, for tools that time by hand. */
int64_t bench_timer_overhead(void);
int64_t bench_loop_overhead(long n);

/* Scales a helper's cost to n operations: total * n / total_ops, rounded
 * to the nearest cycle. */
int64_t bench_scale(int64_t total, int64_t total_ops, int64_t n);

/* Prints "<id>: <what>: C.CC cycles (CYCLES cycles / OPS ops, SUB
 * subtracted)" and reports the named results. cycles < 0 counts as 0. */
void bench_report(const char *id, const char *what, int64_t cycles, int64_t ops,
                  int64_t subtracted);

/* Reads every word of buf (lmbench's bread: how lat_ctx's processes sum
 * their working sets); the sum goes to a volatile sink. */
void bench_sum(const void *buf, size_t bytes);

/* Makes path a file of at least size bytes (creating or extending it with
 * zeros); returns 0, or -1 after printing why not. */
int bench_data_file(const char *path, size_t size);

/* "16k", "8m", "100": bytes as lmbench's bytes() reads them (k = 1024). */
long bench_bytes(const char *s);

/* The tools' common options: -N iterations and -W warm-up iterations.
 * Parses argv with getopt and the tool's own letters in extra (their
 * values go to on_option); returns optind, or -1 for an unknown option.
 * Defaults: n as the tool set it, warm-up n / 10 (at least 1). */
struct bench_opts {
  long n;
  long warmup;
  int n_given;      /* -N was given */
  int warmup_given; /* -W was given */
};
int bench_options(int argc, char **argv, struct bench_opts *o, const char *extra,
                  void (*on_option)(int opt, const char *arg));

/* prints usage: "usage: PROG USAGE" and exits 2 */
void bench_usage(const char *prog, const char *usage) __attribute__((noreturn));

#endif
