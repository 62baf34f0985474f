//! The other bundled algorithms: each correct variant verifies, each known race is found
//! with the property named in shared/research/algorithms.md, and every counterexample
//! replays in a session to the reported property at the reported step.

mod common;
use common::replay::assert_replays;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::session::LogEntry;
use sdlab_engine::*;

fn check(model: &str, ncpu: u32, scenario: &str, opts: &[(&str, &str)]) -> Outcome {
    let p = program(models::find(model).expect("bundled").source);
    let m = session(&p, ncpu, scenario, opts).into_machine();
    let (o, _) = Checker::new(m.clone(), Options::default()).check();
    assert_replays(&m, &o, &format!("{model} {scenario} {ncpu} CPUs {opts:?}"));
    o
}

fn property(o: &Outcome) -> &str {
    match o {
        Outcome::Violation { property, .. } => property.code(),
        Outcome::Verified => "verified",
        _ => "other",
    }
}

#[test]
fn freebsd_global_mutex_scheme() {
    // Either era, with the initiator's own flush after the IPIs (2020) or before the
    // shootdown (every version before).
    for generation in ["true", "false"] {
        for local_first in ["false", "true"] {
            for ncpu in [2, 3] {
                for scenario in ["unmap_free", "crossfire"] {
                    let opts = [("generation", generation), ("local_first", local_first)];
                    let o = check("freebsd-global", ncpu, scenario, &opts);
                    assert_eq!(o, Outcome::Verified, "{opts:?} {scenario} {ncpu}");
                }
            }
        }
    }
    // X1 (§2.5): a CPU that spins for smp_ipi_mtx with IF=0 never answers the holder.
    for generation in ["true", "false"] {
        let o = check("freebsd-global", 2, "crossfire", &[("spin_enables_if", "false"), ("generation", generation)]);
        assert_eq!(property(&o), "G-DEADLOCK", "{o:?}");
    }
}

/// Mach's idle path (issue #13): an idle CPU gets its kernel-pmap updates queued, not
/// an interrupt, and processes them in MARK_CPU_ACTIVE before it rejoins cpus_active.
#[test]
fn mach_idle_cpu_processes_queued_updates_when_it_wakes() {
    for ncpu in [2, 3] {
        assert_eq!(check("mach", ncpu, "idle_wake", &[]), Outcome::Verified, "{ncpu} CPUs");
    }
    for mutation in ["wake_checks_updates", "wake_leaves_idle_first"] {
        let o = check("mach", 2, "idle_wake", &[(mutation, "false")]);
        // The harm itself: CPU 1 reads the freed frame through its cached translation.
        assert_eq!(property(&o), "G-STALE", "{mutation}: {o:?}");
        // In the counterexample CPU 0 found CPU 1 idle and sent it no interrupt.
        assert!(!o.choices().iter().any(|c| matches!(c, Choice::Irq(1, _))), "{mutation}: {o:?}");
    }
}

/// §1.4 (issue #13): the reason D25510's initiator keeps interrupts enabled, another
/// kind of IPI that needs its cooperation: an smp_rendezvous under smp_ipi_mtx.
#[test]
fn scoreboard_initiator_serves_an_smp_rendezvous_while_it_waits() {
    for ncpu in [2, 3] {
        assert_eq!(check("freebsd-scoreboard", ncpu, "rendezvous", &[]), Outcome::Verified, "{ncpu} CPUs");
    }
    let o = check("freebsd-scoreboard", 2, "rendezvous", &[("initiator_if", "false")]);
    assert_eq!(property(&o), "G-DEADLOCK", "{o:?}");
    // In the shortest deadlock CPU 0 took no interrupt at all: neither IPI is ever served.
    assert!(!o.choices().iter().any(|c| matches!(c, Choice::Irq(..))), "{:?}", o.choices());
}

#[test]
fn mach_shootdown() {
    for ncpu in [2, 3] {
        for scenario in ["unmap_free", "crossfire", "kernel_enter"] {
            assert_eq!(check("mach", ncpu, scenario, &[]), Outcome::Verified, "{scenario} {ncpu}");
        }
    }
    // M-D2 (§5.6): spinning on the pmap lock while still in cpus_active.
    let o = check("mach", 2, "crossfire", &[("leave_active_first", "false")]);
    assert_eq!(property(&o), "G-DEADLOCK");
    // M-D1 (§5.6): a pmap lock taken with update interrupts enabled; the responder on the
    // same CPU then spins for it above the thread that holds it. No other CPU is left to
    // blame, so it is a deadlock of that CPU with itself, not a lost wake-up.
    let o = check("mach", 2, "kernel_enter", &[("lock_at_high_ipl", "false")]);
    assert_eq!(property(&o), "G-DEADLOCK", "{o:?}");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("CPU 1 spins") && message.contains("only the code it interrupted on CPU 1"), "{message}");
    // M-R2 (§5.6): with speculative fills, the initiator's flush before the PTE change
    // leaves a stale entry, used after the frame is freed.
    let o = check("mach", 2, "unmap_free", &[("hw_speculative_fill", "true")]);
    assert_eq!(property(&o), "G-STALE");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("CPU 0"), "{message}");
    // The same speculative fills cannot hurt the scoreboard, which clears the PTE first.
    let p = scoreboard();
    let m = session(&p, 2, "unmap_free", &[("hw_speculative_fill", "true")]).into_machine();
    assert_eq!(Checker::new(m, Options::default()).check().0, Outcome::Verified);
}

#[test]
fn dillon_2004_rendezvous_and_the_freebsd_dirty_bit_race() {
    for ncpu in [2, 3] {
        assert_eq!(check("dillon-2004", ncpu, "launder", &[]), Outcome::Verified, "{ncpu} CPUs");
    }
    // Modify, then shoot down synchronously, then write the page out: a write in the
    // window before the target's invalidation goes through the cached D=1 entry, but it
    // lands before the I/O copies the page, so nothing is lost (issue #13: the launder
    // used to write the page out before clearing D, which loses a write under any design).
    for ncpu in [2, 3] {
        assert_eq!(check("dillon-2004", ncpu, "launder", &[("quiesce_first", "false")]), Outcome::Verified);
    }
    // A shootdown that does not wait (§4.5B): the write can follow the I/O and the decision.
    let o = check("dillon-2004", 2, "launder", &[("quiesce_first", "false"), ("synchronous", "false")]);
    assert_eq!(property(&o), "G-DIRTY");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("after the kernel declared the frame clean"), "{message}");
}

#[test]
fn linux_csd_flush_with_generations() {
    for ncpu in [2, 3] {
        for scenario in ["switch_back", "crossfire"] {
            assert_eq!(check("linux", ncpu, scenario, &[]), Outcome::Verified, "{scenario} {ncpu}");
        }
    }
    // LX1, CVE-2025-37964: without the SWITCHING sentinel the initiator skips a CPU that
    // is switching back to mm, and that CPU keeps its cached translation (NOFLUSH).
    let o = check("linux", 2, "switch_back", &[("switching_sentinel", "false")]);
    assert_eq!(property(&o), "G-STALE");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("CPU 1"), "{message}");
    // Amit's asynchronous flush (§8): safe while nothing reads user memory in the window
    // between the early unlock and the flush; an NMI that does breaks it (AX1).
    assert_eq!(check("linux", 3, "unmap_touch", &[("async_ack", "true")]), Outcome::Verified);
    let nmi = [("nmi_reads_user", "true"), ("hw_nmi", "1")];
    assert_eq!(check("linux", 2, "unmap_touch", &nmi), Outcome::Verified, "a synchronous flush closes the window");
    let o = check("linux", 2, "unmap_touch", &[("async_ack", "true"), nmi[0], nmi[1]]);
    assert_eq!(property(&o), "G-USERMODE-WINDOW", "the window is broken before the page is freed");
    let o = check("linux", 2, "unmap_touch", &[("async_ack", "true"), nmi[0], nmi[1], ("check_window", "false")]);
    assert_eq!(property(&o), "G-STALE");
    // LX4: smp_call_function_many with interrupts disabled, two initiators.
    let o = check("linux", 2, "crossfire", &[("initiator_irqs_off", "true")]);
    assert_eq!(property(&o), "G-DEADLOCK");
}

/// Step CPU 0 until the step that sends its IPI; that step's log entry.
fn step_cpu0_to_send(s: &mut Session) -> LogEntry {
    loop {
        let e = s.step(Choice::Step(0)).expect("CPU 0 steps until its shootdown");
        if e.effects.iter().any(|f| matches!(f, Effect::IpiSent { .. })) {
            return e.clone();
        }
    }
}

/// The KTR records CPU 0 logged in one step: (name, arguments).
fn cpu0_ktr_records(p: &Program, entry: &LogEntry) -> Vec<(String, Vec<i32>)> {
    entry
        .effects
        .iter()
        .filter_map(|f| match f {
            Effect::Ktr { cpu: 0, name, .. } => Some((p.ktr_name(*name).to_string(), f.ktr_args().to_vec())),
            _ => None,
        })
        .collect()
}

/// The KTR_SMP records each FreeBSD model writes in its sending step, as its kernel logs
/// them: ipi_selected per target (the scoreboard, mp_x86.c), smp_targeted_tlb_shootdown
/// per target (the global scheme's generation era), and one ipi_selected for the whole
/// mask (its counter era, FreeBSD 5 to 8: "cpus: %x ipi: %x").
#[test]
fn freebsd_models_trace_their_ipi_records_in_the_sending_step() {
    for (model, options, record) in [
        ("freebsd-scoreboard", &[][..], "ipi_selected"),
        ("freebsd-global", &[][..], "smp_targeted_tlb_shootdown"),
        ("freebsd-global", &[("generation", "false")][..], "mask"),
    ] {
        let p = program(models::find(model).expect("bundled").source);
        let mut s = session(&p, 3, "unmap_free", options);
        let entry = step_cpu0_to_send(&mut s);
        let Some(Effect::IpiSent { targets, vector, .. }) =
            entry.effects.iter().find(|f| matches!(f, Effect::IpiSent { .. })).cloned()
        else {
            unreachable!()
        };
        let number = p.vectors[vector as usize].number as i32;
        let traced = cpu0_ktr_records(&p, &entry);
        let want: Vec<(String, Vec<i32>)> = if record == "mask" {
            vec![("ipi_selected".to_string(), vec![targets as i32, number])]
        } else {
            (0..3).filter(|t| targets & (1 << t) != 0).map(|t| (record.to_string(), vec![t, number])).collect()
        };
        assert_eq!(traced, want, "{model} {options:?}: its KTR_SMP records, with the vector, in the sending step");
    }
}

#[test]
fn dragonfly_ipiq_cpusync_and_pmap_inval() {
    // The kernel's variant (§3.2–3.5): every scenario verifies with 2 CPUs, the cheaper
    // ones with 3 (flood with 2 CPUs and crossfire/protect_race with 3 exceed the tests'
    // budget; see docs/checker.md).
    for scenario in ["unmap_free", "crossfire", "two_pages", "protect_race", "crit_wait"] {
        assert_eq!(check("dragonfly", 2, scenario, &[]), Outcome::Verified, "{scenario} 2");
    }
    for scenario in ["unmap_free", "crit_wait", "two_pages"] {
        assert_eq!(check("dragonfly", 3, scenario, &[]), Outcome::Verified, "{scenario} 3");
    }
    // An NMI that reads user memory is harmless while the slave invalidates before it
    // acknowledges; the 2004 early acknowledgement (R5) is harmless without such an NMI.
    let nmi = [("nmi_reads_user", "true"), ("hw_nmi", "1")];
    assert_eq!(check("dragonfly", 2, "unmap_free", &nmi), Outcome::Verified);
    assert_eq!(check("dragonfly", 2, "unmap_free", &[("remote2_order", "1")]), Outcome::Verified);
    let o = check("dragonfly", 2, "unmap_free", &[("remote2_order", "1"), nmi[0], nmi[1]]);
    assert_eq!(property(&o), "G-USERMODE-WINDOW");
    // R6: reading the cpusync after the last acknowledgement meets the master's reused frame.
    let o = check("dragonfly", 2, "unmap_free", &[("remote2_order", "2")]);
    assert_eq!(property(&o), "G-MEM");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("cs_data[0]"), "{message}");
    // R1, R2, R3, R4 (every declared race is also checked by tests/races.rs).
    assert_eq!(property(&check("dragonfly", 2, "flood", &[("fifo_drain", "false")])), "G-DEADLOCK");
    assert_eq!(property(&check("dragonfly", 2, "two_pages", &[("npoll_recheck", "false")])), "G-NOLOST");
    assert_eq!(property(&check("dragonfly", 2, "crit_wait", &[("crit_wait_polls", "false")])), "G-NOLOST");
    // A passive send raises no IPI: an idle target never looks at its ring (§3.2).
    assert_eq!(property(&check("dragonfly", 2, "unmap_free", &[("cpusync_passive", "true")])), "G-NOLOST");
}

#[test]
fn dragonfly_trace_points_follow_the_kernel() {
    let p = program(models::find("dragonfly").expect("bundled").source);
    for passive in ["false", "true"] {
        let mut s = session(&p, 3, "unmap_free", &[("cpusync_passive", passive)]);
        let mut seed = 7;
        while s.stuck().is_none() && !s.enabled().is_empty() && s.steps() < 5000 {
            s.step_seeded(seed).expect("some choice").expect("steps");
            seed += 1;
        }
        let mut names = Vec::new();
        for e in s.log() {
            let sent = e.effects.iter().any(|f| matches!(f, Effect::IpiSent { .. }));
            for f in &e.effects {
                if let Effect::Ktr { cpu, name, .. } = f {
                    let n = p.ktr_name(*name);
                    // ipiq_cpu_send only where a hardware IPI actually goes out.
                    assert_eq!(n == "ipiq_cpu_send", sent && n == "ipiq_cpu_send", "{n} at step {:?}", e.choice);
                    if n == "ipiq_sync_start" || n == "ipiq_sync_end" {
                        assert_eq!((*cpu, f.ktr_args()), (0, &[0b110][..]), "{n}: CPU 0 with the mask of CPUs 1 and 2");
                    }
                    if n == "ipiq_receive" {
                        assert_ne!(i32::from(*cpu), f.ktr_args()[2], "a receive names its source CPU");
                    }
                    names.push(n.to_string());
                }
            }
        }
        let count = |n: &str| names.iter().filter(|x| *x == n).count();
        assert_eq!(count("ipiq_sync_start"), 1);
        assert_eq!(count("ipiq_sync_end"), usize::from(passive == "false"));
        if passive == "false" {
            assert_eq!(count("ipiq_send_norm"), 2, "{names:?}");
            assert!(count("ipiq_cpu_send") >= 1 && count("ipiq_receive") >= 2, "{names:?}");
        } else {
            assert_eq!((count("ipiq_send_pasv"), count("ipiq_cpu_send")), (2, 0), "{names:?}");
        }
    }
}

/// FreeBSD delayed invalidation (§6): the locked and the lock-less variant verify in every
/// scenario with 2 and 3 CPUs (two_unmaps needs 3). 4 CPUs: docs/checker.md.
#[test]
fn freebsd_di_locked_verifies() {
    for (scenario, ncpu) in [("truncate", 2), ("truncate", 3), ("reclaim", 3), ("two_unmaps", 3)] {
        assert_eq!(check("freebsd-di", ncpu, scenario, &[("di", "1")]), Outcome::Verified, "{scenario} {ncpu}");
    }
}

#[test]
fn freebsd_di_lockless_verifies() {
    for (scenario, ncpu) in [("truncate", 2), ("truncate", 3), ("reclaim", 3)] {
        assert_eq!(check("freebsd-di", ncpu, scenario, &[("di", "2")]), Outcome::Verified, "{scenario} {ncpu}");
    }
}

/// Two DI blocks in the CMPXCHG16B queue at once (860 776 states, the largest check here).
#[test]
fn freebsd_di_lockless_queue_of_two_verifies() {
    assert_eq!(check("freebsd-di", 3, "two_unmaps", &[("di", "2")]), Outcome::Verified);
}

#[test]
fn freebsd_di_races_and_what_prevents_them() {
    // DI-R1 (§6.1): without DI the page is freed while a TLB maps it, with 3 CPUs as in
    // the report and with 2 when the freeing thread itself holds the stale entry.
    assert_eq!(property(&check("freebsd-di", 3, "reclaim", &[("di", "0")])), "G-STALE");
    assert_eq!(property(&check("freebsd-di", 2, "truncate", &[("di", "0")])), "G-STALE");
    // The fix DI replaced: pvh_global_lock held across the shootdown closes the window too.
    for (scenario, ncpu) in [("truncate", 2), ("truncate", 3), ("reclaim", 3), ("two_unmaps", 3)] {
        let o = check("freebsd-di", ncpu, scenario, &[("di", "0"), ("pvh_global_lock", "true")]);
        assert_eq!(o, Outcome::Verified, "pvh_global_lock {scenario} {ncpu}");
    }
    // DI-R5: finishing the block before the shootdown breaks both variants.
    for di in ["1", "2"] {
        let o = check("freebsd-di", 2, "truncate", &[("di", di), ("finish_first", "true")]);
        assert_eq!(property(&o), "G-STALE", "di={di}");
    }
    // DI-R2: a waiter that neither re-checks after turnstile_trywait nor arms the callout
    // sleeps forever; either one alone is enough (the re-check before trywait is not:
    // props.rs).
    let lost = check("freebsd-di", 2, "truncate", &[("trywait_recheck", "false"), ("callout", "false")]);
    assert_eq!(property(&lost), "G-NOLOST");
    for opt in ["waiter_recheck", "trywait_recheck", "callout"] {
        assert_eq!(check("freebsd-di", 2, "truncate", &[(opt, "false")]), Outcome::Verified, "{opt}=false alone");
    }
    // §6.3 F3 and §6.4 U6: the generation handed to the older block, and compared by CMPXCHG16B.
    let o = check("freebsd-di", 3, "two_unmaps", &[("di", "1"), ("donate", "false")]);
    assert_eq!(property(&o), "G-STALE");
    let o = check("freebsd-di", 3, "two_unmaps", &[("wide_cas", "false")]);
    let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!((property.code(), message.contains("CPU 2")), ("G-STALE", true), "{message}");
}

#[test]
fn freebsd_di_shootdown_traces_ipi_selected_per_target() {
    let p = program(models::find("freebsd-di").expect("bundled").source);
    let mut s = session(&p, 3, "reclaim", &[]);
    let traced = cpu0_ktr_records(&p, &step_cpu0_to_send(&mut s));
    let want: Vec<(String, Vec<i32>)> = [1, 2].iter().map(|&t| ("ipi_selected".to_string(), vec![t, 0xf5])).collect();
    assert_eq!(traced, want);
    assert_eq!(p.ktr_names, ["ipi_selected"], "DI itself logs no KTR records (§6.9)");
}

/// The scoreboard's context switches (§1.6 E3, E5): CPU 1 switches away from proc1 and
/// back while CPU 0 unmaps and frees a page of proc1.
#[test]
fn freebsd_scoreboard_pcid_and_activation_order() {
    // The kernel's order verifies with and without PCIDs, and with speculative fills.
    for ncpu in [2, 3] {
        for pcid in ["false", "true"] {
            let o = check("freebsd-scoreboard", ncpu, "switch_back", &[("pcid", pcid)]);
            assert_eq!(o, Outcome::Verified, "pcid={pcid} {ncpu} CPUs");
        }
    }
    for pcid in ["false", "true"] {
        let o = check("freebsd-scoreboard", 2, "switch_back", &[("pcid", pcid), ("hw_speculative_fill", "true")]);
        assert_eq!(o, Outcome::Verified, "pcid={pcid} with speculative fills");
    }
    // E3 (EN-22:04.pcid): pm_gen zeroed in the local callback, after pm_active was read:
    // CPU 1 keeps proc1's PCID entries across the switch back and reads the freed frame.
    let o = check("freebsd-scoreboard", 2, "switch_back", &[("pcid", "true"), ("pm_gen_late", "true")]);
    let Outcome::Violation { message, .. } = &o else { panic!("{o:?}") };
    assert_eq!((property(&o), message.contains("CPU 1")), ("G-STALE", true), "{message}");
    // E5: CR3 loaded before the pm_active bit; without PCIDs the stale entry comes from a
    // speculative fill in the window, with PCIDs from the PCID kept by a NOFLUSH load.
    let o = check(
        "freebsd-scoreboard",
        2,
        "switch_back",
        &[("activate_bit_first", "false"), ("hw_speculative_fill", "true")],
    );
    assert_eq!(property(&o), "G-STALE");
    assert_eq!(
        check("freebsd-scoreboard", 2, "switch_back", &[("activate_bit_first", "false")]),
        Outcome::Verified,
        "no fill, no stale entry"
    );
    let o = check("freebsd-scoreboard", 2, "switch_back", &[("activate_bit_first", "false"), ("pcid", "true")]);
    assert_eq!(property(&o), "G-STALE");
}

/// Dillon's rendezvous on the 2004 cpusync (issue #13): the released slave counts
/// itself out of cs_count before it runs fin2, so an NMI that reads user memory in
/// between uses the translation the master has removed (R5_2004). Without such an NMI,
/// or with the window unjudged (the page is cached, not freed, here), it verifies.
#[test]
fn dillon_2004_cpusync_counts_out_before_fin2() {
    let nmi = [("nmi_reads_user", "true"), ("hw_nmi", "1")];
    let o = check("dillon-2004", 2, "pageout", &nmi);
    assert_eq!(property(&o), "G-USERMODE-WINDOW", "{o:?}");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("from an NMI handler"), "{message}");
    let unjudged = [("nmi_reads_user", "true"), ("hw_nmi", "1"), ("check_window", "false")];
    assert_eq!(check("dillon-2004", 2, "pageout", &unjudged), Outcome::Verified);
    for ncpu in [2, 3] {
        assert_eq!(check("dillon-2004", ncpu, "pageout", &[("hw_nmi", "1")]), Outcome::Verified, "{ncpu} CPUs");
    }
}

/// The other FreeBSD 2004 interleavings (§4.5A, §4.5C) next to Dillon's rendezvous.
#[test]
fn dillon_2004_pageout_and_protect() {
    // Dillon's rendezvous, and FreeBSD's fix (remove the mappings, then test the page)
    // with a synchronous or an asynchronous shootdown.
    for ncpu in [2, 3] {
        for scenario in ["pageout", "protect"] {
            assert_eq!(check("dillon-2004", ncpu, scenario, &[]), Outcome::Verified, "{scenario} {ncpu}");
        }
        for sync in ["true", "false"] {
            let o = check("dillon-2004", ncpu, "pageout", &[("quiesce_first", "false"), ("synchronous", sync)]);
            assert_eq!(o, Outcome::Verified, "pageout, modify then shoot down (synchronous={sync}), {ncpu} CPUs");
        }
    }
    // 4.5A: the dirty bit tested before the mappings are removed: vm_page_cache's
    // assertion fails, with or without the rendezvous.
    for quiesce in ["false", "true"] {
        let o = check("dillon-2004", 2, "pageout", &[("quiesce_first", quiesce), ("remove_first", "false")]);
        let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
        assert_eq!(*property, Property::Assert, "quiesce_first={quiesce}");
        assert!(message.contains("caching a dirty page"), "{message}");
    }
    // 4.5C: pmap_protect's plain read and write of the PTE erase a dirty bit set between
    // them; the rendezvous parks the writer first.
    assert_eq!(property(&check("dillon-2004", 2, "protect", &[("quiesce_first", "false")])), "G-DIRTY");
    // The other fix of 4.5C: a compare-and-set loop on the PTE, with no rendezvous; a
    // dirty bit set between the read and the update makes the compare fail and the loop
    // reads it again. Removing W keeps D, so even the asynchronous shootdown is safe here.
    for ncpu in [2, 3] {
        for sync in ["true", "false"] {
            let o = check(
                "dillon-2004",
                ncpu,
                "protect",
                &[("quiesce_first", "false"), ("pte_atomic", "true"), ("synchronous", sync)],
            );
            assert_eq!(o, Outcome::Verified, "protect with pte_cmpset, synchronous={sync}, {ncpu} CPUs");
        }
    }
}

/// Writeback under Amit's asynchronous flush (§8.5 AX2): anything that writes the page
/// after the target acknowledged is lost when the flush is early-acknowledged.
#[test]
fn linux_writeback_and_ax2() {
    let probe = ("probe_writes_user", "true");
    for ncpu in [2, 3] {
        assert_eq!(check("linux", ncpu, "writeback", &[probe]), Outcome::Verified, "synchronous, {ncpu} CPUs");
        assert_eq!(
            check("linux", ncpu, "writeback", &[("async_ack", "true")]),
            Outcome::Verified,
            "no probe, {ncpu} CPUs"
        );
    }
    // The probe's write is inside the acknowledgement window; followed further, it is lost.
    let o = check("linux", 2, "writeback", &[("async_ack", "true"), probe]);
    assert_eq!(property(&o), "G-USERMODE-WINDOW");
    let o = check("linux", 2, "writeback", &[("async_ack", "true"), probe, ("check_window", "false")]);
    let Outcome::Violation { message, .. } = &o else { panic!("{o:?}") };
    assert_eq!((property(&o), message.contains("CPU 1")), ("G-DIRTY", true), "{message}");
}

/// Lazy TLB (§7.3, §7.4 F5, W2) and LX3: a lazy CPU may be skipped while no page tables
/// are freed (it catches up on tlb_gen when it returns to mm), never when they are.
#[test]
fn linux_lazy_tlb_and_lx3() {
    for ncpu in [2, 3] {
        for lazy in ["false", "true"] {
            for scenario in ["lazy_back", "lazy_free_tables"] {
                for spec in ["false", "true"] {
                    let o = check("linux", ncpu, scenario, &[("lazy_tlb", lazy), ("hw_speculative_fill", spec)]);
                    assert_eq!(o, Outcome::Verified, "{scenario} lazy_tlb={lazy} speculative={spec} {ncpu} CPUs");
                }
            }
        }
    }
    // LX3: the lazy CPU skipped although the page-table page is freed: its speculative
    // page walk reads the freed page through the upper-level entry its paging-structure
    // cache still holds. The model walks nothing by hand: without speculative walks the
    // lazy kernel thread never walks, and nothing is found.
    let lx3 = [("lazy_tlb", "true"), ("freed_tables_all", "false"), ("hw_speculative_fill", "true")];
    let o = check("linux", 2, "lazy_free_tables", &lx3);
    let Outcome::Violation { message, .. } = &o else { panic!("{o:?}") };
    assert_eq!((property(&o), message.contains("CPU 1")), ("G-STALE", true), "{message}");
    assert!(message.contains("paging-structure cache"), "{message}");
    let o = check("linux", 2, "lazy_free_tables", &lx3[..2]);
    assert_eq!(o, Outcome::Verified);
    // Without lazy skipping, the same flush reaches CPU 1 anyway, and its INVLPG drops
    // the cached entry (SDM §4.10.4.1).
    let o = check("linux", 2, "lazy_free_tables", &[("freed_tables_all", "false"), ("hw_speculative_fill", "true")]);
    assert_eq!(o, Outcome::Verified);
}

#[test]
fn linux_csd_request_lifetime_lx5() {
    // The asynchronous target copies the request before it unlocks (§7.4 T3): verified,
    // with the request retired at put_flush_tlb_info; unlocking first is LX5 (G-MEM).
    for ncpu in [2, 3] {
        for scenario in ["unmap_touch", "crossfire"] {
            assert_eq!(
                check("linux", ncpu, scenario, &[("async_ack", "true")]),
                Outcome::Verified,
                "{scenario} {ncpu}"
            );
        }
    }
    let o = check("linux", 2, "unmap_touch", &[("async_ack", "true"), ("copy_before_unlock", "false")]);
    assert_eq!(property(&o), "G-MEM");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("CPU 1 read info_") && message.contains("CPU 0 considered"), "{message}");
}

#[test]
fn linux_invlpgb_broadcast_and_migration() {
    // INVLPGB + TLBSYNC instead of IPIs (§7.6) keeps every scenario correct.
    for ncpu in [2, 3] {
        for scenario in ["unmap_touch", "crossfire", "switch_back", "migrate"] {
            let o = check("linux", ncpu, scenario, &[("use_invlpgb", "true")]);
            assert_eq!(o, Outcome::Verified, "{scenario} {ncpu}");
        }
    }
    // A migration between INVLPGB and TLBSYNC: TLBSYNC on the new CPU waits for nothing.
    let opts = [("use_invlpgb", "true"), ("cant_migrate", "false")];
    for ncpu in [2, 3] {
        let o = check("linux", ncpu, "migrate", &opts);
        assert_eq!(property(&o), "G-STALE", "{ncpu} CPUs");
        // The stale entry is the issuer's own: the broadcast never reached CPU 0.
        assert!(!o.choices().contains(&Choice::Bcast(0, 0)), "{:?}", o.choices());
    }
}

/// §3.5 (iii), §3.8 R7: the 2016+ Xinvltlb path (pmap_inval_smp), a lost Xinvltlb and
/// its LOOPRECOVER watchdog, and the target's wait for the originator's PTE swap (R8).
#[test]
fn dragonfly_pmap_inval_smp_handshake_and_watchdog() {
    for ncpu in [2, 3] {
        assert_eq!(check("dragonfly", ncpu, "xinvltlb_free", &[]), Outcome::Verified, "{ncpu} CPUs");
    }
    // The watchdog (on by default, as LOOPRECOVER is compiled in) survives a lost Xinvltlb.
    assert_eq!(check("dragonfly", 2, "xinvltlb_free", &[("hw_ipi_loss", "1")]), Outcome::Verified);
    let o = check("dragonfly", 2, "xinvltlb_free", &[("hw_ipi_loss", "1"), ("inval_watchdog", "false")]);
    assert_eq!(property(&o), "G-NOLOST", "{o:?}");
    assert!(o.choices().iter().any(|c| matches!(c, Choice::Lose(1, _))), "{:?}", o.choices());
    let o = check("dragonfly", 2, "xinvltlb_free", &[("inval_target_waits", "false")]);
    assert_eq!(property(&o), "G-STALE", "{o:?}");
}

/// §3.5 (iii), issue #13: two originators on kernel_pmap at once (no CPULOCK_EXCL there).
/// Each waits with interrupts off, so each quiesces for the other's command only in its
/// own wait loop, as pmap_inval_intr does over smp_invmask. The model's wait used to watch
/// its own mask alone, and this deadlocked (R9, which keeps that wait as a mutation).
#[test]
fn dragonfly_pmap_inval_smp_two_originators() {
    assert_eq!(check("dragonfly", 2, "xinvltlb_crossfire", &[]), Outcome::Verified);
    let no_dog = ("inval_watchdog", "false");
    assert_eq!(check("dragonfly", 2, "xinvltlb_crossfire", &[no_dog]), Outcome::Verified);
    let o = check("dragonfly", 2, "xinvltlb_crossfire", &[no_dog, ("inval_serve_others", "false")]);
    assert_eq!(property(&o), "G-DEADLOCK", "{o:?}");
}

/// §3.8 R7 on the older cpusync path (R7_cpusync): Xipiq lost on its way
/// (hw_ipi_loss), and option loop_recover grafting the watchdog onto the cpusync wait.
#[test]
fn dragonfly_lost_xipiq_and_the_watchdog() {
    // Without the watchdog, one lost IPI leaves the master waiting for stage 1 forever.
    let o = check("dragonfly", 2, "unmap_free", &[("hw_ipi_loss", "1")]);
    assert_eq!(property(&o), "G-NOLOST", "{o:?}");
    assert!(o.choices().iter().any(|c| matches!(c, Choice::Lose(1, _))), "{:?}", o.choices());
    // With it, the master re-sends and the shootdown completes.
    for scenario in ["unmap_free", "two_pages", "crit_wait"] {
        for loss in ["0", "1"] {
            let o = check("dragonfly", 2, scenario, &[("hw_ipi_loss", loss), ("loop_recover", "true")]);
            assert_eq!(o, Outcome::Verified, "{scenario}, hw_ipi_loss={loss}");
        }
    }
}

/// The Linux initiator's own flush follows flush_tlb_func's generation rule (arch/x86/mm/
/// tlb.c: a partial flush only when `new_tlb_gen == local_tlb_gen + 1 == mm_tlb_gen`). CPU
/// 0 caches VB; CPU 1 unmaps VB (generation 1) while CPU 0 unmaps VA (generation 2). CPU
/// 0 lacks two generations, so its own flush is a full one, and CPU 1's request, found
/// already covered when it arrives, loses nothing. An initiator that flushed only VA and
/// called itself fresh up to 2 would read VB through a stale entry (G-STALE in 56 steps).
#[test]
fn the_linux_initiator_flushes_everything_when_it_lacks_more_than_one_generation() {
    let probe = "
proc cross_a() {
    user_load(VB);
    unmap_and_free(VA);
    user_load(VB);
}
scenario cross_touch \"CPU 1 unmaps VB while CPU 0, which cached VB, unmaps VA\" {
    cpu 0: cross_a() in mm;
    cpu 1: unmap_and_free(VB) in mm;
    cpu *: idle in mm;
}
";
    let src = format!("{}{probe}", models::find("linux").expect("bundled").source);
    let p = program(&src);
    let m = session(&p, 2, "cross_touch", &[]).into_machine();
    let (o, _) = Checker::new(m, Options::default()).check();
    assert_eq!(o, Outcome::Verified);
}

/// Amit's RFC kept a flush that frees page tables synchronous (algorithms.md §8.2 (1)):
/// with the asynchronous flush on, freeing a page-table page verifies while CPU 1's walker
/// caches the entry pointing to it, at 2 and 3 CPUs; acknowledging such a flush early lets
/// a speculative walk read the freed page as a page table (AX4), found as a use after free
/// at the walk, after the free.
#[test]
fn an_asynchronous_flush_that_frees_page_tables_stays_synchronous() {
    let base = [("async_ack", "true"), ("hw_speculative_fill", "true"), ("check_window", "false")];
    for ncpu in [2, 3] {
        assert_eq!(check("linux", ncpu, "lazy_free_tables", &base), Outcome::Verified, "{ncpu} CPUs");
    }
    let mut opts = base.to_vec();
    opts.push(("async_freed_tables", "true"));
    let o = check("linux", 2, "lazy_free_tables", &opts);
    let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!(property.code(), "G-STALE");
    assert!(message.contains("as a page table") && message.contains("freed"), "{message}");
}
