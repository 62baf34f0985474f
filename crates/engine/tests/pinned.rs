//! Exact results of every bundled model's scenarios with default options, at 2 and 3
//! CPUs, and of every declared race, in three modes: breadth-first with CPU symmetry (where the analysis accepts
//! the configuration), breadth-first without, and depth-first with partial-order
//! reduction. States, transitions and maximum depth are pinned as well as the verdict,
//! so that a change in the machine, the searches or a reduction that moves any count
//! shows up here and has to be explained. Configurations above `LIMIT` states are left
//! out (they belong to the benchmarks). `cargo test -p sdlab-engine --test pinned --
//! --ignored --nocapture print_table` prints the table from the current code.

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome};
use sdlab_engine::*;

const LIMIT: usize = 200_000;

/// (model, scenario, CPUs, mode, verdict, states, transitions, depth)
type Row = (&'static str, &'static str, u32, &'static str, &'static str, u64, u64, u32);

const TABLE: &[Row] = &[
    ("freebsd-scoreboard", "unmap_free", 2, "bfs", "verified", 403, 1380, 32),
    ("freebsd-scoreboard", "unmap_free", 2, "bfs-nosym", "verified", 403, 1380, 32),
    ("freebsd-scoreboard", "unmap_free", 2, "dfs-por", "verified", 375, 613, 32),
    ("freebsd-scoreboard", "unmap_free", 3, "bfs", "verified", 25453, 137018, 52),
    ("freebsd-scoreboard", "unmap_free", 3, "bfs-nosym", "verified", 25453, 137018, 52),
    ("freebsd-scoreboard", "unmap_free", 3, "dfs-por", "verified", 22134, 48710, 52),
    ("freebsd-scoreboard", "crossfire", 2, "bfs", "verified", 3224, 12288, 59),
    ("freebsd-scoreboard", "crossfire", 2, "bfs-nosym", "verified", 3224, 12288, 59),
    ("freebsd-scoreboard", "crossfire", 2, "dfs-por", "verified", 2844, 4876, 59),
    ("freebsd-scoreboard", "crossfire", 3, "dfs-por", "verified", 172408, 385948, 93),
    ("freebsd-scoreboard", "rendezvous", 2, "bfs", "verified", 678, 2424, 46),
    ("freebsd-scoreboard", "rendezvous", 2, "bfs-nosym", "verified", 678, 2424, 46),
    ("freebsd-scoreboard", "rendezvous", 2, "dfs-por", "verified", 670, 1146, 46),
    ("freebsd-scoreboard", "rendezvous", 3, "bfs", "verified", 5107, 25736, 68),
    ("freebsd-scoreboard", "rendezvous", 3, "bfs-nosym", "verified", 5107, 25736, 68),
    ("freebsd-scoreboard", "rendezvous", 3, "dfs-por", "verified", 4875, 10886, 68),
    ("freebsd-scoreboard", "switch_back", 2, "bfs", "verified", 841, 2956, 39),
    ("freebsd-scoreboard", "switch_back", 2, "bfs-nosym", "verified", 841, 2956, 39),
    ("freebsd-scoreboard", "switch_back", 2, "dfs-por", "verified", 793, 1202, 39),
    ("freebsd-scoreboard", "switch_back", 3, "bfs", "verified", 7981, 40798, 55),
    ("freebsd-scoreboard", "switch_back", 3, "bfs-nosym", "verified", 7981, 40798, 55),
    ("freebsd-scoreboard", "switch_back", 3, "dfs-por", "verified", 6927, 13842, 56),
    ("freebsd-scoreboard", "race:E4", 2, "bfs", "G-DEADLOCK/28", 376, 656, 27),
    ("freebsd-scoreboard", "race:E4", 2, "bfs-nosym", "G-DEADLOCK/28", 376, 656, 27),
    ("freebsd-scoreboard", "race:E4", 2, "dfs-por", "G-DEADLOCK/28", 225, 272, 63),
    ("freebsd-scoreboard", "race:E1", 3, "bfs", "G-NOLOST/67", 50642, 143018, 66),
    ("freebsd-scoreboard", "race:E1", 3, "bfs-nosym", "G-NOLOST/67", 50642, 143018, 66),
    ("freebsd-scoreboard", "race:E1", 3, "dfs-por", "G-NOLOST/67", 68, 67, 67),
    ("freebsd-scoreboard", "race:E1_latch", 3, "bfs", "G-NOLOST/76", 144979, 415360, 75),
    ("freebsd-scoreboard", "race:E1_latch", 3, "bfs-nosym", "G-NOLOST/76", 144979, 415360, 75),
    ("freebsd-scoreboard", "race:E1_latch", 3, "dfs-por", "G-NOLOST/76", 4688, 10528, 93),
    ("freebsd-scoreboard", "race:E2", 2, "bfs", "G-STALE/28", 1573, 3263, 27),
    ("freebsd-scoreboard", "race:E2", 2, "bfs-nosym", "G-STALE/28", 1573, 3263, 27),
    ("freebsd-scoreboard", "race:E2", 2, "dfs-por", "G-STALE/28", 1503, 3021, 34),
    ("freebsd-scoreboard", "race:E2_window", 2, "bfs", "G-USERMODE-WINDOW/23", 1016, 2054, 22),
    ("freebsd-scoreboard", "race:E2_window", 2, "bfs-nosym", "G-USERMODE-WINDOW/23", 1016, 2054, 22),
    ("freebsd-scoreboard", "race:E2_window", 2, "dfs-por", "G-USERMODE-WINDOW/28", 1503, 3021, 34),
    ("freebsd-scoreboard", "race:E3", 2, "bfs", "G-STALE/18", 426, 741, 17),
    ("freebsd-scoreboard", "race:E3", 2, "bfs-nosym", "G-STALE/18", 426, 741, 17),
    ("freebsd-scoreboard", "race:E3", 2, "dfs-por", "G-STALE/41", 847, 1310, 42),
    ("freebsd-scoreboard", "race:E3_tso", 2, "bfs", "G-STALE/18", 807, 1733, 17),
    ("freebsd-scoreboard", "race:E3_tso", 2, "bfs-nosym", "G-STALE/18", 807, 1733, 17),
    ("freebsd-scoreboard", "race:E3_tso", 2, "dfs-por", "G-STALE/18", 1665, 3085, 42),
    ("freebsd-scoreboard", "race:E5", 2, "bfs", "G-STALE/17", 2558, 6766, 16),
    ("freebsd-scoreboard", "race:E5", 2, "bfs-nosym", "G-STALE/17", 2558, 6766, 16),
    ("freebsd-scoreboard", "race:E5", 2, "dfs-por", "G-STALE/19", 2931, 7210, 42),
    ("freebsd-scoreboard", "race:E4_rendezvous", 2, "bfs", "G-DEADLOCK/21", 203, 353, 20),
    ("freebsd-scoreboard", "race:E4_rendezvous", 2, "bfs-nosym", "G-DEADLOCK/21", 203, 353, 20),
    ("freebsd-scoreboard", "race:E4_rendezvous", 2, "dfs-por", "G-DEADLOCK/21", 138, 182, 48),
    ("freebsd-scoreboard", "sched_migrate", 2, "bfs", "verified", 36906, 212800, 57),
    ("freebsd-scoreboard", "sched_migrate", 2, "bfs-nosym", "verified", 36906, 212800, 57),
    ("freebsd-scoreboard", "sched_migrate", 2, "dfs-por", "verified", 36906, 106400, 253),
    ("freebsd-scoreboard", "race:E3_unpinned", 2, "bfs", "G-STALE/21", 33090, 84483, 20),
    ("freebsd-scoreboard", "race:E3_unpinned", 2, "bfs-nosym", "G-STALE/21", 33090, 84483, 20),
    ("freebsd-scoreboard", "race:E3_unpinned", 2, "dfs-por", "G-STALE/49", 14205, 40462, 320),
    ("freebsd-scoreboard", "race:P1_unpinned", 2, "bfs", "G-STALE/19", 15551, 41790, 18),
    ("freebsd-scoreboard", "race:P1_unpinned", 2, "bfs-nosym", "G-STALE/19", 15551, 41790, 18),
    ("freebsd-scoreboard", "race:P1_unpinned", 2, "dfs-por", "G-STALE/48", 18854, 55182, 251),
    ("freebsd-global", "unmap_free", 2, "bfs", "verified", 249, 848, 26),
    ("freebsd-global", "unmap_free", 2, "bfs-nosym", "verified", 249, 848, 26),
    ("freebsd-global", "unmap_free", 2, "dfs-por", "verified", 207, 301, 26),
    ("freebsd-global", "unmap_free", 3, "bfs", "verified", 5753, 30788, 36),
    ("freebsd-global", "unmap_free", 3, "bfs-nosym", "verified", 5753, 30788, 36),
    ("freebsd-global", "unmap_free", 3, "dfs-por", "verified", 3730, 7725, 36),
    ("freebsd-global", "crossfire", 2, "bfs", "verified", 682, 2424, 46),
    ("freebsd-global", "crossfire", 2, "bfs-nosym", "verified", 682, 2424, 46),
    ("freebsd-global", "crossfire", 2, "dfs-por", "verified", 511, 734, 52),
    ("freebsd-global", "crossfire", 3, "bfs", "verified", 2960, 14420, 60),
    ("freebsd-global", "crossfire", 3, "bfs-nosym", "verified", 2960, 14420, 60),
    ("freebsd-global", "crossfire", 3, "dfs-por", "verified", 1843, 3338, 66),
    ("freebsd-global", "crossfire_locked", 2, "bfs", "assert/6", 27, 42, 5),
    ("freebsd-global", "crossfire_locked", 2, "bfs-nosym", "assert/6", 27, 42, 5),
    ("freebsd-global", "crossfire_locked", 2, "dfs-por", "assert/29", 29, 29, 28),
    ("freebsd-global", "crossfire_locked", 3, "bfs", "assert/6", 27, 42, 5),
    ("freebsd-global", "crossfire_locked", 3, "bfs-nosym", "assert/6", 27, 42, 5),
    ("freebsd-global", "crossfire_locked", 3, "dfs-por", "assert/24", 24, 24, 23),
    ("freebsd-global", "race:X1", 2, "bfs", "G-DEADLOCK/20", 227, 387, 19),
    ("freebsd-global", "race:X1", 2, "bfs-nosym", "G-DEADLOCK/20", 227, 387, 19),
    ("freebsd-global", "race:X1", 2, "dfs-por", "G-DEADLOCK/20", 176, 224, 49),
    ("mach", "unmap_free", 2, "bfs", "verified", 217, 718, 34),
    ("mach", "unmap_free", 2, "bfs-nosym", "verified", 217, 718, 34),
    ("mach", "unmap_free", 2, "dfs-por", "verified", 214, 317, 34),
    ("mach", "unmap_free", 3, "bfs", "verified", 5386, 28604, 56),
    ("mach", "unmap_free", 3, "bfs-nosym", "verified", 5386, 28604, 56),
    ("mach", "unmap_free", 3, "dfs-por", "verified", 5175, 11094, 56),
    ("mach", "crossfire", 2, "bfs", "verified", 1567, 5960, 62),
    ("mach", "crossfire", 2, "bfs-nosym", "verified", 1567, 5960, 62),
    ("mach", "crossfire", 2, "dfs-por", "verified", 1514, 2570, 62),
    ("mach", "crossfire", 3, "bfs", "verified", 78559, 458816, 108),
    ("mach", "crossfire", 3, "bfs-nosym", "verified", 78559, 458816, 108),
    ("mach", "crossfire", 3, "dfs-por", "verified", 75794, 184978, 113),
    ("mach", "switch_back", 2, "bfs", "verified", 790, 2780, 44),
    ("mach", "switch_back", 2, "bfs-nosym", "verified", 790, 2780, 44),
    ("mach", "switch_back", 2, "dfs-por", "verified", 765, 1184, 46),
    ("mach", "switch_back", 3, "bfs", "verified", 6448, 33684, 64),
    ("mach", "switch_back", 3, "bfs-nosym", "verified", 6448, 33684, 64),
    ("mach", "switch_back", 3, "dfs-por", "verified", 6127, 12637, 66),
    ("mach", "idle_wake", 2, "bfs", "verified", 1723, 6138, 64),
    ("mach", "idle_wake", 2, "bfs-nosym", "verified", 1723, 6138, 64),
    ("mach", "idle_wake", 2, "dfs-por", "verified", 1654, 2522, 64),
    ("mach", "idle_wake", 3, "bfs", "verified", 25408, 138042, 85),
    ("mach", "idle_wake", 3, "bfs-nosym", "verified", 25408, 138042, 85),
    ("mach", "idle_wake", 3, "dfs-por", "verified", 23765, 48701, 85),
    ("mach", "kernel_enter", 2, "bfs", "verified", 254, 886, 37),
    ("mach", "kernel_enter", 2, "bfs-nosym", "verified", 254, 886, 37),
    ("mach", "kernel_enter", 2, "dfs-por", "verified", 245, 373, 37),
    ("mach", "kernel_enter", 3, "bfs", "verified", 1607, 7970, 57),
    ("mach", "kernel_enter", 3, "bfs-nosym", "verified", 1607, 7970, 57),
    ("mach", "kernel_enter", 3, "dfs-por", "verified", 1521, 2922, 57),
    ("mach", "race:M_D1", 2, "bfs", "G-DEADLOCK/24", 240, 414, 23),
    ("mach", "race:M_D1", 2, "bfs-nosym", "G-DEADLOCK/24", 240, 414, 23),
    ("mach", "race:M_D1", 2, "dfs-por", "G-DEADLOCK/24", 102, 126, 35),
    ("mach", "race:M_D2", 2, "bfs", "G-DEADLOCK/13", 66, 102, 12),
    ("mach", "race:M_D2", 2, "bfs-nosym", "G-DEADLOCK/13", 66, 102, 12),
    ("mach", "race:M_D2", 2, "dfs-por", "G-DEADLOCK/13", 256, 370, 62),
    ("mach", "race:M_R2", 2, "bfs", "G-STALE/24", 1114, 3123, 23),
    ("mach", "race:M_R2", 2, "bfs-nosym", "G-STALE/24", 1114, 3123, 23),
    ("mach", "race:M_R2", 2, "dfs-por", "G-STALE/26", 270, 653, 38),
    ("mach", "race:M_R1", 3, "bfs", "G-DEADLOCK/58", 8104, 19718, 57),
    ("mach", "race:M_R1", 3, "bfs-nosym", "G-DEADLOCK/58", 8104, 19718, 57),
    ("mach", "race:M_R1", 3, "dfs-por", "G-NOLOST/72", 602, 1085, 89),
    ("mach", "race:M_A2", 2, "bfs", "G-STALE/21", 287, 482, 20),
    ("mach", "race:M_A2", 2, "bfs-nosym", "G-STALE/21", 287, 482, 20),
    ("mach", "race:M_A2", 2, "dfs-por", "G-STALE/29", 477, 720, 42),
    ("mach", "race:M_I1", 2, "bfs", "G-STALE/35", 849, 1473, 34),
    ("mach", "race:M_I1", 2, "bfs-nosym", "G-STALE/35", 849, 1473, 34),
    ("mach", "race:M_I1", 2, "dfs-por", "G-STALE/41", 297, 399, 54),
    ("mach", "race:M_I2", 2, "bfs", "G-STALE/36", 1334, 2300, 35),
    ("mach", "race:M_I2", 2, "bfs-nosym", "G-STALE/36", 1334, 2300, 35),
    ("mach", "race:M_I2", 2, "dfs-por", "G-STALE/44", 308, 414, 55),
    ("mach", "sched_switch", 2, "bfs", "verified", 43394, 231180, 76),
    ("mach", "sched_switch", 2, "bfs-nosym", "verified", 43394, 231180, 76),
    ("mach", "sched_switch", 2, "dfs-por", "verified", 43394, 115590, 422),
    ("mach", "race:M_A4_sched", 2, "bfs", "G-STALE/23", 6266, 14852, 22),
    ("mach", "race:M_A4_sched", 2, "bfs-nosym", "G-STALE/23", 6266, 14852, 22),
    ("mach", "race:M_A4_sched", 2, "dfs-por", "G-STALE/26", 21451, 57259, 322),
    ("dillon-2004", "launder", 2, "bfs", "verified", 178, 560, 24),
    ("dillon-2004", "launder", 2, "bfs-nosym", "verified", 178, 560, 24),
    ("dillon-2004", "launder", 2, "dfs-por", "verified", 162, 244, 24),
    ("dillon-2004", "launder", 3, "bfs", "verified", 1586, 10997, 34),
    ("dillon-2004", "launder", 3, "bfs-nosym", "verified", 2993, 14380, 34),
    ("dillon-2004", "launder", 3, "dfs-por", "verified", 2465, 5226, 34),
    ("dillon-2004", "pageout", 2, "bfs", "verified", 147, 460, 24),
    ("dillon-2004", "pageout", 2, "bfs-nosym", "verified", 147, 460, 24),
    ("dillon-2004", "pageout", 2, "dfs-por", "verified", 135, 202, 24),
    ("dillon-2004", "pageout", 3, "bfs", "verified", 1095, 7632, 34),
    ("dillon-2004", "pageout", 3, "bfs-nosym", "verified", 2043, 9944, 34),
    ("dillon-2004", "pageout", 3, "dfs-por", "verified", 1753, 3670, 34),
    ("dillon-2004", "protect", 2, "bfs", "verified", 146, 446, 24),
    ("dillon-2004", "protect", 2, "bfs-nosym", "verified", 146, 446, 24),
    ("dillon-2004", "protect", 2, "dfs-por", "verified", 137, 201, 24),
    ("dillon-2004", "protect", 3, "bfs", "verified", 1241, 8483, 34),
    ("dillon-2004", "protect", 3, "bfs-nosym", "verified", 2336, 11086, 34),
    ("dillon-2004", "protect", 3, "dfs-por", "verified", 2077, 4292, 34),
    ("dillon-2004", "protect_once", 2, "bfs", "verified", 68, 194, 22),
    ("dillon-2004", "protect_once", 2, "bfs-nosym", "verified", 68, 194, 22),
    ("dillon-2004", "protect_once", 2, "dfs-por", "verified", 63, 85, 22),
    ("dillon-2004", "protect_once", 3, "bfs", "verified", 296, 1786, 30),
    ("dillon-2004", "protect_once", 3, "bfs-nosym", "verified", 524, 2286, 30),
    ("dillon-2004", "protect_once", 3, "dfs-por", "verified", 461, 860, 30),
    ("dillon-2004", "race:async", 2, "bfs", "G-DIRTY/10", 120, 175, 9),
    ("dillon-2004", "race:async", 2, "bfs-nosym", "G-DIRTY/10", 120, 175, 9),
    ("dillon-2004", "race:async", 2, "dfs-por", "G-DIRTY/10", 183, 278, 16),
    ("dillon-2004", "race:A", 2, "bfs", "assert/15", 113, 149, 14),
    ("dillon-2004", "race:A", 2, "bfs-nosym", "assert/15", 113, 149, 14),
    ("dillon-2004", "race:A", 2, "dfs-por", "assert/15", 71, 101, 18),
    ("dillon-2004", "race:C", 2, "bfs", "G-DIRTY/14", 59, 72, 13),
    ("dillon-2004", "race:C", 2, "bfs-nosym", "G-DIRTY/14", 59, 72, 13),
    ("dillon-2004", "race:C", 2, "dfs-por", "G-DIRTY/14", 44, 54, 15),
    ("dillon-2004", "race:R5_2004", 2, "bfs", "G-USERMODE-WINDOW/18", 333, 631, 17),
    ("dillon-2004", "race:R5_2004", 2, "bfs-nosym", "G-USERMODE-WINDOW/18", 333, 631, 17),
    ("dillon-2004", "race:R5_2004", 2, "dfs-por", "G-USERMODE-WINDOW/22", 395, 719, 26),
    ("linux", "switch_back", 2, "bfs", "verified", 3348, 12586, 47),
    ("linux", "switch_back", 2, "bfs-nosym", "verified", 3348, 12586, 47),
    ("linux", "switch_back", 2, "dfs-por", "verified", 3202, 4945, 47),
    ("linux", "switch_back", 3, "bfs", "verified", 25563, 140902, 64),
    ("linux", "switch_back", 3, "bfs-nosym", "verified", 25563, 140902, 64),
    ("linux", "switch_back", 3, "dfs-por", "verified", 23490, 47147, 64),
    ("linux", "unmap_touch", 2, "bfs", "verified", 553, 1996, 34),
    ("linux", "unmap_touch", 2, "bfs-nosym", "verified", 553, 1996, 34),
    ("linux", "unmap_touch", 2, "dfs-por", "verified", 543, 834, 34),
    ("linux", "unmap_touch", 3, "bfs", "verified", 30661, 174060, 53),
    ("linux", "unmap_touch", 3, "bfs-nosym", "verified", 30661, 174060, 53),
    ("linux", "unmap_touch", 3, "dfs-por", "verified", 29282, 63010, 53),
    ("linux", "crossfire", 2, "bfs", "verified", 11239, 42948, 60),
    ("linux", "crossfire", 2, "bfs-nosym", "verified", 11239, 42948, 60),
    ("linux", "crossfire", 2, "dfs-por", "verified", 10721, 17276, 64),
    ("linux", "writeback", 2, "bfs", "verified", 579, 2076, 37),
    ("linux", "writeback", 2, "bfs-nosym", "verified", 579, 2076, 37),
    ("linux", "writeback", 2, "dfs-por", "verified", 569, 874, 37),
    ("linux", "writeback", 3, "bfs", "verified", 30867, 174910, 56),
    ("linux", "writeback", 3, "bfs-nosym", "verified", 30867, 174910, 56),
    ("linux", "writeback", 3, "dfs-por", "verified", 29488, 63435, 56),
    ("linux", "migrate", 2, "bfs", "verified", 112, 370, 37),
    ("linux", "migrate", 2, "bfs-nosym", "verified", 112, 370, 37),
    ("linux", "migrate", 2, "dfs-por", "verified", 110, 155, 37),
    ("linux", "migrate", 3, "bfs", "verified", 1221, 6500, 54),
    ("linux", "migrate", 3, "bfs-nosym", "verified", 1221, 6500, 54),
    ("linux", "migrate", 3, "dfs-por", "verified", 1166, 2355, 54),
    ("linux", "lazy_back", 2, "bfs", "verified", 2031, 7656, 46),
    ("linux", "lazy_back", 2, "bfs-nosym", "verified", 2031, 7656, 46),
    ("linux", "lazy_back", 2, "dfs-por", "verified", 1969, 3076, 46),
    ("linux", "lazy_back", 3, "bfs", "verified", 21397, 118896, 63),
    ("linux", "lazy_back", 3, "bfs-nosym", "verified", 21397, 118896, 63),
    ("linux", "lazy_back", 3, "dfs-por", "verified", 20044, 41185, 63),
    ("linux", "lazy_free_tables", 2, "bfs", "verified", 218, 772, 32),
    ("linux", "lazy_free_tables", 2, "bfs-nosym", "verified", 218, 772, 32),
    ("linux", "lazy_free_tables", 2, "dfs-por", "verified", 214, 322, 32),
    ("linux", "lazy_free_tables", 3, "bfs", "verified", 2531, 13758, 48),
    ("linux", "lazy_free_tables", 3, "bfs-nosym", "verified", 2531, 13758, 48),
    ("linux", "lazy_free_tables", 3, "dfs-por", "verified", 2419, 4995, 48),
    ("linux", "race:LX1", 2, "bfs", "G-STALE/29", 1466, 2652, 28),
    ("linux", "race:LX1", 2, "bfs-nosym", "G-STALE/29", 1466, 2652, 28),
    ("linux", "race:LX1", 2, "dfs-por", "G-STALE/29", 2048, 3138, 46),
    ("linux", "race:LX2", 2, "bfs", "G-STALE/30", 5631, 14686, 29),
    ("linux", "race:LX2", 2, "bfs-nosym", "G-STALE/30", 5631, 14686, 29),
    ("linux", "race:LX2", 2, "dfs-por", "G-STALE/32", 7959, 18363, 48),
    ("linux", "race:LX4", 2, "bfs", "G-DEADLOCK/34", 992, 1812, 33),
    ("linux", "race:LX4", 2, "bfs-nosym", "G-DEADLOCK/34", 992, 1812, 33),
    ("linux", "race:LX4", 2, "dfs-por", "G-DEADLOCK/34", 267, 367, 66),
    ("linux", "race:AX1", 2, "bfs", "G-STALE/31", 3490, 7465, 30),
    ("linux", "race:AX1", 2, "bfs-nosym", "G-STALE/31", 3490, 7465, 30),
    ("linux", "race:AX1", 2, "dfs-por", "G-STALE/31", 3566, 6850, 38),
    ("linux", "race:AX1_window", 2, "bfs", "G-USERMODE-WINDOW/22", 1539, 3130, 21),
    ("linux", "race:AX1_window", 2, "bfs-nosym", "G-USERMODE-WINDOW/22", 1539, 3130, 21),
    ("linux", "race:AX1_window", 2, "dfs-por", "G-USERMODE-WINDOW/31", 3566, 6850, 38),
    ("linux", "race:AX2", 2, "bfs", "G-DIRTY/33", 694, 1234, 32),
    ("linux", "race:AX2", 2, "bfs-nosym", "G-DIRTY/33", 694, 1234, 32),
    ("linux", "race:AX2", 2, "dfs-por", "G-DIRTY/33", 591, 931, 40),
    ("linux", "race:LX3", 2, "bfs", "G-STALE/19", 1075, 2428, 18),
    ("linux", "race:LX3", 2, "bfs-nosym", "G-STALE/19", 1075, 2428, 18),
    ("linux", "race:LX3", 2, "dfs-por", "G-STALE/21", 708, 1272, 36),
    ("linux", "race:AX4", 2, "bfs", "G-STALE/29", 3395, 8520, 28),
    ("linux", "race:AX4", 2, "bfs-nosym", "G-STALE/29", 3395, 8520, 28),
    ("linux", "race:AX4", 2, "dfs-por", "G-STALE/36", 842, 1546, 37),
    ("linux", "race:LX5", 2, "bfs", "G-MEM/24", 333, 574, 23),
    ("linux", "race:LX5", 2, "bfs-nosym", "G-MEM/24", 333, 574, 23),
    ("linux", "race:LX5", 2, "dfs-por", "G-MEM/26", 26, 26, 25),
    ("linux", "race:INVLPGB_migrate", 2, "bfs", "G-STALE/10", 49, 90, 9),
    ("linux", "race:INVLPGB_migrate", 2, "bfs-nosym", "G-STALE/10", 49, 90, 9),
    ("linux", "race:INVLPGB_migrate", 2, "dfs-por", "G-STALE/10", 50, 90, 12),
    ("dragonfly", "unmap_free", 2, "bfs", "verified", 731, 2622, 67),
    ("dragonfly", "unmap_free", 2, "bfs-nosym", "verified", 731, 2622, 67),
    ("dragonfly", "unmap_free", 2, "dfs-por", "verified", 731, 1308, 67),
    ("dragonfly", "unmap_free", 3, "bfs", "verified", 26158, 143328, 105),
    ("dragonfly", "unmap_free", 3, "bfs-nosym", "verified", 26158, 143328, 105),
    ("dragonfly", "unmap_free", 3, "dfs-por", "verified", 26140, 70848, 105),
    ("dragonfly", "crossfire", 2, "bfs", "verified", 1394, 4920, 130),
    ("dragonfly", "crossfire", 2, "bfs-nosym", "verified", 1394, 4920, 130),
    ("dragonfly", "crossfire", 2, "dfs-por", "verified", 1394, 2454, 131),
    ("dragonfly", "crossfire", 3, "bfs", "verified", 60016, 333350, 204),
    ("dragonfly", "crossfire", 3, "bfs-nosym", "verified", 60016, 333350, 204),
    ("dragonfly", "crossfire", 3, "dfs-por", "verified", 60004, 164365, 208),
    ("dragonfly", "two_pages", 2, "bfs", "verified", 3068, 11650, 135),
    ("dragonfly", "two_pages", 2, "bfs-nosym", "verified", 3068, 11650, 135),
    ("dragonfly", "two_pages", 2, "dfs-por", "verified", 3068, 5807, 135),
    ("dragonfly", "protect_race", 2, "bfs", "verified", 1648, 5826, 132),
    ("dragonfly", "protect_race", 2, "bfs-nosym", "verified", 1648, 5826, 132),
    ("dragonfly", "protect_race", 2, "dfs-por", "verified", 1648, 2906, 134),
    ("dragonfly", "protect_race", 3, "bfs", "verified", 86099, 481052, 206),
    ("dragonfly", "protect_race", 3, "bfs-nosym", "verified", 86099, 481052, 206),
    ("dragonfly", "protect_race", 3, "dfs-por", "verified", 86085, 237188, 210),
    ("dragonfly", "switch_in", 2, "bfs", "verified", 1974, 7192, 72),
    ("dragonfly", "switch_in", 2, "bfs-nosym", "verified", 1974, 7192, 72),
    ("dragonfly", "switch_in", 2, "dfs-por", "verified", 1974, 3588, 72),
    ("dragonfly", "switch_in", 3, "bfs", "verified", 24335, 130180, 108),
    ("dragonfly", "switch_in", 3, "bfs-nosym", "verified", 24335, 130180, 108),
    ("dragonfly", "switch_in", 3, "dfs-por", "verified", 24319, 64415, 108),
    ("dragonfly", "crit_wait", 2, "bfs", "verified", 1202, 4606, 78),
    ("dragonfly", "crit_wait", 2, "bfs-nosym", "verified", 1202, 4606, 78),
    ("dragonfly", "crit_wait", 2, "dfs-por", "verified", 1202, 2302, 78),
    ("dragonfly", "crit_wait", 3, "bfs", "verified", 76350, 447136, 126),
    ("dragonfly", "crit_wait", 3, "bfs-nosym", "verified", 76350, 447136, 126),
    ("dragonfly", "crit_wait", 3, "dfs-por", "verified", 76344, 222640, 126),
    ("dragonfly", "xinvltlb_free", 2, "bfs", "verified", 1434, 5484, 53),
    ("dragonfly", "xinvltlb_free", 2, "bfs-nosym", "verified", 1434, 5484, 53),
    ("dragonfly", "xinvltlb_free", 2, "dfs-por", "verified", 1353, 2419, 104),
    ("dragonfly", "xinvltlb_free", 3, "bfs", "verified", 147690, 841554, 70),
    ("dragonfly", "xinvltlb_free", 3, "bfs-nosym", "verified", 147690, 841554, 70),
    ("dragonfly", "xinvltlb_free", 3, "dfs-por", "verified", 132840, 314130, 179),
    ("dragonfly", "xinvltlb_crossfire", 2, "bfs", "verified", 82162, 338096, 97),
    ("dragonfly", "xinvltlb_crossfire", 2, "bfs-nosym", "verified", 82162, 338096, 97),
    ("dragonfly", "xinvltlb_crossfire", 2, "dfs-por", "verified", 79430, 151536, 216),
    ("dragonfly", "race:R1", 2, "bfs", "G-DEADLOCK/64", 36214, 69652, 63),
    ("dragonfly", "race:R1", 2, "bfs-nosym", "G-DEADLOCK/64", 36214, 69652, 63),
    ("dragonfly", "race:R2", 2, "bfs", "G-NOLOST/79", 438, 757, 78),
    ("dragonfly", "race:R2", 2, "bfs-nosym", "G-NOLOST/79", 438, 757, 78),
    ("dragonfly", "race:R2", 2, "dfs-por", "G-NOLOST/79", 1039, 1843, 132),
    ("dragonfly", "race:R3", 2, "bfs", "G-NOLOST/22", 54, 77, 21),
    ("dragonfly", "race:R3", 2, "bfs-nosym", "G-NOLOST/22", 54, 77, 21),
    ("dragonfly", "race:R3", 2, "dfs-por", "G-NOLOST/22", 257, 437, 70),
    ("dragonfly", "race:R4", 2, "bfs", "G-STALE/20", 234, 400, 19),
    ("dragonfly", "race:R4", 2, "bfs-nosym", "G-STALE/20", 234, 400, 19),
    ("dragonfly", "race:R4", 2, "dfs-por", "G-STALE/21", 1703, 3096, 69),
    ("dragonfly", "race:R5", 2, "bfs", "G-USERMODE-WINDOW/42", 869, 1697, 41),
    ("dragonfly", "race:R5", 2, "bfs-nosym", "G-USERMODE-WINDOW/42", 869, 1697, 41),
    ("dragonfly", "race:R5", 2, "dfs-por", "G-USERMODE-WINDOW/57", 2252, 4625, 69),
    ("dragonfly", "race:R5_stale", 2, "bfs", "G-STALE/56", 2491, 5371, 55),
    ("dragonfly", "race:R5_stale", 2, "bfs-nosym", "G-STALE/56", 2491, 5371, 55),
    ("dragonfly", "race:R5_stale", 2, "dfs-por", "G-STALE/57", 2252, 4625, 69),
    ("dragonfly", "race:R6", 2, "bfs", "G-MEM/52", 434, 712, 51),
    ("dragonfly", "race:R6", 2, "bfs-nosym", "G-MEM/52", 434, 712, 51),
    ("dragonfly", "race:R6", 2, "dfs-por", "G-MEM/54", 54, 54, 53),
    ("dragonfly", "race:R7", 2, "bfs", "G-NOLOST/16", 51, 77, 15),
    ("dragonfly", "race:R7", 2, "bfs-nosym", "G-NOLOST/16", 51, 77, 15),
    ("dragonfly", "race:R7", 2, "dfs-por", "G-NOLOST/16", 223, 319, 42),
    ("dragonfly", "race:R7_cpusync", 2, "bfs", "G-NOLOST/20", 72, 113, 19),
    ("dragonfly", "race:R7_cpusync", 2, "bfs-nosym", "G-NOLOST/20", 72, 113, 19),
    ("dragonfly", "race:R7_cpusync", 2, "dfs-por", "G-NOLOST/20", 662, 1172, 67),
    ("dragonfly", "race:R8", 2, "bfs", "G-STALE/41", 1746, 3288, 40),
    ("dragonfly", "race:R8", 2, "bfs-nosym", "G-STALE/41", 1746, 3288, 40),
    ("dragonfly", "race:R8", 2, "dfs-por", "G-STALE/95", 366, 592, 94),
    ("dragonfly", "race:R9", 2, "bfs", "G-DEADLOCK/24", 305, 449, 23),
    ("dragonfly", "race:R9", 2, "bfs-nosym", "G-DEADLOCK/24", 305, 449, 23),
    ("dragonfly", "race:R9", 2, "dfs-por", "G-DEADLOCK/24", 1186, 1794, 74),
    ("dragonfly", "sched_switch", 2, "bfs", "verified", 67320, 343508, 99),
    ("dragonfly", "sched_switch", 2, "bfs-nosym", "verified", 67320, 343508, 99),
    ("dragonfly", "sched_switch", 2, "dfs-por", "verified", 67320, 171754, 276),
    ("dragonfly", "sched_same", 2, "bfs", "verified", 132623, 701246, 105),
    ("dragonfly", "sched_same", 2, "bfs-nosym", "verified", 132623, 701246, 105),
    ("dragonfly", "sched_same", 2, "dfs-por", "verified", 132623, 350623, 304),
    ("dragonfly", "race:R4_sched", 2, "bfs", "G-STALE/25", 5110, 13059, 24),
    ("dragonfly", "race:R4_sched", 2, "bfs-nosym", "G-STALE/25", 5110, 13059, 24),
    ("dragonfly", "race:R4_sched", 2, "dfs-por", "G-STALE/28", 8819, 22623, 83),
    ("dragonfly", "race:CR3_sched", 2, "bfs", "G-STALE/23", 9112, 22629, 22),
    ("dragonfly", "race:CR3_sched", 2, "bfs-nosym", "G-STALE/23", 9112, 22629, 22),
    ("dragonfly", "race:CR3_sched", 2, "dfs-por", "G-STALE/26", 22996, 62695, 94),
    ("freebsd-di", "reclaim", 2, "bfs", "verified", 1335, 4816, 58),
    ("freebsd-di", "reclaim", 2, "bfs-nosym", "verified", 1335, 4816, 58),
    ("freebsd-di", "reclaim", 2, "dfs-por", "verified", 1335, 2384, 60),
    ("freebsd-di", "reclaim", 3, "bfs", "verified", 21026, 111228, 67),
    ("freebsd-di", "reclaim", 3, "bfs-nosym", "verified", 21026, 111228, 67),
    ("freebsd-di", "reclaim", 3, "dfs-por", "verified", 20786, 50466, 71),
    ("freebsd-di", "truncate", 2, "bfs", "verified", 2190, 7874, 59),
    ("freebsd-di", "truncate", 2, "bfs-nosym", "verified", 2190, 7874, 59),
    ("freebsd-di", "truncate", 2, "dfs-por", "verified", 2190, 3899, 61),
    ("freebsd-di", "truncate", 3, "bfs", "verified", 25390, 135540, 68),
    ("freebsd-di", "truncate", 3, "bfs-nosym", "verified", 25390, 135540, 68),
    ("freebsd-di", "truncate", 3, "dfs-por", "verified", 25010, 60234, 72),
    ("freebsd-di", "race:DI_R1", 3, "bfs", "G-STALE/11", 340, 664, 10),
    ("freebsd-di", "race:DI_R1", 3, "bfs-nosym", "G-STALE/11", 340, 664, 10),
    ("freebsd-di", "race:DI_R1", 3, "dfs-por", "G-STALE/23", 3660, 8272, 40),
    ("freebsd-di", "race:DI_R1_self", 2, "bfs", "G-STALE/11", 139, 206, 10),
    ("freebsd-di", "race:DI_R1_self", 2, "bfs-nosym", "G-STALE/11", 139, 206, 10),
    ("freebsd-di", "race:DI_R1_self", 2, "dfs-por", "G-STALE/15", 335, 534, 29),
    ("freebsd-di", "race:DI_R5", 2, "bfs", "G-STALE/32", 833, 1455, 31),
    ("freebsd-di", "race:DI_R5", 2, "bfs-nosym", "G-STALE/32", 833, 1455, 31),
    ("freebsd-di", "race:DI_R5", 2, "dfs-por", "G-STALE/38", 1278, 2164, 53),
    ("freebsd-di", "race:DI_R2", 2, "bfs", "G-NOLOST/49", 1856, 3338, 48),
    ("freebsd-di", "race:DI_R2", 2, "bfs-nosym", "G-NOLOST/49", 1856, 3338, 48),
    ("freebsd-di", "race:DI_R2", 2, "dfs-por", "G-NOLOST/49", 109, 149, 53),
    ("freebsd-di", "race:DI_F3", 3, "bfs", "G-STALE/64", 96544, 251895, 63),
    ("freebsd-di", "race:DI_F3", 3, "bfs-nosym", "G-STALE/64", 96544, 251895, 63),
    ("freebsd-di", "race:DI_F3", 3, "dfs-por", "G-STALE/82", 80076, 194238, 107),
    // Issue #14, DI-R3: threads with priorities, yield, sleep and callouts.
    ("freebsd-di", "inversion", 2, "bfs", "verified", 4605, 16870, 68),
    ("freebsd-di", "inversion", 2, "bfs-nosym", "verified", 4605, 16870, 68),
    ("freebsd-di", "inversion", 2, "dfs-por", "verified", 4605, 8435, 70),
    ("freebsd-di", "inversion", 3, "bfs", "verified", 24648, 124382, 75),
    ("freebsd-di", "inversion", 3, "bfs-nosym", "verified", 24648, 124382, 75),
    ("freebsd-di", "inversion", 3, "dfs-por", "verified", 24648, 62191, 78),
    ("freebsd-di", "race:DI_R3", 2, "bfs", "G-NOLOST/23", 1005, 1762, 22),
    ("freebsd-di", "race:DI_R3", 2, "bfs-nosym", "G-NOLOST/23", 1005, 1762, 22),
    ("freebsd-di", "race:DI_R3", 2, "dfs-por", "G-NOLOST/37", 190, 327, 50),
    ("arm64-tlbi", "preempt", 2, "bfs", "G-STALE/10", 1026, 2951, 9),
    ("arm64-tlbi", "preempt", 2, "bfs-nosym", "G-STALE/10", 1026, 2951, 9),
    ("arm64-tlbi", "preempt", 2, "dfs-por", "G-STALE/12", 1219, 4711, 22),
    ("arm64-tlbi", "preempt", 3, "bfs", "G-STALE/9", 7778, 26284, 8),
    ("arm64-tlbi", "preempt", 3, "bfs-nosym", "G-STALE/9", 7778, 26284, 8),
    ("arm64-tlbi", "preempt", 3, "dfs-por", "G-STALE/18", 51025, 321345, 97),
    ("arm64-tlbi", "race:R355427", 2, "bfs", "G-STALE/10", 1026, 2951, 9),
    ("arm64-tlbi", "race:R355427", 2, "bfs-nosym", "G-STALE/10", 1026, 2951, 9),
    ("arm64-tlbi", "race:R355427", 2, "dfs-por", "G-STALE/12", 1219, 4711, 22),
];

const MODES: [&str; 3] = ["bfs", "bfs-nosym", "dfs-por"];

fn options(mode: &str) -> Options {
    let base = Options { max_states: LIMIT, ..Options::default() };
    match mode {
        "bfs" => base,
        "bfs-nosym" => Options { symmetry: false, ..base },
        _ => Options { mode: Mode::Dfs, por: true, ..base },
    }
}

fn verdict(o: &Outcome) -> String {
    match o {
        Outcome::Verified => "verified".into(),
        Outcome::Violation { property, choices, cycle_start: None, .. } => format!("{property}/{}", choices.len()),
        Outcome::Violation { property, choices, cycle_start: Some(k), .. } => {
            format!("{property}/{}@{k}", choices.len())
        }
        Outcome::Fault { choices, .. } => format!("fault/{}", choices.len()),
        Outcome::Limit { .. } => "limit".into(),
    }
}

/// `scenario` is a scenario's name with default options, or `race:NAME` for the
/// configuration of a declared race.
fn run(model: &str, scenario: &str, ncpu: u32, mode: &str) -> (String, u64, u64, u32) {
    let p = program(models::find(model).expect("bundled").source);
    let m = match scenario.strip_prefix("race:") {
        None => session(&p, ncpu, scenario, &[]).into_machine(),
        Some(name) => {
            let race = p.races.iter().find(|r| r.name == name).expect("race");
            let mut cfg = Config::new(&p);
            cfg.ncpu = race.cpus;
            cfg.scenario = race.scenario;
            for &(o, v) in &race.sets {
                cfg.options[o] = v;
            }
            Machine::new(p.clone(), cfg).expect("machine")
        }
    };
    let (o, pr) = Checker::new(m.clone(), options(mode)).check();
    common::replay::assert_replays(&m, &o, &format!("{model} {scenario} {ncpu} CPUs {mode}"));
    (verdict(&o), pr.states, pr.transitions, pr.depth)
}

#[test]
#[ignore]
fn print_table() {
    for b in models::BUNDLED {
        let p = program(b.source);
        for sc in &p.scenarios {
            for ncpu in [2, 3] {
                if ncpu < sc.min_cpus {
                    continue;
                }
                for mode in MODES {
                    let (v, s, t, d) = run(b.id, &sc.name, ncpu, mode);
                    if v != "limit" {
                        println!("    (\"{}\", \"{}\", {ncpu}, \"{mode}\", \"{v}\", {s}, {t}, {d}),", b.id, sc.name);
                    }
                }
            }
        }
        for race in &p.races {
            for mode in MODES {
                let name = format!("race:{}", race.name);
                let (v, s, t, d) = run(b.id, &name, race.cpus, mode);
                if v != "limit" {
                    println!("    (\"{}\", \"{name}\", {}, \"{mode}\", \"{v}\", {s}, {t}, {d}),", b.id, race.cpus);
                }
            }
        }
    }
}

/// Every row of `model` in the table, run again: the same verdict and counts.
fn check_model(model: &str) {
    let rows: Vec<&Row> = TABLE.iter().filter(|r| r.0 == model).collect();
    assert!(!rows.is_empty());
    for &&(m, scenario, ncpu, mode, verdict, states, transitions, depth) in &rows {
        let got = run(m, scenario, ncpu, mode);
        assert_eq!(got, (verdict.to_string(), states, transitions, depth), "{m} {scenario} {ncpu} CPUs {mode}");
    }
}

#[test]
fn arm64_tlbi() {
    check_model("arm64-tlbi");
}

#[test]
fn dillon_2004() {
    check_model("dillon-2004");
}

#[test]
fn dragonfly() {
    check_model("dragonfly");
}

#[test]
fn freebsd_di() {
    check_model("freebsd-di");
}

#[test]
fn freebsd_global() {
    check_model("freebsd-global");
}

#[test]
fn freebsd_scoreboard() {
    check_model("freebsd-scoreboard");
}

#[test]
fn linux() {
    check_model("linux");
}

#[test]
fn mach() {
    check_model("mach");
}
