/*
 * FreeBSD D25510 parallel shootdown scoreboard (shared/research/algorithms.md §1), the
 * `crossfire` scenario of crates/engine/models/freebsd-scoreboard.sdm, written for SPIN
 * at the same granularity: one shared access (or one hardware action) per atomic step,
 * local computation merged into the step that follows it, spin-waits as blocking guards.
 * CPUs 0 and 1 each unmap a page and shoot down; every other CPU only takes interrupts.
 *
 *   -DNCPU=n          number of CPUs (2..4)
 *   -DINITIATOR_CLI   mutation E4: initiators wait with interrupts disabled
 *   -DNORESCAN        mutation E1: the handler serves one request and returns
 *   -DNOLATCH         mutation E1: the LAPIC drops an IPI that arrives while one is in service
 *
 * A deadlock or a lost shootdown is an invalid end state (a CPU blocked in its wait);
 * the D2 check is an assertion. Used by `cargo xtask bench` for the comparison with
 * `sdlab check` in BENCHMARKS.md.
 */
#ifndef NCPU
#define NCPU 3
#endif
#define OP_PG 8

byte sb[NCPU * NCPU];         /* scoreboard: row = target, column = initiator */
byte addr1[NCPU];
byte op[NCPU];
byte gen[NCPU];
byte pm_active;
bit intr[NCPU];               /* IF */
bit irr[NCPU];
bit isr[NCPU];
bit inh[NCPU];                /* the CPU runs its handler: its thread is interrupted */
byte pin[NCPU];
byte crit[NCPU];
bit pte_present[2];
bit frame_alloc[2];
byte frame_gen[2];

/* Set IRR at every target in the mask: one ICR write. */
inline send_ipi(mask) {
    t = 0;
    do
    :: t == NCPU -> break
    :: t < NCPU ->
        if
        :: mask & (1 << t) ->
            if
            :: irr[t] -> skip                      /* merged */
#ifdef NOLATCH
            :: !irr[t] && isr[t] -> skip           /* dropped */
            :: !irr[t] && !isr[t] -> irr[t] = 1
#else
            :: !irr[t] -> irr[t] = 1
#endif
            fi
        :: else -> skip
        fi;
        t++
    od
}

proctype Initiator(byte me; byte page) {
    byte f, mask, t, g;
    atomic { !inh[me] -> f = page; pte_present[page] = 0 }          /* pte_clear */
#ifdef INITIATOR_CLI
    atomic { !inh[me] -> intr[me] = 0 }
#endif
    atomic { !inh[me] -> pin[me]++ }                                /* P1 */
    atomic { !inh[me] -> mask = pm_active & ~(1 << me) }            /* I2, I3 */
    atomic { !inh[me] -> crit[me]++ }                               /* I4 */
    atomic { !inh[me] -> addr1[me] = page + 1 }                     /* I5 */
    atomic { !inh[me] -> g = gen[me] + 1; if :: g == 0 -> g = 1 :: else -> skip fi }  /* I8 read */
    atomic { !inh[me] -> gen[me] = g }                              /* I8 write */
    atomic { !inh[me] -> op[me] = OP_PG }                           /* I9 */
    atomic { !inh[me] -> skip }                                     /* I10 fence */
    t = 0;
    do
    :: atomic { t == NCPU -> break }
    :: atomic { t < NCPU && !(mask & (1 << t)) -> t++ }
    :: atomic { t < NCPU && (mask & (1 << t)) && !inh[me] -> assert(sb[t * NCPU + me] != 0) }   /* I11 read */
       atomic { !inh[me] -> sb[t * NCPU + me] = 0; t++ }                                        /* I11 write */
    od;
    atomic { !inh[me] -> send_ipi(mask) }                           /* I12 */
    atomic { !inh[me] -> skip }                                     /* I13 invlpg (TLB empty) */
    t = 0;
    do
    :: atomic { t == NCPU -> break }
    :: atomic { t < NCPU && !(mask & (1 << t)) -> t++ }
    :: atomic { t < NCPU && (mask & (1 << t)) && !inh[me] && sb[t * NCPU + me] == g -> t++ }    /* I14 */
    od;
    atomic { !inh[me] -> pin[me]-- }                                /* I15 */
    atomic { !inh[me] -> crit[me]-- }                               /* I16 */
#ifdef INITIATOR_CLI
    atomic { !inh[me] -> intr[me] = 1 }
#endif
    atomic { !inh[me] -> frame_alloc[f] = 0; frame_gen[f]++; intr[me] = 1 }   /* free_page; the CPU idles with IF=1 */
}

proctype Handler(byte me) {
    byte i, a, o, g;
    bit saved;
end:
    do
    :: atomic { intr[me] && irr[me] && !isr[me] -> irr[me] = 0; isr[me] = 1; saved = intr[me]; intr[me] = 0; inh[me] = 1; i = 0 }
       do
       :: atomic { i == NCPU -> break }
       :: atomic { i < NCPU && sb[me * NCPU + i] != 0 -> i++ }      /* H1: not this one */
       :: atomic { i < NCPU && sb[me * NCPU + i] == 0 -> skip }     /* H1: found */
          skip;                                                    /* H2 fence */
          a = addr1[i];                                            /* H4 */
          o = op[i];                                               /* H6 */
          g = gen[i];                                              /* H7 */
          skip;                                                    /* H8 fence */
          sb[me * NCPU + i] = g;                                   /* H9 ack */
#ifdef NORESCAN
          atomic { skip; break }                                   /* H10 invlpg; return */
#else
          atomic { skip; i = 0 }                                   /* H10 invlpg; H11 rescan */
#endif
       od;
       atomic { isr[me] = 0; intr[me] = saved; inh[me] = 0; i = 0; a = 0; o = 0; g = 0; saved = 0 }   /* H12 EOI + IRET */
    od
}

init {
    atomic {
        byte k = 0;
        do
        :: k < NCPU * NCPU -> sb[k] = 1; k++
        :: else -> break
        od;
        k = 0;
        do
        :: k < NCPU -> intr[k] = 1; pm_active = pm_active | (1 << k); k++
        :: else -> break
        od;
        pte_present[0] = 1; pte_present[1] = 1; frame_alloc[0] = 1; frame_alloc[1] = 1;
        k = 0;
        do
        :: k < NCPU -> run Handler(k); k++
        :: else -> break
        od;
        run Initiator(0, 0);
        run Initiator(1, 1)
    }
}
